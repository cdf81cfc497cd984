import { APPLY_INSERTED, APPLY_NO_MEMORY, APPLY_REPLACED } from 'native-free-shm';
import { ChangeRing, MIN_RING_BYTES } from '../change-ring.js';
import { MODULE_KEYVAL, MODULE_STREAM_KEYVAL } from '../descriptor.js';
import { ZoneArgumentError, ZoneFullError } from '../errors.js';
import { RecordMerger } from '../merge.js';
import { sizeBytesOf, timeMsOf, type TimeInput } from '../options.js';
import { lockStateFile } from './state-lock.js';
import { StateStore, type StoreLoad } from './state-store.js';
import { ZoneBase, type AttachZoneOptions, type ZoneBaseOptions, type ZoneHandleOf } from '../zone-base.js';
import { MAX_PREFIX_BYTES, MatchIndex, canonicalStoredIpKey, writeKeyType, type KeyvalType } from './match-index.js';

export interface KeyvalZoneOptions extends ZoneBaseOptions {
  /** Records are removed this long after their last write (nginx `timeout=`); none by default. */
  timeout?: TimeInput;
  /** string (default), ip (addresses and CIDR blocks, matched longest first), prefix. */
  type?: KeyvalType;
  /** A file the zone's records are kept in across restarts (nginx `state=`). */
  state?: string;
  /**
   * With `state`: every change is appended to a change ring for a journal writer
   * (src/journal) to keep in the state file's journal, so that a process killed at any
   * moment restarts with it. Without a journal writer running, the ring only fills.
   * Default false: the state file is written only by saveState.
   */
  journal?: boolean;
  /** The change ring's bytes (a power of two); default a quarter of `size`, from 256 KiB to 64 MiB. */
  journalRingBytes?: number;
  /** Longest key in bytes; default 256 (4095 at most for type=prefix). */
  maxKeyBytes?: number;
  /** Where the zone is declared: `http` (default) or `stream`; zones of the two never sync into each other. */
  context?: 'http' | 'stream';
}

export interface KeyvalSettings {
  timeoutMs: number;
  type: KeyvalType;
  stateFile: string | null;
}

export type KeyvalHandle = ZoneHandleOf<KeyvalSettings>;

export interface KeyvalEntry {
  key: string;
  value: string;
  /** When it expires, in ms since the epoch; 0 = never. */
  expireAtMs: number;
}

/**
 * nginx's keyval_zone: string keys and values in shared memory, any thread, synced across
 * the cluster when `sync` (which, as in NGINX Plus, requires `timeout`). Deletes propagate
 * as tombstones. With `type=ip` keys are addresses or CIDR blocks and `match(address)`
 * returns the value of the longest block holding the address; with `type=prefix`,
 * `match(text)` returns the value of the longest stored key the text starts with.
 */
export class KeyvalZone extends ZoneBase<KeyvalSettings> {
  readonly settings: KeyvalSettings;
  private readonly index: MatchIndex;
  /** The state file and its journals, when the zone has `state`. */
  private readonly store: StateStore | null;
  /** What the last loadState read (journals replayed, where each stopped), or null. */
  lastLoad: StoreLoad | null = null;
  /** The newest state or journal generation this zone has read or written. */
  private newestGeneration = 0;

  static create(options: KeyvalZoneOptions): KeyvalZone {
    const timeoutMs = options.timeout === undefined ? 0 : timeMsOf(options.timeout, `zone "${options.name}" timeout`);
    if (options.sync && timeoutMs === 0) {
      throw new ZoneArgumentError(`keyval zone "${options.name}": "sync" requires "timeout"`);
    }
    const type = options.type ?? 'string';
    if (type !== 'string' && type !== 'ip' && type !== 'prefix') {
      throw new ZoneArgumentError(`keyval zone "${options.name}": type must be string, ip or prefix, not "${String(type)}"`);
    }
    const maxKeyBytes = options.maxKeyBytes ?? 256;
    if (type === 'prefix' && maxKeyBytes > MAX_PREFIX_BYTES) {
      throw new ZoneArgumentError(`keyval zone "${options.name}": type=prefix keys are at most ${MAX_PREFIX_BYTES} bytes`);
    }
    const settings: KeyvalSettings = { timeoutMs, type, stateFile: options.state ?? null };
    if (options.journal && settings.stateFile === null) {
      throw new ZoneArgumentError(`keyval zone "${options.name}": "journal" requires "state"`);
    }
    const changeRing = options.journal ? ChangeRing.createBuffer(ringBytesOf(options)) : undefined;
    // Never evict a live record (or a tombstone, which must outlive older versions): a full zone refuses the write.
    const tag = options.context === 'stream' ? MODULE_STREAM_KEYVAL : MODULE_KEYVAL;
    const parts = ZoneBase.createParts(options, 'keyval', tag, settings, {
      maxKeyBytes, eviction: 'expired', maxLifetimeMs: timeoutMs, ...(changeRing === undefined ? {} : { changeRing }),
    });
    writeKeyType(parts.shm, type);
    const zone = new KeyvalZone(parts.handle, parts.shm, parts.now);
    if (settings.stateFile !== null) {
      lockStateFile(settings.stateFile, options.name);
      zone.loadState();
    }
    // What was loaded is in the files already; no other thread has the ring yet.
    zone.changes?.reset();
    return zone;
  }

  /** The same zone in another thread, from `zone.handle` passed through workerData or postMessage. */
  static attach(handle: KeyvalHandle, options: AttachZoneOptions = {}): KeyvalZone {
    const parts = ZoneBase.attachShm(handle, options);
    return new KeyvalZone(handle, parts.shm, parts.now);
  }

  private constructor(handle: KeyvalHandle, shm: KeyvalZone['shm'], now: () => number) {
    super(handle, shm, now);
    this.settings = handle.settings;
    this.index = new MatchIndex(shm);
    this.store = handle.settings.stateFile === null ? null : new StateStore(handle.settings.stateFile, this.name);
  }

  get type(): KeyvalType {
    return this.settings.type;
  }

  /** The key as stored: type=ip keys in canonical form; other types as given. */
  storedKey(key: string): string {
    if (this.settings.type !== 'ip') return key;
    const canonical = canonicalStoredIpKey(key);
    if (canonical === null) throw new ZoneArgumentError(`keyval zone "${this.name}": "${key}" is not an IP address or CIDR block`);
    return canonical;
  }

  /**
   * Sets a value; `expireMs` overrides the zone's timeout for this key (0 = never). In a
   * synced zone it must be from 1 ms to the timeout: a delete's tombstone lives `timeout`
   * past its stamp, which outlives every older version only if none lives longer. Throws
   * ZoneFullError, changing nothing, when the zone has no room without dropping a live key.
   */
  set(key: string, value: string, options: { expireMs?: number } = {}): void {
    if (typeof value !== 'string') throw new ZoneArgumentError(`keyval zone "${this.name}": value must be a string`);
    const stored = this.storedKey(key);
    const ttl = options.expireMs ?? this.settings.timeoutMs;
    const nowMs = this.now();
    this.checkTtl(ttl, nowMs);
    this.useKey(stored);
    this.writeText(value, ttl === 0 ? 0 : nowMs + ttl, false, nowMs);
    this.index.noteKey(stored, this.shm.keyLength);
  }

  private checkTtl(ttl: number, nowMs: number): void {
    if (!Number.isInteger(ttl) || ttl < 0) throw new ZoneArgumentError(`keyval zone "${this.name}": expire must be a whole, non-negative number of ms`);
    if (!Number.isSafeInteger(nowMs + ttl)) throw new ZoneArgumentError(`keyval zone "${this.name}": expire ${ttl} ms is too large (now + expire passes 2^53 - 1 ms)`);
    if (this.sync && (ttl === 0 || ttl > this.settings.timeoutMs)) {
      throw new ZoneArgumentError(`keyval zone "${this.name}": expire must be from 1 to ${this.settings.timeoutMs} ms (the zone's timeout) in a synced zone, not ${ttl}`);
    }
  }

  /** The value of a key (exact match), or undefined when absent, expired or deleted. */
  get(key: string): string | undefined {
    this.useKey(this.settings.type === 'ip' ? (canonicalStoredIpKey(key) ?? key) : key);
    return this.shm.readCurrent();
  }

  /** Deletes a key everywhere (a tombstone when the zone syncs). Returns whether it was there. */
  delete(key: string): boolean {
    this.useKey(this.storedKey(key));
    return this.deleteCurrent(this.settings.timeoutMs);
  }

  /**
   * type=ip: the value of the longest stored address or block that holds `input`;
   * type=prefix: the value of the longest stored key that `input` starts with;
   * type=string: the value of `input` itself.
   */
  match(input: string): string | undefined {
    if (this.settings.type === 'ip') return this.index.matchIp(input, (key) => this.get(key));
    if (this.settings.type === 'prefix') {
      return this.index.matchPrefix(input, (bytes, length) => {
        this.shm.setKeyBytes(bytes, 0, length);
        return this.shm.readCurrent();
      });
    }
    return this.get(input);
  }

  /** Every live key and value (as the API's GET lists them). */
  entries(): KeyvalEntry[] {
    return this.versions().filter((r) => !r.tombstone).map((r) => ({ key: r.key, value: r.value, expireAtMs: r.expireAtMs }));
  }

  /** Empties the zone: every key deleted (tombstones in a synced zone). */
  clear(): number {
    let n = 0;
    for (const r of this.versions()) {
      if (r.tombstone) continue;
      this.useKey(r.key);
      if (this.deleteCurrent(this.settings.timeoutMs)) n++;
    }
    if (!this.sync) this.index.clear();
    return n;
  }

  /**
   * Loads the state file and the journals that follow it, if there are any: every version
   * merged through the one merge (RecordMerger) as if it came from a peer; the node clock
   * then stands past every stamp read. In a zone that does not sync, the tombstones the
   * journals carried for deletes are dropped once everything is merged: they only had to
   * beat the older versions of their keys. Returns the number of versions stored; the
   * details (journals, where each stopped reading) are in lastLoad.
   */
  loadState(): number {
    const store = this.store;
    if (store === null) return 0;
    const now = this.now();
    // Versions this node made (or merged) before: none is refused for a stamp ahead of the
    // wall clock, as one from a peer would be, should the clock have gone back since.
    const merger = new RecordMerger(this.shm, this.handle.descriptor, Number.POSITIVE_INFINITY);
    let loaded = 0;
    let maxMs = -1;
    let maxLogical = 0;
    let load: StoreLoad;
    try {
      const nginxPlus = { nowMs: now, timeoutMs: this.settings.timeoutMs, origin: this.nodeId };
      load = store.load(nginxPlus, (r) => {
        if ((r.expireAtMs === 0 || r.expireAtMs > now) && this.applyRemote(r)) loaded++;
      }, (bytes, r) => {
        if (r.stampMs > maxMs || (r.stampMs === maxMs && r.stampLogical > maxLogical)) {
          maxMs = r.stampMs;
          maxLogical = r.stampLogical;
        }
        const status = merger.merge(bytes, r, now);
        if (status === APPLY_NO_MEMORY) throw new ZoneFullError(this.name, r.keyLength, r.payloadLength);
        if (status === APPLY_INSERTED || status === APPLY_REPLACED) loaded++;
      });
    } finally {
      merger.release();
    }
    if (maxMs >= 0) this.clock.observe(maxMs, maxLogical);
    if (!this.sync) this.dropTombstones();
    this.lastLoad = load;
    this.newestGeneration = Math.max(this.newestGeneration, load.newestGeneration);
    return loaded;
  }

  private dropTombstones(): void {
    const shm = this.shm;
    for (const r of this.versions()) {
      if (!r.tombstone) continue;
      this.useKey(r.key);
      const shard = shm.shardOfKey();
      shm.lock(shard);
      try {
        const rec = shm.findLocked(shard, this.now());
        if (rec !== 0 && shm.isTombstone(rec)) shm.removeLocked(shard, rec);
      } finally {
        shm.unlock(shard);
      }
    }
  }

  /**
   * Writes every record with its version as the state file, atomically, and retires the
   * journals (the state file names a generation past them). For a zone whose journal no
   * journal writer keeps: a node's journal thread compacts on its own.
   */
  async saveState(): Promise<void> {
    if (this.store !== null) this.newestGeneration = await this.store.replaceAllAsync(this.versions(), this.newestGeneration);
  }

  saveStateSync(): void {
    if (this.store !== null) this.newestGeneration = this.store.replaceAll(this.versions(), this.newestGeneration);
  }

  /** The newest state or journal generation read or written: a journal writer starts past it. */
  get stateGeneration(): number {
    return this.newestGeneration;
  }
}

/** The change ring's size: the option, or a quarter of the zone, a power of two from 256 KiB to 64 MiB. */
function ringBytesOf(options: KeyvalZoneOptions): number {
  if (options.journalRingBytes !== undefined) return options.journalRingBytes;
  const quarter = sizeBytesOf(options.size, `zone "${options.name}" size`) / 4;
  let bytes = Math.max(MIN_RING_BYTES, 256 * 1024);
  while (bytes < quarter && bytes < 64 * 1024 * 1024) bytes *= 2;
  return bytes;
}
