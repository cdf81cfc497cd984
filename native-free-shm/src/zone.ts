import { assert } from './assert.js';
import { copyBytes, viewOf } from './copy.js';
import { computeGeometry, writeZoneHeader, type ZoneOptions } from './geometry.js';
import { asciiHash, copyAndHashView, encodeAsciiAndHash, hashView } from './hash.js';
import {
  FLAG_QUEUED, FLAG_REFERENCED, FLAG_TOMBSTONE, MAX_SHARDS, RECORD_HEADER_BYTES, R_HASH_NEXT, R_EXPIRE_AT, R_FLAGS, R_KEY, R_KEY_LEN, R_LOGICAL, R_ORIGIN, R_STAMP_MS, R_USER,
  R_VALUE_LEN, S_DIRTY, S_EXPIRED, S_OUT_HEAD, S_LOCK, S_LOCK_WAITS, S_RESETS, USER_AREA_BYTES, USER_AREA_OFFSET, Z_OWNER_SEQ,
} from './layout.js';
import { ZoneMemory } from './memory.js';
import { DEFAULT_SPIN_ROUNDS, lockWord, tryLockWord, unlockWord } from './mutex.js';
import { GAVE_UP, findRecordOptimistic, valueLengthOptimistic } from './optimistic-read.js';
import { seqEnsureEven, seqEnsureOdd, seqRead, seqUnchanged } from './seqlock.js';
import { initShard } from './shard-init.js';
import { slabMaxBlock } from './slab.js';
import { readStats, type ZoneStats } from './stats.js';
import {
  RecordVersion, bucketWord, expireFromTail, expiredAt, findRecord, keyBytesEqual, markClean, markDirty, popOutput, recordExpired, recordKeyLen,
  recordValueOffset, removeRecord, touchRecord, writeRecord,
} from './table.js';
import { encodeText, textReader, type TextReader } from './text.js';

/** What another thread needs to attach to a zone: structured-clonable (workerData, postMessage). */
export interface ZoneHandle {
  readonly buffer: SharedArrayBuffer;
}

export interface AttachOptions {
  /** Id written in lock words while this handle holds them; unique per thread, never 0. */
  ownerId?: number;
  /** Spin rounds before sleeping on a contended lock. */
  spinRounds?: number;
  /** Clock for expiry, in milliseconds since the epoch; tests inject their own. */
  now?: () => number;
}

export const WRITE_OK = 0;
export const WRITE_NO_MEMORY = 1;
export type WriteStatus = typeof WRITE_OK | typeof WRITE_NO_MEMORY;

export const APPLY_INSERTED = 0;
export const APPLY_REPLACED = 1;
export const APPLY_IGNORED = 2;
export const APPLY_NO_MEMORY = 3;
export type ApplyStatus = typeof APPLY_INSERTED | typeof APPLY_REPLACED | typeof APPLY_IGNORED | typeof APPLY_NO_MEMORY;

/** Records removed by the bounded expiry sweep that runs with every write. */
const SWEEP_PER_WRITE = 2;

/** (aMs, aLogical, aOrigin) compared with the record's version: > 0 when a is newer. */
export function compareVersion(aMs: number, aLogical: number, aOrigin: number, bMs: number, bLogical: number, bOrigin: number): number {
  if (aMs !== bMs) return aMs > bMs ? 1 : -1;
  if (aLogical !== bLogical) return aLogical > bLogical ? 1 : -1;
  if (aOrigin !== bOrigin) return aOrigin > bOrigin ? 1 : -1;
  return 0;
}

/**
 * One thread's handle on a zone. The zone's state lives in the SharedArrayBuffer; this
 * object holds the thread's views, its owner id and its scratch buffers.
 *
 * The key of an operation is first put in the handle's scratch (setKey), which also
 * hashes it; `shardOfKey` then names the shard whose lock the `…Locked` forms expect.
 * Writes take the record's version (RecordVersion) as an argument. readCurrent takes and
 * releases the lock itself; every `…Locked` form is called with the lock held.
 */
export class ShmZone {
  readonly handle: ZoneHandle;
  readonly memory: ZoneMemory;
  readonly ownerId: number;
  readonly spinRounds: number;
  readonly now: () => number;
  /** The current key's bytes (thread-local) and its length and hash. */
  readonly key: Uint8Array;
  /** A view of `key`, for word copies, compares and hashing. */
  readonly keyView: DataView;
  keyLength = 0;
  keyHash = 0;
  /** Decodes UTF-8 out of the zone's memory: `readText(offset, length)`. */
  readonly readText: TextReader;
  private readonly shardBits: number;
  /** readValueOptimistic's scratch: optimisticExpired before the answer is validated. */
  private expiredSeen = false;
  /** Largest record (header, key, value) a shard can hold. */
  readonly maxRecordBytes: number;
  /**
   * After readValueOptimistic returned non-null: the expiry (ms since the epoch, 0 = never)
   * of the record its answer came from, 0 when the key had no record. Stale otherwise.
   * Starts as -0 (=== 0), a double: expiries are beyond V8's small integers, and a field
   * that starts as one would change the object's shape (deoptimizing its callers) on the
   * first store of an expiry.
   */
  optimisticExpireAtMs = -0;
  /** After readValueOptimistic returned non-null: whether it was undefined because the record had expired. */
  optimisticExpired = false;
  /**
   * The byte array last given to setKeyBytes or applyLocked, and a view of it: callers pass
   * the same receive buffer frame after frame, so the view is made once per buffer, not per
   * call. Holds on to that one array until another comes.
   */
  private sourceBytes: Uint8Array | null = null;
  private sourceView: DataView | null = null;

  static create(options: ZoneOptions, attach: AttachOptions = {}): ShmZone {
    const g = computeGeometry(options);
    const buffer = new SharedArrayBuffer(g.sizeBytes);
    writeZoneHeader(new Uint32Array(buffer), g);
    const memory = new ZoneMemory(buffer);
    for (let i = 0; i < g.shards; i++) initShard(memory, memory.shardBase(i));
    return new ShmZone({ buffer }, memory, attach);
  }

  static attach(handle: ZoneHandle, attach: AttachOptions = {}): ShmZone {
    return new ShmZone({ buffer: handle.buffer }, new ZoneMemory(handle.buffer), attach);
  }

  private constructor(handle: ZoneHandle, memory: ZoneMemory, options: AttachOptions) {
    this.handle = handle;
    this.memory = memory;
    this.ownerId = options.ownerId ?? Atomics.add(memory.i32, Z_OWNER_SEQ, 1);
    assert(Number.isInteger(this.ownerId) && this.ownerId > 0 && this.ownerId <= 0x7fffffff, 'owner id must be a positive 31-bit integer');
    this.spinRounds = options.spinRounds ?? DEFAULT_SPIN_ROUNDS;
    this.now = options.now ?? Date.now;
    this.key = new Uint8Array(memory.maxKeyBytes);
    this.keyView = viewOf(this.key);
    this.readText = textReader(memory.u8);
    this.shardBits = Math.log2(memory.shardCount);
    this.maxRecordBytes = slabMaxBlock(memory);
    assert(memory.shardCount <= MAX_SHARDS, 'too many shards');
  }

  private viewOfSource(bytes: Uint8Array): DataView {
    if (bytes !== this.sourceBytes || this.sourceView === null) {
      this.sourceView = viewOf(bytes);
      this.sourceBytes = bytes;
    }
    return this.sourceView;
  }

  get shardCount(): number {
    return this.memory.shardCount;
  }

  /** The zone's header bytes reserved for the module that owns the zone. */
  userArea(): Uint8Array {
    return new Uint8Array(this.memory.buffer, USER_AREA_OFFSET, USER_AREA_BYTES);
  }

  /** Counters summed over the shards, read without taking locks. */
  stats(): ZoneStats {
    return readStats(this.memory);
  }

  // --- keys -------------------------------------------------------------------------------

  setKey(key: string): void {
    if (!this.trySetKey(key)) throw new RangeError(`key is longer than the zone's limit of ${this.memory.maxKeyBytes} bytes`);
  }

  /** setKey, returning false (the current key then undefined) when the key is over the limit. */
  trySetKey(key: string): boolean {
    const ascii = encodeAsciiAndHash(key, this.keyView);
    if (ascii >= 0) {
      this.keyLength = ascii;
      this.keyHash = asciiHash;
      return true;
    }
    const n = encodeText(key, this.key, 0);
    if (n < 0) return false;
    this.keyLength = n;
    this.keyHash = hashView(this.keyView, 0, n);
    return true;
  }

  setKeyBytes(bytes: Uint8Array, offset: number, length: number): void {
    if (length > this.memory.maxKeyBytes) {
      throw new RangeError(`key of ${length} bytes is longer than the zone's limit of ${this.memory.maxKeyBytes} bytes`);
    }
    if (!(offset >= 0 && offset + length <= bytes.length)) {
      throw new RangeError(`key bytes ${offset}..${offset + length} are outside the ${bytes.length}-byte array`);
    }
    this.keyHash = copyAndHashView(this.viewOfSource(bytes), offset, length, this.keyView);
    this.keyLength = length;
  }

  /**
   * Appends `value` as 4 big-endian bytes to the current key (keys made of a name and a
   * number, such as a rate-limit bucket and the node owning a share of it). In a zone whose
   * hash leaves out a 4-byte suffix, the hash stays that of the name; otherwise it is redone.
   */
  appendKeyU32(value: number): void {
    const n = this.keyLength;
    if (n + 4 > this.memory.maxKeyBytes) {
      throw new RangeError(`key of ${n + 4} bytes is longer than the zone's limit of ${this.memory.maxKeyBytes} bytes`);
    }
    const k = this.key;
    k[n] = value >>> 24;
    k[n + 1] = (value >>> 16) & 0xff;
    k[n + 2] = (value >>> 8) & 0xff;
    k[n + 3] = value & 0xff;
    this.keyLength = n + 4;
    if (this.memory.keySuffixBytes !== 4) this.keyHash = hashView(this.keyView, 0, n + 4);
  }

  /** Shard of the current key: the hash's top bits (the bucket uses the low bits). */
  shardOfKey(): number {
    return this.shardBits === 0 ? 0 : this.keyHash >>> (32 - this.shardBits);
  }

  // --- locks ------------------------------------------------------------------------------

  lock(shard: number): void {
    const m = this.memory;
    const w = m.shardBase(shard) >>> 2;
    lockWord(m.i32, w + S_LOCK, this.ownerId, this.spinRounds, w + S_LOCK_WAITS);
  }

  tryLock(shard: number): boolean {
    return tryLockWord(this.memory.i32, (this.memory.shardBase(shard) >>> 2) + S_LOCK, this.ownerId);
  }

  unlock(shard: number): void {
    const m = this.memory;
    const base = m.shardBase(shard);
    markClean(m, base); // every mutation of this tenure is complete: S_SEQ even again
    unlockWord(m.i32, (base >>> 2) + S_LOCK, this.ownerId);
  }

  /**
   * Opens every shard lock held by `deadOwnerId`, a thread that died holding it. A shard
   * whose holder died in the middle of a mutation is reset to empty (its records are lost,
   * its structures sound: peers resend by snapshot); otherwise it is kept as it is.
   * Returns the number of shards unlocked.
   */
  forceUnlock(deadOwnerId: number): number {
    const m = this.memory;
    let opened = 0;
    for (let s = 0; s < m.shardCount; s++) {
      const base = m.shardBase(s);
      const w = base >>> 2;
      if (Atomics.compareExchange(m.i32, w + S_LOCK, deadOwnerId, this.ownerId) !== deadOwnerId) continue;
      if (m.u32[w + S_DIRTY] === deadOwnerId) this.resetTornShard(base);
      // The dead holder may have stopped between S_SEQ going odd and S_DIRTY being set (or
      // between S_DIRTY cleared and S_SEQ even): end its tenure. S_SEQ only ever grows.
      seqEnsureEven(m, base);
      this.unlock(s);
      opened++;
    }
    return opened;
  }

  /**
   * Empties a shard whose dead holder left it half changed. S_SEQ stays odd throughout (it
   * already is, see seqlock.ts), so that no lock-free reader trusts what it reads meanwhile;
   * the reset leaves S_SEQ where it is rather than zeroing it.
   */
  private resetTornShard(base: number): void {
    const m = this.memory;
    const w = base >>> 2;
    seqEnsureOdd(m, base);
    const resets = m.u32[w + S_RESETS]!;
    initShard(m, base);
    m.u32[w + S_RESETS] = resets + 1;
  }

  /** The shard's sequence word (seqlock.ts): odd while a lock holder is changing the shard. */
  shardSeq(shard: number): number {
    return seqRead(this.memory, this.memory.shardBase(shard)) >>> 0;
  }

  /** True when `ownerId` holds any shard lock of this zone. */
  holdsAnyLock(ownerId: number): boolean {
    const m = this.memory;
    for (let s = 0; s < m.shardCount; s++) if (Atomics.load(m.i32, (m.shardBase(s) >>> 2) + S_LOCK) === ownerId) return true;
    return false;
  }

  // --- locked primitives (the caller holds shard's lock and has set the key) ---------------

  /** The live record of the current key (tombstones included), or 0. Expired ones are removed. */
  findLocked(shard: number, nowMs: number): number {
    const m = this.memory;
    const base = m.shardBase(shard);
    const rec = findRecord(m, base, this.keyView, this.keyLength, this.keyHash);
    if (rec === 0 || !recordExpired(m, rec, nowMs)) return rec;
    this.removeExpiredLocked(base, rec);
    return 0;
  }

  /**
   * findLocked that reads the clock only when the record found can expire: a clock read
   * (Date.now, some 50 ns) is a large share of a lookup whose record has no expiry.
   */
  findLiveLocked(shard: number): number {
    const m = this.memory;
    const base = m.shardBase(shard);
    const rec = findRecord(m, base, this.keyView, this.keyLength, this.keyHash);
    if (rec === 0 || m.f64[(rec + R_EXPIRE_AT) >>> 3] === 0 || !recordExpired(m, rec, this.now())) return rec;
    this.removeExpiredLocked(base, rec);
    return 0;
  }

  private removeExpiredLocked(base: number, rec: number): void {
    const m = this.memory;
    markDirty(m, base, this.ownerId);
    removeRecord(m, base, rec);
    m.u32[(base >>> 2) + S_EXPIRED]++;
  }

  /** Throws RangeError when a record of the current key and `valueLen` could never be stored. */
  assertRecordFits(valueLen: number): void {
    if (RECORD_HEADER_BYTES + this.keyLength + valueLen > this.maxRecordBytes) {
      throw new RangeError(`record of ${this.keyLength} key and ${valueLen} value bytes is larger than the largest block of the zone (${this.maxRecordBytes} bytes)`);
    }
  }

  /**
   * Writes `version` of the current key with room for `valueLen` bytes; `existing` is the
   * key's record from findLocked (or 0). `queue`: a version made on this node, for the
   * output queue (a zone that syncs); false leaves the record out of the queue. Returns the
   * record; the caller writes the value at valueOffset(rec). Returns 0 when the shard has
   * no room even after eviction. `nowMs`, for the expiry sweep, saves a clock read when the
   * caller has just read it. The caller has ordered `version` after `existing`'s.
   */
  writeLocked(shard: number, existing: number, valueLen: number, version: RecordVersion, queue: boolean, nowMs: number = this.now()): number {
    const m = this.memory;
    const base = m.shardBase(shard);
    this.assertRecordFits(valueLen);
    markDirty(m, base, this.ownerId);
    const rec = writeRecord(m, base, this.keyView, this.keyLength, this.keyHash, existing, valueLen, version, queue, nowMs);
    if (rec !== 0) expireFromTail(m, base, nowMs, SWEEP_PER_WRITE);
    return rec;
  }

  removeLocked(shard: number, rec: number): void {
    const m = this.memory;
    const base = m.shardBase(shard);
    markDirty(m, base, this.ownerId);
    removeRecord(m, base, rec);
  }

  /**
   * Announces a change to the shard's memory made by the caller itself (a value rewritten in
   * place, a block of its own from slabAlloc) rather than by a …Locked method, which all
   * announce theirs. Must come before the first such store of the lock tenure: from here to
   * unlock, lock-free readers of the shard (readValueOptimistic) keep off.
   */
  markDirtyLocked(shard: number): void {
    markDirty(this.memory, this.memory.shardBase(shard), this.ownerId);
  }

  /**
   * Marks the record used, which protects it from eviction as a move to the LRU head would
   * (CLOCK, see layout.ts FLAG_REFERENCED). A one-byte store: no dirty marker needed.
   */
  touchLocked(_shard: number, rec: number): void {
    touchRecord(this.memory, rec);
  }

  /** Takes the oldest record off the shard's output queue (it stays in the table), or 0. */
  popOutputLocked(shard: number): number {
    const m = this.memory;
    const base = m.shardBase(shard);
    markDirty(m, base, this.ownerId);
    return popOutput(m, base);
  }

  /**
   * Finds every unexpired record whose key is the current key followed by exactly the zone's
   * suffix bytes (the shares of one rate-limit bucket, one per origin) and returns how many
   * there are; the first `out.length` of them are stored in `out`. They all live in the
   * current key's bucket, because the hash leaves the suffix out.
   */
  keyGroupLocked(shard: number, nowMs: number, out: Uint32Array): number {
    const m = this.memory;
    const suffix = m.keySuffixBytes;
    assert(suffix > 0, 'keyGroupLocked needs a zone created with keySuffixBytes');
    const keyLength = this.keyLength;
    const want = keyLength + suffix;
    const u16 = m.u16;
    const u32 = m.u32;
    let n = 0;
    for (let rec = u32[bucketWord(m, m.shardBase(shard), this.keyHash)]!; rec !== 0; rec = u32[(rec + R_HASH_NEXT) >>> 2]!) {
      if (u16[(rec + R_KEY_LEN) >>> 1] !== want || recordExpired(m, rec, nowMs)) continue;
      if (!keyBytesEqual(m, rec + R_KEY, this.keyView, keyLength)) continue;
      if (n < out.length) out[n] = rec;
      n++;
    }
    return n;
  }

  /** The oldest record of the shard's output queue, left in place, or 0. */
  peekOutputLocked(shard: number): number {
    return this.memory.u32[(this.memory.shardBase(shard) >>> 2) + S_OUT_HEAD]!;
  }

  /**
   * Whether the shard's output queue looked non-empty, read WITHOUT the lock: a hint for
   * skipping idle shards, to be rechecked under the lock (the answer may be stale at once).
   */
  outputQueuedHint(shard: number): boolean {
    return Atomics.load(this.memory.i32, (this.memory.shardBase(shard) >>> 2) + S_OUT_HEAD) !== 0;
  }

  /** Removes up to `max` expired records from the shard's LRU tail. */
  expireLocked(shard: number, nowMs: number, max: number): number {
    const m = this.memory;
    const base = m.shardBase(shard);
    markDirty(m, base, this.ownerId);
    return expireFromTail(m, base, nowMs, max);
  }

  /**
   * The conditional write of a version made elsewhere (never queued for output): insert if
   * the key is absent, replace if (stamp, logical, origin) is greater, else ignore. On
   * insert or replace, `value[valueOffset..+valueLen)` is copied in. `nowMs`, for expiry,
   * spares two clock reads per record to a caller that applies a batch on one reading of
   * the clock. A range outside `value` is a RangeError before anything changes.
   */
  applyLocked(shard: number, version: RecordVersion, value: Uint8Array, valueOffset: number, valueLen: number, nowMs: number = this.now()): ApplyStatus {
    if (!(valueOffset >= 0 && valueLen >= 0 && valueOffset + valueLen <= value.length)) {
      throw new RangeError(`value bytes ${valueOffset}..${valueOffset + valueLen} are outside the ${value.length}-byte array`);
    }
    const existing = this.findLocked(shard, nowMs);
    if (existing !== 0 && compareVersion(
      version.stampMs, version.logical, version.origin,
      this.stampMs(existing), this.logical(existing), this.origin(existing),
    ) <= 0) return APPLY_IGNORED;
    const rec = this.writeLocked(shard, existing, valueLen, version, false, nowMs);
    if (rec === 0) return APPLY_NO_MEMORY;
    copyBytes(this.viewOfSource(value), valueOffset, this.memory.view, this.valueOffset(rec), valueLen);
    return existing === 0 ? APPLY_INSERTED : APPLY_REPLACED;
  }

  // --- record fields ---------------------------------------------------------------------

  keyOffset(rec: number): number { return rec + R_KEY; }
  keyLen(rec: number): number { return recordKeyLen(this.memory, rec); }
  valueOffset(rec: number): number { return recordValueOffset(this.memory, rec); }
  valueLen(rec: number): number { return this.memory.u32[(rec + R_VALUE_LEN) >>> 2]!; }
  origin(rec: number): number { return this.memory.u32[(rec + R_ORIGIN) >>> 2]!; }
  stampMs(rec: number): number { return this.memory.f64[(rec + R_STAMP_MS) >>> 3]!; }
  logical(rec: number): number { return this.memory.u16[(rec + R_LOGICAL) >>> 1]!; }
  expireAtMs(rec: number): number { return this.memory.f64[(rec + R_EXPIRE_AT) >>> 3]!; }
  isTombstone(rec: number): boolean { return (this.memory.u8[rec + R_FLAGS]! & FLAG_TOMBSTONE) !== 0; }
  /** In the output queue: a change of this node's not yet taken by the sync side. */
  isQueued(rec: number): boolean { return (this.memory.u8[rec + R_FLAGS]! & FLAG_QUEUED) !== 0; }
  userByte(rec: number): number { return this.memory.u8[rec + R_USER]!; }
  keyText(rec: number): string { return this.readText(rec + R_KEY, this.keyLen(rec)); }
  valueText(rec: number): string { return this.readText(this.valueOffset(rec), this.valueLen(rec)); }

  // --- lock-free reads -------------------------------------------------------------------

  /**
   * The value of the current key (setKey), read WITHOUT the shard's lock, by the seqlock
   * protocol (seqlock.ts). `shard` must be shardOfKey(). Answers:
   *  - a string: the key's live value, exactly as it was at one moment (never torn);
   *  - undefined: at that moment the key had no record, a tombstone, or an expired record
   *    (expired at `nowMs`; the clock is read only when the record has an expiry and no
   *    `nowMs` is given). The record is left in place: this path never writes;
   *  - null: no answer. A writer was busy in the shard, or the record was not yet marked
   *    used (FLAG_REFERENCED), or the read saw a state no sound shard holds. The caller then
   *    does the locked read (lock, findLiveLocked, touchLocked, valueText, unlock), which
   *    marks the record used, so the next read of a hot key succeeds here.
   * It never throws, never loops without bound, never allocates more than one value's string,
   * and never stores into shared memory: the LRU bit of a record is set only under the lock,
   * since without it the record's block may be freed and reused at any moment.
   * After a non-null answer, optimisticExpireAtMs holds the expiry of the record it came
   * from (0 when there was none): a caller such as sticky can decide to refresh it, under
   * the lock; optimisticExpired tells an expired record from an absent or deleted one, for
   * a caller that drops expired records on access (get), under the lock.
   */
  readValueOptimistic(shard: number, nowMs?: number): string | undefined | null {
    const m = this.memory;
    const base = m.shardBase(shard);
    const seq = seqRead(m, base);
    if ((seq & 1) !== 0) return null;
    const rec = findRecordOptimistic(m, base, this.keyView, this.keyLength, this.keyHash);
    if (rec === GAVE_UP) return null;
    const expireAtMs = rec === 0 ? 0 : m.f64[(rec + R_EXPIRE_AT) >>> 3]!;
    this.expiredSeen = false;
    const value = rec === 0 ? undefined : this.liveValueOptimistic(base, rec, expireAtMs, nowMs, seq);
    if (value === null || !seqUnchanged(m, base, seq)) return null;
    this.optimisticExpireAtMs = expireAtMs;
    this.optimisticExpired = this.expiredSeen;
    return value;
  }

  /**
   * readValueOptimistic's answer for the record it found (unvalidated, like every read of
   * it). The value's length is validated by the seqlock BEFORE the value is decoded, so a
   * torn length never makes a string larger than the record's block.
   */
  private liveValueOptimistic(base: number, rec: number, expireAtMs: number, nowMs: number | undefined, seq: number): string | undefined | null {
    const m = this.memory;
    const flags = m.u8[rec + R_FLAGS]!;
    this.expiredSeen = expireAtMs !== 0 && expiredAt(expireAtMs, nowMs ?? this.now());
    if (this.expiredSeen || (flags & FLAG_TOMBSTONE) !== 0) return undefined;
    if ((flags & FLAG_REFERENCED) === 0) return null;
    const length = valueLengthOptimistic(m, base, rec, this.keyLength, this.maxRecordBytes);
    if (length === GAVE_UP || !seqUnchanged(m, base, seq)) return null;
    return this.readText(rec + R_KEY + this.keyLength, length);
  }

  // --- reads under the lock ------------------------------------------------------------

  /**
   * The value of the current key (setKey) if live and not deleted, refreshing its place in
   * the LRU queue: lock-free when it can (a hot key), else under the shard's lock, which
   * also marks the record used and drops it if it has expired. Exceptions from the locked
   * part leave the lock released.
   */
  readCurrent(): string | undefined {
    const shard = this.shardOfKey();
    const optimistic = this.readValueOptimistic(shard);
    if (optimistic !== null && !this.optimisticExpired) return optimistic;
    // Under the lock: the record was unknown to the lock-free read, or expired (dropped here).
    return this.readCurrentWithLock(shard);
  }

  /** readCurrent's read under the lock, which it takes (not a …Locked form): find (dropping an expired record), mark used, decode. */
  readCurrentWithLock(shard: number = this.shardOfKey()): string | undefined {
    let value: string | undefined;
    this.lock(shard);
    try {
      const rec = this.findLiveLocked(shard);
      if (rec !== 0 && !this.isTombstone(rec)) {
        this.touchLocked(shard, rec);
        value = this.valueText(rec);
      }
    } finally {
      this.unlock(shard);
    }
    return value;
  }
}

let textScratch = new Uint8Array(1024);
let textScratchView = viewOf(textScratch);

/** Encodes into a thread-local scratch buffer, grown in steps; returns the byte count. */
export function scratchText(s: string): number {
  for (;;) {
    const n = encodeText(s, textScratch, 0);
    if (n >= 0) return n;
    textScratch = new Uint8Array(textScratch.length * 4);
    textScratchView = viewOf(textScratch);
  }
}

export function scratchTextBytes(): Uint8Array {
  return textScratch;
}

/** Copies the first `length` bytes of the scratch (scratchText's result) to `view` at `offset`. */
export function copyScratchText(view: DataView, offset: number, length: number): void {
  copyBytes(textScratchView, 0, view, offset, length);
}
