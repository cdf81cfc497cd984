import { ZoneCursor } from 'native-free-shm';
import { MODULE_COUNTER, ORIGIN_SUFFIX_BYTES } from '../descriptor.js';
import { ZoneArgumentError, ZoneFullError } from '../errors.js';
import { KeyGroup } from '../key-group.js';
import { timeMsOf, type TimeInput } from '../options.js';
import { compareStamp, type Stamp } from '../payload-bytes.js';
import { ZoneBase, type AttachZoneOptions, type ZoneBaseOptions, type ZoneHandleOf } from '../zone-base.js';
import { COUNT_BYTES, emptyCount, readCount, writeCount, type Count } from './count-codec.js';
import { NO_WINDOW, windowEndAt, windowStartAt } from './window.js';

export interface CounterZoneOptions extends ZoneBaseOptions {
  /** The window of calls that give none ("1m", or ms): counts lapse at its end. Default: none, counts never lapse. */
  window?: TimeInput;
  /** Longest key in bytes (before the 4-byte origin); default 256. */
  maxKeyBytes?: number;
}

export interface CounterSettings {
  /** The window of calls that give none, ms; 0: none. */
  windowMs: number;
}

export type CounterHandle = ZoneHandleOf<CounterSettings>;

export interface CountOptions {
  /**
   * The window this key is counted in ("15m", or ms; 0: none); default the zone's. A key is
   * meant to be counted with one window: a call with another sees only the counts made with it.
   */
  window?: TimeInput;
}

export interface AddOptions extends CountOptions {
  /** An add below 0 stops at this value (as this node sees the count): a decrement that keeps it at 0 or more. */
  min?: number;
  /** false: while the key is blocked, the add counts nothing (default true). */
  countWhileBlocked?: boolean;
}

/** A key's count as this node sees the cluster's, and its window. */
export interface CounterState {
  /** The sum of every node's adds (less what was taken away) in the current window. */
  value: number;
  /** When the current window ends, ms since the epoch; 0 with no window. */
  resetAtMs: number;
  /** Until when the key is blocked (block()), ms since the epoch; 0 when it is not. */
  blockedUntilMs: number;
}

export interface BlockOptions extends CountOptions {
  /** Reset the key in the same write (count to 0, earlier blocks lifted). */
  reset?: boolean;
}

/** The fields of a count that take the stamp of the write that makes them. */
const STAMP_RESET = 1;
const STAMP_BLOCK = 2;

/** At most this many other nodes' counts are read per key; more are ignored. */
const MAX_SHARES = 64;
/** The longest window or block, ms: some 35 years, so that every time stays below 2^53. */
const MAX_SPAN_MS = 2 ** 40;

/**
 * A counter per key for every thread of a node and, with `sync`, for the cluster: each node
 * keeps its own count of a key, the record (key, node), written only by that node, and a
 * key's value is the sum of every node's count, as they arrive (a grow-and-shrink counter
 * merged by origin, never last-writer-wins between nodes). Adds are atomic across threads
 * (the shard's lock). Counts can be kept in fixed windows, which every node computes alike
 * (window.ts), so that a count lapses everywhere at the same moment.
 *
 * reset() stamps this node's count, at 0, as the key's latest reset: a count that has not
 * applied it counts no more, and a node applies it at its next write, starting again from 0;
 * so the key is at 0 here at once and everywhere once this count arrives, and what a node
 * adds before it hears of the reset is dropped (a reset wins over adds made concurrently).
 * block() marks the key blocked until a time; a reset lifts every block made before it.
 * docs/PROTOCOL.md "Payloads" (counter) and "Merging" hold the rules.
 */
export class CounterZone extends ZoneBase<CounterSettings> {
  readonly settings: CounterSettings;
  private readonly group = new KeyGroup(MAX_SHARES, COUNT_BYTES);
  /** The key's counts as readLocked found them: this node's, and the others' (group.count of them). */
  private readonly own: Count = emptyCount();
  private readonly others: Count[] = Array.from({ length: MAX_SHARES }, emptyCount);
  private readonly next: Count = emptyCount();
  /** Found by readLocked: the current window, the value in it, the block in force. */
  private windowStartMs = 0;
  private windowEndMs = 0;
  private value = 0;
  private blockedUntilMs = 0;
  private ownInWindow = false;
  private readonly latestReset: Stamp = { ms: 0, logical: 0 };
  /** The last window given as text, parsed: the same one comes back call after call. */
  private lastWindowText = '';
  private lastWindowMs = 0;

  static create(options: CounterZoneOptions): CounterZone {
    const settings: CounterSettings = { windowMs: windowMsOf(options.window ?? NO_WINDOW, options.name) };
    const maxKeyBytes = (options.maxKeyBytes ?? 256) + ORIGIN_SUFFIX_BYTES;
    const parts = ZoneBase.createParts(options, 'counter', MODULE_COUNTER, settings, { maxKeyBytes, keySuffixBytes: ORIGIN_SUFFIX_BYTES });
    return new CounterZone(parts.handle, parts.shm, parts.now);
  }

  static attach(handle: CounterHandle, options: AttachZoneOptions = {}): CounterZone {
    const parts = ZoneBase.attachShm(handle, options);
    return new CounterZone(handle, parts.shm, parts.now);
  }

  private constructor(handle: CounterHandle, shm: CounterZone['shm'], now: () => number) {
    super(handle, shm, now);
    this.settings = handle.settings;
  }

  /** Adds `n` (a whole number, below 0 to take away) to `key`'s count; returns the state after. */
  add(key: string, n = 1, options: AddOptions = {}): CounterState {
    if (!Number.isSafeInteger(n)) throw new ZoneArgumentError(`counter zone "${this.name}": the amount must be a whole number, not ${n}`);
    const min = options.min;
    if (min !== undefined && !Number.isSafeInteger(min)) throw new ZoneArgumentError(`counter zone "${this.name}": min must be a whole number, not ${min}`);
    const add = this.pendingAdd;
    add.n = n;
    add.min = min ?? Number.NEGATIVE_INFINITY;
    add.skipWhileBlocked = options.countWhileBlocked === false;
    return this.change(key, options, this.applyAdd);
  }

  /** The add being made (reused, with applyAdd bound once: an add allocates no closure). */
  private readonly pendingAdd = { n: 0, min: 0, skipWhileBlocked: false };
  private readonly applyAdd = (now: number): boolean => {
    const { n, min, skipWhileBlocked } = this.pendingAdd;
    if (skipWhileBlocked && this.blockedUntilMs !== 0) return false;
    const delta = n < 0 ? Math.max(n, Math.min(0, min - this.value)) : n;
    if (delta === 0) return false;
    const next = this.nextCount(now);
    if (delta > 0) next.added = safeSum(next.added, delta);
    else next.taken = safeSum(next.taken, -delta);
    this.value += delta;
    return true;
  };

  /** `key`'s count as this node sees the cluster's. */
  get(key: string, options: CountOptions = {}): CounterState {
    return this.change(key, options, writeNothing);
  }

  /**
   * Brings `key`'s count to 0 for the whole cluster and lifts every block of it: at once
   * here, at every node as this count arrives; what a node adds before it hears of the reset
   * is dropped too. Returns false when there was nothing to reset (a count of 0, no block).
   */
  reset(key: string, options: CountOptions = {}): boolean {
    let had = false;
    this.change(key, options, (now) => {
      had = this.value !== 0 || this.blockedUntilMs !== 0;
      if (!had) return false;
      this.resetCount(now);
      return STAMP_RESET;
    });
    return had;
  }

  /** This node's count to write for a reset: at 0, with no block. */
  private resetCount(now: number): Count {
    const next = this.nextCount(now);
    next.added = next.taken = 0;
    next.blockedUntilMs = 0;
    next.blockStamp.ms = next.blockStamp.logical = 0;
    this.value = 0;
    this.blockedUntilMs = 0;
    return next;
  }

  /**
   * Blocks `key` for `forMs` from now, for the whole cluster (until reset()): blockedUntilMs of
   * every state, the latest of the blocks in force. A block never shortens one in force.
   * `reset`: the key is reset in the same write (its count to 0, earlier blocks lifted), so
   * that no node sees the one without the other.
   */
  block(key: string, forMs: TimeInput, options: BlockOptions = {}): CounterState {
    const ms = timeMsOf(forMs, `counter zone "${this.name}": block`);
    if (!Number.isInteger(ms) || ms < 1 || ms > MAX_SPAN_MS) throw new ZoneArgumentError(`counter zone "${this.name}": a block lasts a whole number of ms from 1 to 2^40, not ${ms}`);
    return this.change(key, options, (now) => {
      const next = options.reset ? this.resetCount(now) : this.nextCount(now);
      next.blockedUntilMs = Math.max(next.blockedUntilMs, now + ms); // never shortens a block of its own in force
      this.blockedUntilMs = Math.max(this.blockedUntilMs, next.blockedUntilMs);
      return options.reset ? STAMP_RESET | STAMP_BLOCK : STAMP_BLOCK;
    });
  }

  /** Every key with a count here (live records, any node's), those starting with `prefix`, each once. */
  keys(prefix = ''): string[] {
    const keys = new Set<string>();
    const decoder = new TextDecoder();
    const cursor = new ZoneCursor(this.shm);
    while (!cursor.done) {
      cursor.step(256, (z, _shard, rec) => {
        const at = z.keyOffset(rec);
        const key = decoder.decode(z.memory.u8.subarray(at, at + z.keyLen(rec) - ORIGIN_SUFFIX_BYTES));
        if (key.startsWith(prefix)) keys.add(key);
      });
    }
    return [...keys];
  }

  /**
   * Reads `key`'s counts under its shard's lock and lets `apply` change this.next (its own
   * count to write, from nextCount): it returns false to write nothing, true to write, or the
   * fields of the count that take the write's own stamp (STAMP_RESET, STAMP_BLOCK).
   */
  private change(key: string, options: CountOptions, apply: (now: number) => boolean | number): CounterState {
    const windowMs = this.windowMsOfCall(options.window);
    const shm = this.shm;
    this.useKey(key);
    const shard = shm.shardOfKey();
    const now = this.now();
    let full = false;
    shm.lock(shard);
    try {
      this.readLocked(shard, now, windowMs);
      const write = apply(now);
      if (write === STAMP_RESET && !this.sync) {
        if (this.group.own !== 0) shm.removeLocked(shard, this.group.own); // no other node's count here: none left
      } else if (write !== false) full = !this.writeOwnCount(shard, now, write === true ? 0 : write);
    } finally {
      shm.unlock(shard);
    }
    if (full) throw new ZoneFullError(this.name, shm.keyLength, COUNT_BYTES);
    return { value: this.value, resetAtMs: this.windowEndMs, blockedUntilMs: this.blockedUntilMs };
  }

  /**
   * Under the lock: reads the key's counts. The value is the sum over the counts of the
   * current window; the block in force is the latest `blocked_until` still ahead among the
   * blocks stamped after the latest reset of the key.
   */
  private readLocked(shard: number, now: number, windowMs: number): void {
    const shm = this.shm;
    const u8 = shm.memory.u8;
    const group = this.group;
    const start = windowStartAt(now, windowMs, shm.keyHash); // the hash of the key, origin left out
    const end = windowEndAt(start, windowMs);
    group.collect(shm, shard, now, this.nodeId);
    const own = group.ownHeld ? readCount(u8, shm.valueOffset(group.own), this.own) : clearCount(this.own);
    this.windowStartMs = start;
    this.windowEndMs = end;
    const latest = this.latestReset;
    latest.ms = own.resetStamp.ms;
    latest.logical = own.resetStamp.logical;
    for (let i = 0; i < group.count; i++) {
      const other = readCount(u8, shm.valueOffset(group.others[i]!), this.others[i]!);
      if (compareStamp(other.resetStamp, latest) > 0) {
        latest.ms = other.resetStamp.ms;
        latest.logical = other.resetStamp.logical;
      }
    }
    this.ownInWindow = group.ownHeld && this.counts(own);
    let value = this.ownInWindow ? own.added - own.taken : 0;
    for (let i = 0; i < group.count; i++) {
      const other = this.others[i]!;
      if (this.counts(other)) value += other.added - other.taken;
    }
    this.value = value;
    let blocked = group.ownHeld ? blockInForce(own, latest, now) : 0;
    for (let i = 0; i < group.count; i++) blocked = Math.max(blocked, blockInForce(this.others[i]!, latest, now));
    this.blockedUntilMs = blocked;
  }

  /** Whether a count counts: it is of the current window, and its node had applied the latest reset. */
  private counts(count: Count): boolean {
    return count.windowStartMs === this.windowStartMs && count.windowEndMs === this.windowEndMs && compareStamp(count.resetStamp, this.latestReset) === 0;
  }

  /**
   * This node's count to write: its count of the current window, or a new one (a new window,
   * or a reset it had not applied: what it added before hearing of the reset is dropped) that
   * keeps its block, and applies the latest reset.
   */
  private nextCount(now: number): Count {
    const next = this.next;
    const own = this.own;
    next.windowStartMs = this.windowStartMs;
    next.windowEndMs = this.windowEndMs;
    next.added = this.ownInWindow ? own.added : 0;
    next.taken = this.ownInWindow ? own.taken : 0;
    const blockLasts = blockInForce(own, this.latestReset, now) !== 0; // a block a reset lifted is not carried on
    next.blockedUntilMs = blockLasts ? own.blockedUntilMs : 0;
    next.blockStamp.ms = blockLasts ? own.blockStamp.ms : 0;
    next.blockStamp.logical = blockLasts ? own.blockStamp.logical : 0;
    next.resetStamp.ms = this.latestReset.ms;
    next.resetStamp.logical = this.latestReset.logical;
    return next;
  }

  /**
   * Under the lock: writes this.next as this node's count; false when the zone had no room.
   * It lives to the end of its window or its block, whichever is later (never, with no
   * window); a reset lives as long as every count of the key here, so that no block it
   * lifted outlives it. `stamped`: the fields that take this write's own stamp.
   */
  private writeOwnCount(shard: number, now: number, stamped: number): boolean {
    const next = this.next;
    let expireAtMs = next.windowEndMs === 0 ? 0 : Math.max(next.windowEndMs, next.blockedUntilMs);
    if ((stamped & STAMP_RESET) !== 0) expireAtMs = this.group.latestExpiry(this.shm, expireAtMs);
    const rec = this.writeOwnLocked(shard, this.group.own, COUNT_BYTES, expireAtMs, now);
    if (rec === 0) return false;
    const version = this.version;
    if ((stamped & STAMP_RESET) !== 0) copyStamp(next.resetStamp, version.stampMs, version.logical);
    if ((stamped & STAMP_BLOCK) !== 0) copyStamp(next.blockStamp, version.stampMs, version.logical);
    writeCount(this.shm.memory.u8, this.shm.valueOffset(rec), next);
    return true;
  }


  private windowMsOfCall(window: TimeInput | undefined): number {
    if (window === undefined) return this.settings.windowMs;
    if (typeof window === 'string' && window === this.lastWindowText) return this.lastWindowMs;
    const ms = windowMsOf(window, this.name);
    if (typeof window === 'string') {
      this.lastWindowText = window;
      this.lastWindowMs = ms;
    }
    return ms;
  }
}

/**
 * A count's block, if it is in force: not yet over, and stamped at or after the latest reset
 * (a block made in the same write as the reset holds; one made before it is lifted).
 */
function blockInForce(count: Count, latestReset: Stamp, now: number): number {
  return count.blockedUntilMs > now && compareStamp(count.blockStamp, latestReset) >= 0 ? count.blockedUntilMs : 0;
}

function writeNothing(): false {
  return false;
}

function copyStamp(stamp: Stamp, ms: number, logical: number): void {
  stamp.ms = ms;
  stamp.logical = logical;
}

function clearCount(count: Count): Count {
  count.windowStartMs = count.windowEndMs = count.added = count.taken = count.blockedUntilMs = 0;
  count.blockStamp.ms = count.blockStamp.logical = count.resetStamp.ms = count.resetStamp.logical = 0;
  return count;
}

/** a + b, held at 2^53 − 1: counts never leave the numbers a record may carry. */
function safeSum(a: number, b: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, a + b);
}

function windowMsOf(window: TimeInput, zone: string): number {
  const ms = timeMsOf(window, `counter zone "${zone}": window`);
  if (!Number.isInteger(ms) || ms > MAX_SPAN_MS) throw new ZoneArgumentError(`counter zone "${zone}": a window is a whole number of ms up to 2^40 (0: none), not ${ms}`);
  return ms;
}
