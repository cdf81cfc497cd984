import {
  APPLY_INSERTED, APPLY_NO_MEMORY, APPLY_REPLACED, RecordVersion, ShmZone, ZoneCursor, compareVersion, copyScratchText, scratchText, scratchTextBytes, type ZoneStats,
} from 'native-free-shm';
import { wallStampMs } from '../clock.js';
import { SharedHybridClock } from '../shared-clock.js';
import { ChangeRing, ViewCache } from './change-ring.js';
import { RecordMerger } from './merge.js';
import { ZoneArgumentError, ZoneFullError } from './errors.js';
import { moduleVersionOf, type ModuleName, type ModuleTag, type ZoneDescriptor } from './descriptor.js';
import { defaultNodeContext, threadOwnerId, type NodeContext } from './node.js';
import { checkSameProcess, refuseJson } from './process-boundary.js';
import { checkZoneName, sizeBytesOf, type SizeInput } from './options.js';

/** Options every zone takes. */
export interface ZoneBaseOptions {
  name: string;
  /** nginx's `zone=name:SIZE`: "32k", "1m", or bytes. */
  size: SizeInput;
  /** Push this zone's changes to the cluster and merge the cluster's. */
  sync?: boolean;
  /** Shards, each with its own lock: a power of two; default auto (1 per 64 KiB, up to 16). */
  shards?: number;
  /** The node the zone belongs to; default: one per process. */
  node?: NodeContext;
  /** Wall clock in ms since the epoch (expiry, stamps); tests inject their own. */
  now?: () => number;
  /**
   * With `sync`: the most key and value bytes a record may have and still be sent in one
   * zone_sync_buffers buffer (the node computes it from its configuration). A write over it
   * is refused (ZoneArgumentError) rather than acknowledged and never replicated. Default:
   * no limit.
   */
  maxSyncedBytes?: number;
}

/**
 * What another thread needs to attach to a zone: structured-clonable, for workerData or
 * postMessage. `settings` is the module's own (timeouts, rates, key type).
 */
export interface ZoneHandleOf<Settings> {
  readonly descriptor: ZoneDescriptor;
  readonly node: NodeContext;
  readonly settings: Settings;
}

export interface AttachZoneOptions {
  now?: () => number;
}

/** One record version as stored and synced: for state files, snapshots and tests. */
export interface VersionedRecord {
  key: string;
  value: string;
  stampMs: number;
  logical: number;
  origin: number;
  expireAtMs: number;
  tombstone: boolean;
}

/**
 * What keyval, limit_req and sticky share: a ShmZone holding records in wire layout, the
 * node's id and clock, and the local write that stamps each version so that it beats the
 * version it replaces (HLC, then one logical tick past an existing newer stamp).
 */
export abstract class ZoneBase<Settings> {
  readonly name: string;
  readonly shm: ShmZone;
  readonly clock: SharedHybridClock;
  readonly nodeId: number;
  readonly sync: boolean;
  readonly now: () => number;
  readonly handle: ZoneHandleOf<Settings>;
  /**
   * The version of this thread's next local write: filled by stampLocal, raised by outrank,
   * passed to writeLocked. One object per handle, so that writes allocate nothing.
   */
  protected readonly version = new RecordVersion();
  /** Where this thread appends the zone's changes for the journal (descriptor.changeRing), or null. */
  readonly changes: ChangeRing | null;
  /**
   * Local versions are stamped by the node's hybrid clock: in a synced zone (ordered
   * against peers' versions) and in a journaled one (ordered against versions of earlier
   * runs, which the clock observed when they were loaded, and never behind a delete of the
   * same key whose record is gone).
   */
  private readonly stampsFromClock: boolean;
  private readonly scratchViews = new ViewCache();
  private merger: RecordMerger | undefined;

  protected constructor(handle: ZoneHandleOf<Settings>, shm: ShmZone, now: () => number) {
    refuseJson(handle);
    this.handle = handle;
    this.name = handle.descriptor.name;
    this.sync = handle.descriptor.sync;
    this.nodeId = handle.node.nodeId;
    this.shm = shm;
    this.now = now;
    this.clock = new SharedHybridClock(handle.node.clockBuffer, threadOwnerId(), now);
    const ring = handle.descriptor.changeRing;
    this.changes = ring === undefined ? null : new ChangeRing(ring, threadOwnerId());
    this.stampsFromClock = this.sync || this.changes !== null;
  }

  /** Creates the zone's memory and the handle other threads attach with. */
  protected static createParts<S>(
    options: ZoneBaseOptions, module: ModuleName, moduleTag: ModuleTag, settings: S,
    shape: { maxKeyBytes: number; keySuffixBytes?: number; eviction?: 'lru' | 'expired'; maxLifetimeMs?: number; changeRing?: SharedArrayBuffer },
  ): { handle: ZoneHandleOf<S>; shm: ShmZone; now: () => number } {
    checkZoneName(options.name);
    const now = options.now ?? Date.now;
    let shm: ShmZone;
    try {
      shm = ShmZone.create({
        sizeBytes: sizeBytesOf(options.size, `zone "${options.name}" size`),
        ...(options.shards === undefined ? {} : { shards: options.shards }),
        maxKeyBytes: shape.maxKeyBytes,
        keySuffixBytes: shape.keySuffixBytes ?? 0,
        eviction: shape.eviction ?? 'lru',
      }, { ownerId: threadOwnerId(), now });
    } catch (e) {
      if (e instanceof RangeError) throw new ZoneArgumentError(`zone "${options.name}": ${e.message}`);
      throw e;
    }
    const descriptor: ZoneDescriptor = {
      name: options.name, module, moduleTag, moduleVersion: moduleVersionOf(moduleTag), handle: shm.handle, sync: options.sync ?? false,
      originKeySuffix: (shape.keySuffixBytes ?? 0) === 4,
      maxSyncedBytes: options.sync ? syncedBytesLimit(options) : 0,
      maxLifetimeMs: options.sync ? shape.maxLifetimeMs ?? 0 : 0,
      ...(shape.changeRing === undefined ? {} : { changeRing: shape.changeRing }),
    };
    const view = new Uint32Array(shm.userArea().buffer, shm.userArea().byteOffset, 2);
    view[0] = moduleTag;
    return { handle: { descriptor, node: options.node ?? defaultNodeContext(), settings }, shm, now };
  }

  protected static attachShm(handle: ZoneHandleOf<unknown>, options: AttachZoneOptions): { shm: ShmZone; now: () => number } {
    checkSameProcess(handle);
    const now = options.now ?? Date.now;
    return { shm: ShmZone.attach(handle.descriptor.handle, { ownerId: threadOwnerId(), now }), now };
  }

  /**
   * The longest key a caller may give, in bytes (the zone's maxKeyBytes): the zone's key
   * room less the suffix a zone of per-node records (limit_req, counter) appends itself.
   */
  get maxKeyBytes(): number {
    return this.shm.memory.maxKeyBytes - this.shm.memory.keySuffixBytes;
  }

  /** Puts `key` in the zone's scratch; a key over maxKeyBytes is a ZoneArgumentError. */
  protected useKey(key: string): void {
    if (typeof key !== 'string') throw new ZoneArgumentError(`zone "${this.name}": key must be a string`);
    const shm = this.shm;
    // trySetKey refuses a key over the whole key room while encoding it; within it, the suffix's share is checked here.
    if (shm.trySetKey(key) && shm.keyLength <= shm.memory.maxKeyBytes - shm.memory.keySuffixBytes) return;
    throw new ZoneArgumentError(`zone "${this.name}": key of ${Buffer.byteLength(key)} bytes is longer than the zone's limit of ${this.maxKeyBytes} bytes`);
  }

  /**
   * Fills this.version as a new local version: stamped from the node's hybrid clock in a
   * synced or journaled zone (stampsFromClock), so that a version made after observing a
   * remote (or loaded) one is newer than it, whichever thread makes it. `nowMs`:
   * this.now() as the caller just read it (one clock read per write). Returns this.version.
   */
  protected stampLocal(expireAtMs: number, tombstone: boolean, nowMs: number): RecordVersion {
    const m = this.version;
    if (this.stampsFromClock) {
      const c = this.clock;
      c.tickAt(nowMs);
      m.stampMs = c.ms;
      m.logical = c.logical;
    } else {
      // A zone that never syncs orders only its own versions of each key, which outrank()
      // does under the shard lock: the wall clock is stamp enough, without the node clock's lock.
      m.stampMs = wallStampMs(nowMs);
      m.logical = 0;
    }
    m.origin = this.nodeId;
    m.expireAtMs = expireAtMs;
    m.tombstone = tombstone;
    m.user = 0;
    return m;
  }

  /** Under the lock: makes this.version's stamp greater than that of the record it replaces. */
  protected outrank(existing: number): void {
    const shm = this.shm;
    const m = this.version;
    if (existing === 0) return;
    if (compareVersion(m.stampMs, m.logical, m.origin, shm.stampMs(existing), shm.logical(existing), shm.origin(existing)) > 0) return;
    m.stampMs = shm.stampMs(existing);
    m.logical = shm.logical(existing) + 1;
    if (m.logical > 0xffff) {
      m.stampMs += 1;
      m.logical = 0;
    }
  }

  /**
   * Under the shard's lock, in a zone that keys records by (key, origin): writes this node's
   * own record of the current key (its name in the scratch, the origin appended here) with
   * room for `valueLen` bytes, stamped to outrank `existing` (this node's record, or 0).
   * Returns the record, the caller then writing its value, and this.version holding the
   * stamp; 0 when the zone had no room.
   */
  protected writeOwnLocked(shard: number, existing: number, valueLen: number, expireAtMs: number, nowMs: number): number {
    const version = this.stampLocal(expireAtMs, false, nowMs);
    this.outrank(existing);
    this.shm.appendKeyU32(this.nodeId);
    return this.shm.writeLocked(shard, existing, valueLen, version, this.sync, nowMs);
  }

  /**
   * A local write of the current key (useKey) with `value` as its bytes. Throws
   * ZoneFullError when there is no room even after eviction; the zone is then unchanged
   * except for what eviction removed.
   */
  protected writeText(value: string, expireAtMs: number, tombstone: boolean, nowMs: number = this.now()): void {
    const shm = this.shm;
    const valueBytes = scratchText(value);
    shm.assertRecordFits(valueBytes);
    this.assertSyncable(shm.keyLength, valueBytes);
    const version = this.stampLocal(expireAtMs, tombstone, nowMs);
    const shard = shm.shardOfKey();
    let rec = 0;
    shm.lock(shard);
    try {
      const existing = shm.findLocked(shard, nowMs);
      this.outrank(existing);
      rec = shm.writeLocked(shard, existing, valueBytes, version, this.sync, nowMs);
      if (rec !== 0) copyScratchText(shm.memory.view, shm.valueOffset(rec), valueBytes);
    } finally {
      shm.unlock(shard);
    }
    if (rec === 0) throw new ZoneFullError(this.name, shm.keyLength, valueBytes);
    if (this.changes !== null) {
      this.changes.append(shm.keyView, 0, shm.keyLength, this.scratchViews.of(scratchTextBytes()), 0, valueBytes, version);
    }
  }

  /** Refuses a record of a synced zone that could never be sent (larger than one sync buffer). */
  protected assertSyncable(keyBytes: number, valueBytes: number): void {
    const limit = this.handle.descriptor.maxSyncedBytes;
    if (limit > 0 && keyBytes + valueBytes > limit) {
      throw new ZoneArgumentError(`zone "${this.name}": a record of ${keyBytes} key and ${valueBytes} value bytes is larger than one zone_sync_buffers buffer can send (${limit} bytes of key and value)`);
    }
  }

  /**
   * Deletes the current key. A synced zone writes a tombstone that reaches the cluster; it
   * lives `tombstoneTtlMs` past its own stamp (and never less than the record it replaces),
   * which outlives every older version of the key anywhere, as long as no version lives
   * longer than tombstoneTtlMs past its stamp (the module's longest lifetime: a version's
   * expiry is its writer's wall clock plus its lifetime, and a stamp is never behind the
   * writer's wall clock). A local zone removes the record. Either way this.version is then
   * the delete's version, and a journaled zone appends it to its change ring as a
   * tombstone. Returns whether a live value was there. Never fails for room: a tombstone
   * takes no more than the record it replaces.
   */
  protected deleteCurrent(tombstoneTtlMs: number): boolean {
    const shm = this.shm;
    const shard = shm.shardOfKey();
    let had = false;
    let full = false;
    const nowMs = this.now();
    shm.lock(shard);
    try {
      const existing = shm.findLocked(shard, nowMs);
      had = existing !== 0 && !shm.isTombstone(existing);
      if (had) {
        const version = this.stampLocal(0, true, nowMs);
        this.outrank(existing);
        version.expireAtMs = tombstoneExpiry(version.stampMs, tombstoneTtlMs, shm.expireAtMs(existing));
        if (this.sync) full = shm.writeLocked(shard, existing, 0, version, true, nowMs) === 0;
        else shm.removeLocked(shard, existing);
      }
    } finally {
      shm.unlock(shard);
    }
    if (full) throw new ZoneFullError(this.name, shm.keyLength, 0);
    if (had && this.changes !== null) this.changes.append(shm.keyView, 0, shm.keyLength, shm.keyView, 0, 0, this.version);
    return had;
  }

  /** Every unexpired record with its version, tombstones included, a bounded batch per lock. */
  versions(): VersionedRecord[] {
    return [...this.eachVersion()];
  }

  /**
   * versions() as a walk, a batch per lock taken as it goes (ZoneCursor: a record present
   * for the whole walk is seen exactly once; one written or removed meanwhile may or may not be).
   */
  *eachVersion(): Generator<VersionedRecord> {
    const cursor = new ZoneCursor(this.shm);
    const batch: VersionedRecord[] = [];
    while (!cursor.done) {
      cursor.step(256, (z, _shard, rec) => {
        batch.push({
          key: z.keyText(rec), value: z.valueText(rec), stampMs: z.stampMs(rec), logical: z.logical(rec),
          origin: z.origin(rec), expireAtMs: z.expireAtMs(rec), tombstone: z.isTombstone(rec),
        });
      });
      yield* batch;
      batch.length = 0;
    }
  }

  /**
   * Merges a version made elsewhere (another node, a state file) through the one merge
   * (RecordMerger): inserted if the key is absent, replacing the stored one only if
   * (stamp, logical, origin) is greater; an expired version is not stored. The clock moves
   * past its stamp. Returns whether it was applied.
   */
  applyRemote(record: VersionedRecord): boolean {
    const shm = this.shm;
    this.useKey(record.key); // a key over the limit is a ZoneArgumentError, as for a local write
    const keyLength = shm.keyLength;
    const value = new TextEncoder().encode(record.tombstone ? '' : record.value);
    shm.assertRecordFits(value.length);
    // Key then value in one buffer, merged by the same code as records from the wire.
    const bytes = new Uint8Array(keyLength + value.length);
    bytes.set(shm.key.subarray(0, keyLength));
    bytes.set(value, keyLength);
    this.clock.observe(record.stampMs, record.logical);
    this.merger ??= new RecordMerger(shm, this.handle.descriptor);
    const status = this.merger.mergeOne(bytes, {
      keyOffset: 0, keyLength, payloadOffset: keyLength, payloadLength: value.length, origin: record.origin,
      stampMs: record.stampMs, stampLogical: record.logical, expireAtMs: record.expireAtMs, tombstone: record.tombstone,
    }, this.now());
    if (status === APPLY_NO_MEMORY) throw new ZoneFullError(this.name, keyLength, value.length);
    return status === APPLY_INSERTED || status === APPLY_REPLACED;
  }

  stats(): ZoneStats {
    return this.shm.stats();
  }

  /**
   * Counts by a walk of the zone, a bounded batch per lock: `records`, the live records (no
   * tombstones, none expired); `pending`, those of them and the tombstones that wait in the
   * output queue to be sent (an expired one will never be). Exact as of the walk, where
   * stats() counts every record a shard holds, expired or deleted ones included.
   */
  liveCounts(): { records: number; pending: number } {
    let records = 0;
    let pending = 0;
    const cursor = new ZoneCursor(this.shm); // visits unexpired records only
    while (!cursor.done) {
      cursor.step(1024, (z, _shard, rec) => {
        if (!z.isTombstone(rec)) records++;
        if (z.isQueued(rec)) pending++;
      });
    }
    return { records, pending };
  }
}

/** A synced zone's limit on key + value bytes: its option, or none. */
function syncedBytesLimit(options: ZoneBaseOptions): number {
  const limit = options.maxSyncedBytes ?? 0;
  if (!Number.isInteger(limit) || limit < 0) throw new ZoneArgumentError(`zone "${options.name}": maxSyncedBytes must be a whole number of bytes`);
  return limit;
}

/** When a tombstone stamped at `stampMs` expires: `ttlMs` after its stamp, and never before `replacedExpireAtMs` (0 = never). */
export function tombstoneExpiry(stampMs: number, ttlMs: number, replacedExpireAtMs: number): number {
  if (ttlMs === 0 || replacedExpireAtMs === 0) return 0; // something may never expire: neither does the delete
  return Math.max(stampMs + ttlMs, replacedExpireAtMs);
}
