import type { ZoneMemory } from './memory.js';
import { queuePushHead, queuePushTail, queueRemove, queueReplace } from './queue.js';
import { slabAlloc, slabBlockSize, slabFree } from './slab.js';
import {
  FLAG_QUEUED, FLAG_TOMBSTONE, RECORD_HEADER_BYTES, R_EXPIRE_AT, R_FLAGS, R_HASH, R_HASH_NEXT, R_KEY,
  R_KEY_LEN, R_LOGICAL, R_LRU_NEXT, R_LRU_PREV, R_ORIGIN, R_OUT_NEXT, R_OUT_PREV, R_STAMP_MS, R_USER,
  R_VALUE_LEN, SHARD_HEADER_BYTES, S_DIRTY, S_EVICTIONS, S_ALLOC_FAILURES, S_EXPIRED, S_LRU_HEAD,
  S_OUT_HEAD, S_PENDING, S_RECORDS,
} from './layout.js';

/**
 * The record table of one shard: a fixed array of buckets, each the head of a chain of
 * records linked through R_HASH_NEXT; an LRU queue; an output queue of records changed on
 * this node and not yet taken by the sync side. Every function expects the shard's lock.
 *
 * Invariants (checked by check.ts):
 *  - a record is in exactly one chain, the one of bucket `hash & mask`, and in the LRU queue;
 *  - it is in the output queue iff FLAG_QUEUED is set, and S_PENDING counts those;
 *  - S_RECORDS counts the records, and each one is one slab block.
 */

/** Up to this many least recently used records are evicted to make room, as nginx does. */
export const EVICT_TRIES = 3;

/** The fields of a record version, passed by a reused object so that writes allocate nothing. */
export class RecordMeta {
  stampMs = 0;
  logical = 0;
  origin = 0;
  expireAtMs = 0;
  tombstone = false;
  /** A version made on this node: it enters the output queue. */
  local = true;
  user = 0;
}

export function bucketWord(m: ZoneMemory, base: number, hash: number): number {
  return ((base + SHARD_HEADER_BYTES) >>> 2) + (hash & m.bucketMask);
}

export function markDirty(m: ZoneMemory, base: number, ownerId: number): void {
  m.u32[(base >>> 2) + S_DIRTY] = ownerId;
}

export function recordKeyLen(m: ZoneMemory, rec: number): number {
  return m.u16[(rec + R_KEY_LEN) >>> 1]!;
}

export function recordValueOffset(m: ZoneMemory, rec: number): number {
  return rec + R_KEY + m.u16[(rec + R_KEY_LEN) >>> 1]!;
}

export function recordExpired(m: ZoneMemory, rec: number, nowMs: number): boolean {
  const at = m.f64[(rec + R_EXPIRE_AT) >>> 3]!;
  return at !== 0 && at <= nowMs;
}

/** Finds the record whose key equals key[0..keyLen). Returns its offset or 0. */
export function findRecord(m: ZoneMemory, base: number, key: Uint8Array, keyLen: number, hash: number): number {
  const u32 = m.u32;
  const u8 = m.u8;
  for (let rec = u32[bucketWord(m, base, hash)]!; rec !== 0; rec = u32[(rec + R_HASH_NEXT) >>> 2]!) {
    if (u32[(rec + R_HASH) >>> 2] !== hash || m.u16[(rec + R_KEY_LEN) >>> 1] !== keyLen) continue;
    const k = rec + R_KEY;
    let i = 0;
    while (i < keyLen && u8[k + i] === key[i]) i++;
    if (i === keyLen) return rec;
  }
  return 0;
}

function chainUnlink(m: ZoneMemory, base: number, rec: number, replacement: number): void {
  const u32 = m.u32;
  let link = bucketWord(m, base, u32[(rec + R_HASH) >>> 2]!);
  while (u32[link] !== rec) link = (u32[link]! + R_HASH_NEXT) >>> 2;
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
  m.u32[w + S_RECORDS]--;
  slabFree(m, base, rec);
}

export function touchRecord(m: ZoneMemory, base: number, rec: number): void {
  const w = base >>> 2;
  if (m.u32[w + S_LRU_HEAD] === rec) return;
  queueRemove(m, w + S_LRU_HEAD, R_LRU_PREV, R_LRU_NEXT, rec);
  queuePushHead(m, w + S_LRU_HEAD, R_LRU_PREV, R_LRU_NEXT, rec);
}

/** Removes up to `max` expired records from the LRU tail; stops at the first live one. */
export function expireFromTail(m: ZoneMemory, base: number, nowMs: number, max: number): number {
  const w = base >>> 2;
  let removed = 0;
  while (removed < max) {
    const tail = m.u32[w + S_LRU_HEAD + 1]!;
    if (tail === 0 || !recordExpired(m, tail, nowMs)) break;
    removeRecord(m, base, tail);
    removed++;
  }
  m.u32[w + S_EXPIRED] += removed;
  return removed;
}

/** slabAlloc, evicting up to EVICT_TRIES least recently used records when the shard is full. */
function allocRecord(m: ZoneMemory, base: number, bytes: number, keep: number): number {
  const w = base >>> 2;
  for (let tries = 0; ; tries++) {
    const rec = slabAlloc(m, base, bytes);
    if (rec !== 0) return rec;
    const victim = m.u32[w + S_LRU_HEAD + 1]!;
    if (tries === EVICT_TRIES || victim === 0 || victim === keep) {
      m.u32[w + S_ALLOC_FAILURES]++;
      return 0;
    }
    removeRecord(m, base, victim);
    m.u32[w + S_EVICTIONS]++;
  }
}

function setMeta(m: ZoneMemory, rec: number, meta: RecordMeta, valueLen: number): void {
  m.u32[(rec + R_ORIGIN) >>> 2] = meta.origin;
  m.u32[(rec + R_LOGICAL) >>> 2] = meta.logical;
  m.u32[(rec + R_VALUE_LEN) >>> 2] = valueLen;
  m.f64[(rec + R_STAMP_MS) >>> 3] = meta.stampMs;
  m.f64[(rec + R_EXPIRE_AT) >>> 3] = meta.expireAtMs;
  m.u8[rec + R_USER] = meta.user;
  const queued = m.u8[rec + R_FLAGS]! & FLAG_QUEUED;
  m.u8[rec + R_FLAGS] = queued | (meta.tombstone ? FLAG_TOMBSTONE : 0);
}

function newRecord(m: ZoneMemory, base: number, key: Uint8Array, keyLen: number, hash: number, valueLen: number): number {
  const rec = allocRecord(m, base, RECORD_HEADER_BYTES + keyLen + valueLen, 0);
  if (rec === 0) return 0;
  const w = base >>> 2;
  const u32 = m.u32;
  u32.fill(0, rec >>> 2, (rec + RECORD_HEADER_BYTES) >>> 2);
  u32[(rec + R_HASH) >>> 2] = hash;
  m.u16[(rec + R_KEY_LEN) >>> 1] = keyLen;
  m.u8.set(key.subarray(0, keyLen), rec + R_KEY);
  const bucket = bucketWord(m, base, hash);
  u32[(rec + R_HASH_NEXT) >>> 2] = u32[bucket]!;
  u32[bucket] = rec;
  queuePushHead(m, w + S_LRU_HEAD, R_LRU_PREV, R_LRU_NEXT, rec);
  u32[w + S_RECORDS]++;
  return rec;
}

/** Moves `rec` to a larger block, keeping its place in every list. Returns the new offset or 0. */
function growRecord(m: ZoneMemory, base: number, rec: number, valueLen: number): number {
  const w = base >>> 2;
  const keyLen = recordKeyLen(m, rec);
  touchRecord(m, base, rec); // never its own eviction victim
  const moved = allocRecord(m, base, RECORD_HEADER_BYTES + keyLen + valueLen, rec);
  if (moved === 0) return 0;
  m.u8.copyWithin(moved, rec, rec + RECORD_HEADER_BYTES + keyLen);
  chainUnlink(m, base, rec, moved);
  queueReplace(m, w + S_LRU_HEAD, R_LRU_PREV, R_LRU_NEXT, rec, moved);
  if (m.u8[rec + R_FLAGS]! & FLAG_QUEUED) queueReplace(m, w + S_OUT_HEAD, R_OUT_PREV, R_OUT_NEXT, rec, moved);
  slabFree(m, base, rec);
  return moved;
}

/**
 * Writes a version of the key with room for `valueLen` value bytes, in place when the
 * record's block has room. Returns the record's offset (the caller then writes the value at
 * recordValueOffset), or 0 when no memory could be found even after eviction; then the
 * shard is as it was, except for what eviction removed.
 */
export function writeRecord(
  m: ZoneMemory, base: number, key: Uint8Array, keyLen: number, hash: number,
  existing: number, valueLen: number, meta: RecordMeta,
): number {
  let rec = existing;
  if (rec === 0) {
    rec = newRecord(m, base, key, keyLen, hash, valueLen);
  } else if (slabBlockSize(m, base, rec) < RECORD_HEADER_BYTES + keyLen + valueLen) {
    rec = growRecord(m, base, rec, valueLen);
  } else {
    touchRecord(m, base, rec);
  }
  if (rec === 0) return 0;
  setMeta(m, rec, meta, valueLen);
  const queued = (m.u8[rec + R_FLAGS]! & FLAG_QUEUED) !== 0;
  if (meta.local && !queued) {
    queuePushTail(m, (base >>> 2) + S_OUT_HEAD, R_OUT_PREV, R_OUT_NEXT, rec);
    m.u8[rec + R_FLAGS] |= FLAG_QUEUED;
    m.u32[(base >>> 2) + S_PENDING]++;
  } else if (!meta.local && queued) {
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
