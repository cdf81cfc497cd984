import type { ZoneMemory } from './memory.js';
import { RECORD_HEADER_BYTES, R_HASH_NEXT, R_KEY, R_KEY_LEN, R_VALUE_LEN } from './layout.js';
import { bucketWord, keyBytesEqual } from './table.js';

/**
 * Lookups made WITHOUT the shard's lock, for the seqlock read path (zone.ts
 * readValueOptimistic). Any word read here may be garbage left by a writer in the middle of
 * a change (a freed block's free-list link, half of a moved record), so every offset and
 * length is checked before it is used: a walk stays inside the shard's pages, takes a
 * bounded number of steps, and gives up (GAVE_UP) at the first word that cannot be true.
 * Nothing here writes to shared memory. The caller validates the answer with the seqlock.
 */

/** Chain steps before giving up: real chains are a few records long (one bucket per record). */
export const MAX_CHAIN_STEPS = 64;
/** A walk met a word no sound shard holds, or went on too long: ask again under the lock. */
export const GAVE_UP = -1;

/** First byte of the shard's pages: every record lies in [pagesStart, pagesEnd). */
function pagesStart(m: ZoneMemory, base: number): number {
  return base + m.pagesOffset;
}

function pagesEnd(m: ZoneMemory, base: number): number {
  return base + m.pagesOffset + (m.pagesPerShard << m.pageShift);
}

/** Whether `rec` could be a record of the shard: 8-aligned, its header inside the pages. */
function plausibleRecord(rec: number, start: number, end: number): boolean {
  return (rec & 7) === 0 && rec >= start && rec + RECORD_HEADER_BYTES <= end;
}

/**
 * The record whose key is key[0..keyLen) in the chain of `hash`'s bucket, 0 when the chain
 * (as read) has none, GAVE_UP when it holds an implausible link or is too long.
 */
export function findRecordOptimistic(m: ZoneMemory, base: number, key: DataView, keyLen: number, hash: number): number {
  const u32 = m.u32;
  const u16 = m.u16;
  const start = pagesStart(m, base);
  const end = pagesEnd(m, base);
  let rec = u32[bucketWord(m, base, hash)]!;
  for (let steps = 0; rec !== 0; steps++) {
    if (steps === MAX_CHAIN_STEPS || !plausibleRecord(rec, start, end)) return GAVE_UP;
    const k = rec + R_KEY;
    if (u16[(rec + R_KEY_LEN) >>> 1] === keyLen) {
      if (k + keyLen > end) return GAVE_UP;
      if (keyBytesEqual(m, k, key, keyLen)) return rec;
    }
    rec = u32[(rec + R_HASH_NEXT) >>> 2]!;
  }
  return 0;
}

/**
 * The value length of `rec` (found by findRecordOptimistic with a key of `keyLen` bytes), or
 * GAVE_UP when the record would be larger than any block (`maxRecordBytes`) or end past the
 * shard's pages.
 */
export function valueLengthOptimistic(m: ZoneMemory, base: number, rec: number, keyLen: number, maxRecordBytes: number): number {
  const length = m.u32[(rec + R_VALUE_LEN) >>> 2]!;
  if (length > maxRecordBytes - RECORD_HEADER_BYTES - keyLen) return GAVE_UP;
  if (rec + R_KEY + keyLen + length > pagesEnd(m, base)) return GAVE_UP;
  return length;
}
