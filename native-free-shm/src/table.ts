import { ShmAssertionError, assert } from './assert.js';
import { copyBytes } from './copy.js';
import { hashView } from './hash.js';
import type { ZoneMemory } from './memory.js';
import { seqWriteBegin, seqWriteEnd } from './seqlock.js';
import { queuePushHead, queuePushTail, queueRemove, queueReplace } from './queue.js';
import { slabAlloc, slabBlockSize, slabFree, slabFreeingServes, slabPageBlocks } from './slab.js';
import {
  FLAG_QUEUED, FLAG_REFERENCED, FLAG_TOMBSTONE, MAX_LOGICAL, RECORD_HEADER_BYTES, R_EXPIRE_AT, R_FLAGS, R_HASH_NEXT, R_KEY,
  R_KEY_LEN, R_LOGICAL, R_LRU_NEXT, R_LRU_PREV, R_ORIGIN, R_OUT_NEXT, R_OUT_PREV, R_STAMP_MS, R_USER,
  R_VALUE_LEN, SHARD_HEADER_BYTES, S_DIRTY, S_EVICTIONS, S_ALLOC_FAILURES, S_EXPIRED, S_LRU_HEAD,
  S_OUT_HEAD, S_PENDING, S_RECORDS, S_TOMBSTONES,
} from './layout.js';

/**
 * The record table of one shard: a fixed array of buckets, each the head of a chain of
 * records linked through R_HASH_NEXT; an LRU queue; an output queue of records changed on
 * this node and not yet taken by the sync side. Every function expects the shard's lock,
 * and those that change the shard expect markDirty to have been called in the tenure.
 *
 * Invariants (checked by check.ts):
 *  - a record is in exactly one chain, the one of bucket `hash(key) & mask`, and in the LRU
 *    queue (head: most recently queued; FLAG_REFERENCED: used since, see layout.ts);
 *  - it is in the output queue iff FLAG_QUEUED is set, and S_PENDING counts those;
 *  - S_RECORDS counts the records, and each one is one slab block.
 */

/** Up to this many least recently used records are evicted to make room, as nginx does. */
export const EVICT_TRIES = 3;
/** Referenced records sent back to the LRU head while looking for one victim: a bound, not a policy. */
const SECOND_CHANCES = 64;

/**
 * A record's version: what decides which of two versions of a key wins (stamp, logical
 * counter, origin) and what the version says of the record (expiry, tombstone). Callers
 * pass it to every write as an argument; each keeps one object and refills it, so that
 * writes allocate nothing.
 */
export class RecordVersion {
  /** Hybrid clock milliseconds (> 0); with `logical` and `origin`, the order of versions. */
  stampMs = 0;
  logical = 0;
  origin = 0;
  /** Milliseconds since the epoch when the record expires; 0 = never. */
  expireAtMs = 0;
  tombstone = false;
  /** The module's byte of the record header (R_USER). */
  user = 0;
}

export function bucketWord(m: ZoneMemory, base: number, hash: number): number {
  return ((base + SHARD_HEADER_BYTES) >>> 2) + (hash & m.bucketMask);
}

/**
 * Called before every mutation of the shard under its lock (touchRecord's one-bit store
 * aside). The tenure's first call records the owner in S_DIRTY, after turning S_SEQ odd so
 * that lock-free readers keep off until unlock turns it even again (seqlock.ts).
 */
export function markDirty(m: ZoneMemory, base: number, ownerId: number): void {
  const dirtyWord = (base >>> 2) + S_DIRTY;
  const dirty = m.u32[dirtyWord]!;
  if (dirty === ownerId) return;
  // Not assert(): its message would be built on every write.
  if (dirty !== 0) throw new ShmAssertionError(`table: mutation by ${ownerId} of a shard that ${dirty} was changing`);
  seqWriteBegin(m, base);
  m.u32[dirtyWord] = ownerId;
}

/** Ends the tenure's mutations, if it had any: clears S_DIRTY, then S_SEQ goes even. */
export function markClean(m: ZoneMemory, base: number): void {
  const dirtyWord = (base >>> 2) + S_DIRTY;
  if (m.u32[dirtyWord] === 0) return;
  m.u32[dirtyWord] = 0;
  seqWriteEnd(m, base);
}

export function recordKeyLen(m: ZoneMemory, rec: number): number {
  return m.u16[(rec + R_KEY_LEN) >>> 1]!;
}

export function recordValueOffset(m: ZoneMemory, rec: number): number {
  return rec + R_KEY + m.u16[(rec + R_KEY_LEN) >>> 1]!;
}

/** Whether a record expiring at `expireAtMs` (0: never) has expired at `nowMs`. */
export function expiredAt(expireAtMs: number, nowMs: number): boolean {
  return expireAtMs !== 0 && expireAtMs <= nowMs;
}

export function recordExpired(m: ZoneMemory, rec: number, nowMs: number): boolean {
  return expiredAt(m.f64[(rec + R_EXPIRE_AT) >>> 3]!, nowMs);
}

/** Finds the record whose key equals key[0..keyLen) (`hash` being its hash). Returns its offset or 0. */
export function findRecord(m: ZoneMemory, base: number, key: DataView, keyLen: number, hash: number): number {
  const u32 = m.u32;
  const u16 = m.u16;
  for (let rec = u32[bucketWord(m, base, hash)]!; rec !== 0; rec = u32[(rec + R_HASH_NEXT) >>> 2]!) {
    if (u16[(rec + R_KEY_LEN) >>> 1] === keyLen && keyBytesEqual(m, rec + R_KEY, key, keyLen)) return rec;
  }
  return 0;
}

/**
 * Whether the zone's bytes at `at` equal key[0..keyLen), compared 4 at a time (keys that
 * share a bucket often share a long prefix). Bytes past the zone's end throw RangeError:
 * callers check the bound first.
 */
export function keyBytesEqual(m: ZoneMemory, at: number, key: DataView, keyLen: number): boolean {
  const view = m.view;
  let i = 0;
  for (const words = keyLen - 3; i < words; i += 4) {
    if (view.getUint32(at + i, true) !== key.getUint32(i, true)) return false;
  }
  for (; i < keyLen; i++) {
    if (view.getUint8(at + i) !== key.getUint8(i)) return false;
  }
  return true;
}

/** The hash a stored record was filed under: that of its key less the zone's suffix bytes. */
export function recordHash(m: ZoneMemory, rec: number): number {
  const hashed = m.u16[(rec + R_KEY_LEN) >>> 1]! - m.keySuffixBytes;
  return hashView(m.view, rec + R_KEY, hashed > 0 ? hashed : 0);
}

function chainUnlink(m: ZoneMemory, base: number, rec: number, replacement: number): void {
  const u32 = m.u32;
  let link = bucketWord(m, base, recordHash(m, rec));
  while (u32[link] !== rec) {
    // Reaching the chain's end means `rec` is no record of this table: stop, never loop.
    assert(u32[link] !== 0, 'table: unlink of a block that is not in its hash chain');
    link = (u32[link]! + R_HASH_NEXT) >>> 2;
  }
  if (replacement === 0) {
    u32[link] = u32[(rec + R_HASH_NEXT) >>> 2]!;
  } else {
    u32[(replacement + R_HASH_NEXT) >>> 2] = u32[(rec + R_HASH_NEXT) >>> 2]!;
    u32[link] = replacement;
  }
}

function outQueueRemove(m: ZoneMemory, base: number, rec: number): void {
  const w = base >>> 2;
  queueRemove(m, w + S_OUT_HEAD, R_OUT_PREV, R_OUT_NEXT, rec);
  m.u8[rec + R_FLAGS] &= ~FLAG_QUEUED;
  m.u32[w + S_PENDING]--;
}

/** Unlinks a record from everything and frees it. */
export function removeRecord(m: ZoneMemory, base: number, rec: number): void {
  const w = base >>> 2;
  chainUnlink(m, base, rec, 0);
  queueRemove(m, w + S_LRU_HEAD, R_LRU_PREV, R_LRU_NEXT, rec);
  if (m.u8[rec + R_FLAGS]! & FLAG_QUEUED) outQueueRemove(m, base, rec);
  if (m.u8[rec + R_FLAGS]! & FLAG_TOMBSTONE) m.u32[w + S_TOMBSTONES]--;
  m.u32[w + S_RECORDS]--;
  slabFree(m, base, rec);
}

/** Moves `rec` to the LRU head, unreferenced: it is now the most recently queued. */
export function moveToLruHead(m: ZoneMemory, base: number, rec: number): void {
  m.u8[rec + R_FLAGS] &= ~FLAG_REFERENCED;
  requeueAtLruHead(m, base, rec);
}

/** Moves `rec` to the LRU head as it is: referenced or not. */
function requeueAtLruHead(m: ZoneMemory, base: number, rec: number): void {
  const w = base >>> 2;
  if (m.u32[w + S_LRU_HEAD] === rec) return;
  queueRemove(m, w + S_LRU_HEAD, R_LRU_PREV, R_LRU_NEXT, rec);
  queuePushHead(m, w + S_LRU_HEAD, R_LRU_PREV, R_LRU_NEXT, rec);
}

/**
 * Marks `rec` used (CLOCK): one bit in a line the lookup has already read, written only when
 * not yet set, instead of unlinking and relinking three records. Never tears anything, so it
 * is the one store under the lock that needs no markDirty: a lock-free reader sees the flags
 * byte before or after it, and either is a true state of the record. Lock-free readers
 * never make it themselves (the block may be freed and reused under them).
 */
export function touchRecord(m: ZoneMemory, rec: number): void {
  const flags = m.u8[rec + R_FLAGS]!;
  if ((flags & FLAG_REFERENCED) === 0) m.u8[rec + R_FLAGS] = flags | FLAG_REFERENCED;
}

/**
 * The LRU tail once referenced records there have had their second chance (back to the
 * head, unreferenced), at most SECOND_CHANCES of them. 0 when the queue is empty.
 */
function lruVictim(m: ZoneMemory, base: number): number {
  const tailWord = (base >>> 2) + S_LRU_HEAD + 1;
  for (let chances = 0; ; chances++) {
    const tail = m.u32[tailWord]!;
    if (tail === 0 || chances === SECOND_CHANCES || (m.u8[tail + R_FLAGS]! & FLAG_REFERENCED) === 0) return tail;
    moveToLruHead(m, base, tail);
  }
}

/**
 * Removes up to `max` expired records from the LRU tail, stepping over up to `max`
 * referenced live ones on the way (to the head, still referenced); stops at the first
 * unreferenced live one. Only eviction (lruVictim) clears the referenced bit, as CLOCK's
 * hand: this sweep runs with every write, and a hot record that lost its bit here would
 * miss the lock-free read path (zone.ts readValueOptimistic) until a locked read set it again.
 */
export function expireFromTail(m: ZoneMemory, base: number, nowMs: number, max: number): number {
  const w = base >>> 2;
  let removed = 0;
  let spared = 0;
  while (removed < max) {
    const tail = m.u32[w + S_LRU_HEAD + 1]!;
    if (tail === 0) break;
    if (!recordExpired(m, tail, nowMs)) {
      if (spared === max || (m.u8[tail + R_FLAGS]! & FLAG_REFERENCED) === 0) break;
      requeueAtLruHead(m, base, tail);
      spared++;
      continue;
    }
    removeRecord(m, base, tail);
    removed++;
  }
  m.u32[w + S_EXPIRED] += removed;
  return removed;
}

/**
 * slabAlloc, evicting when the shard is full: first up to EVICT_TRIES least recently used
 * records, as nginx does; then, since those may all have been blocks of other size classes
 * (whose freed chunks cannot serve this request), the least recently used record among the
 * CLASS_SCAN oldest whose block certainly can (memcached keeps an LRU per class for the
 * same reason). `keep` is never evicted.
 */
function allocRecord(m: ZoneMemory, base: number, bytes: number, keep: number, nowMs: number): number {
  if (!m.evictLive) return allocRemovingExpired(m, base, bytes, nowMs);
  for (let tries = 0; ; tries++) {
    const rec = slabAlloc(m, base, bytes);
    if (rec !== 0) return rec;
    if (tries === EVICT_TRIES) break;
    const victim = lruVictim(m, base);
    if (victim === 0 || victim === keep) break;
    evict(m, base, victim);
  }
  const victim = sameClassVictim(m, base, bytes, keep);
  if (victim !== 0) {
    evict(m, base, victim);
    const rec = slabAlloc(m, base, bytes);
    assert(rec !== 0, 'slab: freeing a block that fits did not make room');
    return rec;
  }
  // A small request needs one free page; a large one would need a run that a page seldom makes.
  if (bytes <= 1 << m.maxSmallShift && evictOldestPage(m, base, keep)) {
    const rec = slabAlloc(m, base, bytes);
    if (rec !== 0) return rec;
  }
  m.u32[(base >>> 2) + S_ALLOC_FAILURES]++;
  return 0;
}

/** Records a full shard of a zone without live eviction looks at for expired ones, per failed allocation. */
const EXPIRED_SCAN = 256;

/**
 * slabAlloc in a zone that never evicts a live record: when the shard is full, removes the
 * expired records among the EXPIRED_SCAN least recently used (wherever they sit: expiries
 * differ per record), then tries once more. 0 when that made no room: the write fails.
 */
function allocRemovingExpired(m: ZoneMemory, base: number, bytes: number, nowMs: number): number {
  const rec = slabAlloc(m, base, bytes);
  if (rec !== 0) return rec;
  let removed = 0;
  let at = m.u32[(base >>> 2) + S_LRU_HEAD + 1]!;
  for (let n = 0; n < EXPIRED_SCAN && at !== 0; n++) {
    const newer = m.u32[(at + R_LRU_PREV) >>> 2]!;
    if (recordExpired(m, at, nowMs)) {
      removeRecord(m, base, at);
      removed++;
    }
    at = newer;
  }
  m.u32[(base >>> 2) + S_EXPIRED] += removed;
  const retry = removed === 0 ? 0 : slabAlloc(m, base, bytes);
  if (retry === 0) m.u32[(base >>> 2) + S_ALLOC_FAILURES]++;
  return retry;
}

/**
 * The last resort when no old record has a block of the request's class: every page is cut
 * into chunks of other classes (or holds a large block). Evicts every record of the page
 * holding the oldest record, which returns that page to the free runs (memcached's slab
 * rebalancer moves pages between classes the same way). In a zone every slab block is a
 * record (check.ts verifies it), so the page's used chunks are all records. Returns false,
 * evicting nothing, when the page holds `keep`.
 */
function evictOldestPage(m: ZoneMemory, base: number, keep: number): boolean {
  const oldest = m.u32[(base >>> 2) + S_LRU_HEAD + 1]!;
  if (oldest === 0) return false;
  const blocks = slabPageBlocks(m, base, oldest);
  if (blocks.includes(keep)) return false;
  for (const rec of blocks) evict(m, base, rec);
  return true;
}

/** Oldest records looked at for one whose block a request can reuse. */
const CLASS_SCAN = 32;

function sameClassVictim(m: ZoneMemory, base: number, bytes: number, keep: number): number {
  let rec = m.u32[(base >>> 2) + S_LRU_HEAD + 1]!;
  for (let n = 0; n < CLASS_SCAN && rec !== 0; n++, rec = m.u32[(rec + R_LRU_PREV) >>> 2]!) {
    if (rec !== keep && slabFreeingServes(m, base, rec, bytes)) return rec;
  }
  return 0;
}

function evict(m: ZoneMemory, base: number, victim: number): void {
  removeRecord(m, base, victim);
  m.u32[(base >>> 2) + S_EVICTIONS]++;
}

function setVersion(m: ZoneMemory, base: number, rec: number, version: RecordVersion, valueLen: number): void {
  assert(version.logical >= 0 && version.logical <= MAX_LOGICAL, 'record: logical counter out of 0..0xffff');
  m.u32[(rec + R_ORIGIN) >>> 2] = version.origin;
  m.u16[(rec + R_LOGICAL) >>> 1] = version.logical;
  m.u32[(rec + R_VALUE_LEN) >>> 2] = valueLen;
  m.f64[(rec + R_STAMP_MS) >>> 3] = version.stampMs;
  m.f64[(rec + R_EXPIRE_AT) >>> 3] = version.expireAtMs;
  m.u8[rec + R_USER] = version.user;
  const flags = m.u8[rec + R_FLAGS]!;
  const wasTombstone = (flags & FLAG_TOMBSTONE) !== 0;
  if (wasTombstone !== version.tombstone) m.u32[(base >>> 2) + S_TOMBSTONES] += version.tombstone ? 1 : -1;
  m.u8[rec + R_FLAGS] = (flags & (FLAG_QUEUED | FLAG_REFERENCED)) | (version.tombstone ? FLAG_TOMBSTONE : 0);
}

/** A new record of the key, linked in its chain and at the LRU head; writeRecord then sets its version (setVersion). */
function newRecord(m: ZoneMemory, base: number, key: DataView, keyLen: number, hash: number, valueLen: number, nowMs: number): number {
  const rec = allocRecord(m, base, RECORD_HEADER_BYTES + keyLen + valueLen, 0, nowMs);
  if (rec === 0) return 0;
  const w = base >>> 2;
  const u32 = m.u32;
  const u8 = m.u8;
  // Of the header, only what writeRecord's setVersion and the links below leave unset: the
  // output links (0 = not queued) and the flags. Stores, not fill(): a builtin call costs more.
  u32[(rec + R_OUT_PREV) >>> 2] = 0;
  u32[(rec + R_OUT_NEXT) >>> 2] = 0;
  u8[rec + R_FLAGS] = 0;
  m.u16[(rec + R_KEY_LEN) >>> 1] = keyLen;
  copyBytes(key, 0, m.view, rec + R_KEY, keyLen);
  const bucket = bucketWord(m, base, hash);
  u32[(rec + R_HASH_NEXT) >>> 2] = u32[bucket]!;
  u32[bucket] = rec;
  queuePushHead(m, w + S_LRU_HEAD, R_LRU_PREV, R_LRU_NEXT, rec);
  u32[w + S_RECORDS]++;
  return rec;
}

/** Moves `rec` to a larger block, keeping its place in every list. Returns the new offset or 0. */
function growRecord(m: ZoneMemory, base: number, rec: number, valueLen: number, nowMs: number): number {
  const w = base >>> 2;
  const keyLen = recordKeyLen(m, rec);
  moveToLruHead(m, base, rec); // never its own eviction victim
  const moved = allocRecord(m, base, RECORD_HEADER_BYTES + keyLen + valueLen, rec, nowMs);
  if (moved === 0) return 0;
  m.u8.copyWithin(moved, rec, rec + RECORD_HEADER_BYTES + keyLen);
  chainUnlink(m, base, rec, moved);
  queueReplace(m, w + S_LRU_HEAD, R_LRU_PREV, R_LRU_NEXT, rec, moved);
  if (m.u8[rec + R_FLAGS]! & FLAG_QUEUED) queueReplace(m, w + S_OUT_HEAD, R_OUT_PREV, R_OUT_NEXT, rec, moved);
  slabFree(m, base, rec);
  return moved;
}

/**
 * Writes `version` of the key with room for `valueLen` value bytes, in place when the
 * record's block has room. `queue`: the version was made on this node and enters the
 * output queue; otherwise (a merged version) the record leaves the queue if it was in it.
 * `nowMs` tells expired records, which a zone without live eviction removes to make room.
 * Returns the record's offset (the caller then writes the value at recordValueOffset), or 0
 * when no memory could be found even after eviction; then the shard is as it was, except
 * for what eviction removed.
 */
export function writeRecord(
  m: ZoneMemory, base: number, key: DataView, keyLen: number, hash: number,
  existing: number, valueLen: number, version: RecordVersion, queue: boolean, nowMs: number,
): number {
  let rec = existing;
  if (rec === 0) {
    rec = newRecord(m, base, key, keyLen, hash, valueLen, nowMs);
  } else if (slabBlockSize(m, base, rec) < RECORD_HEADER_BYTES + keyLen + valueLen) {
    rec = growRecord(m, base, rec, valueLen, nowMs);
  } else {
    touchRecord(m, rec);
  }
  if (rec === 0) return 0;
  setVersion(m, base, rec, version, valueLen);
  const queued = (m.u8[rec + R_FLAGS]! & FLAG_QUEUED) !== 0;
  if (queue && !queued) {
    queuePushTail(m, (base >>> 2) + S_OUT_HEAD, R_OUT_PREV, R_OUT_NEXT, rec);
    m.u8[rec + R_FLAGS] |= FLAG_QUEUED;
    m.u32[(base >>> 2) + S_PENDING]++;
  } else if (!queue && queued) {
    outQueueRemove(m, base, rec); // a newer remote version supersedes the unsent local one
  }
  return rec;
}

/** Pops up to `max` records from the head of the output queue, oldest change first. */
export function popOutput(m: ZoneMemory, base: number): number {
  const rec = m.u32[(base >>> 2) + S_OUT_HEAD]!;
  if (rec !== 0) outQueueRemove(m, base, rec);
  return rec;
}

export { outQueueRemove };
