import { readStampBytes, readU64, u64IsSafe, writeStampBytes, writeU64, type Stamp } from '../payload-bytes.js';

/**
 * One node's count of a key in a counter zone, in the wire's payload layout of module tag 5,
 * version 1 (docs/PROTOCOL.md "Payloads"), so the sync thread copies it untouched; every
 * field a big-endian u64:
 *
 *   window_start   ms since the epoch: the window this count belongs to starts…
 *   window_end     …and ends (both 0: no window, the count never lapses)
 *   added          what this node added to the key in that window
 *   taken          what this node took away in that window (decrements, and the value it
 *                  saw when it reset the key)
 *   blocked_until  ms since the epoch until which this node blocked the key; 0: none
 *   block_stamp    the stamp (ms × 65536 + logical) of that block; 0: none
 *   reset_stamp    the stamp of this node's latest reset of the key; 0: none
 *
 * The numbers other than stamps are at most 2^53 − 1 (a record with more is refused).
 */
export const COUNT_BYTES = 56;

const WINDOW_START = 0;
const WINDOW_END = 8;
const ADDED = 16;
const TAKEN = 24;
const BLOCKED_UNTIL = 32;
const BLOCK_STAMP = 40;
const RESET_STAMP = 48;

export interface Count {
  windowStartMs: number;
  windowEndMs: number;
  added: number;
  taken: number;
  blockedUntilMs: number;
  blockStamp: Stamp;
  resetStamp: Stamp;
}

export function emptyCount(): Count {
  return { windowStartMs: 0, windowEndMs: 0, added: 0, taken: 0, blockedUntilMs: 0, blockStamp: { ms: 0, logical: 0 }, resetStamp: { ms: 0, logical: 0 } };
}

export function writeCount(u8: Uint8Array, offset: number, count: Count): void {
  writeU64(u8, offset + WINDOW_START, count.windowStartMs);
  writeU64(u8, offset + WINDOW_END, count.windowEndMs);
  writeU64(u8, offset + ADDED, count.added);
  writeU64(u8, offset + TAKEN, count.taken);
  writeU64(u8, offset + BLOCKED_UNTIL, count.blockedUntilMs);
  writeStampBytes(u8, offset + BLOCK_STAMP, count.blockStamp);
  writeStampBytes(u8, offset + RESET_STAMP, count.resetStamp);
}

export function readCount(u8: Uint8Array, offset: number, out: Count): Count {
  out.windowStartMs = readU64(u8, offset + WINDOW_START);
  out.windowEndMs = readU64(u8, offset + WINDOW_END);
  out.added = readU64(u8, offset + ADDED);
  out.taken = readU64(u8, offset + TAKEN);
  out.blockedUntilMs = readU64(u8, offset + BLOCKED_UNTIL);
  readStampBytes(u8, offset + BLOCK_STAMP, out.blockStamp);
  readStampBytes(u8, offset + RESET_STAMP, out.resetStamp);
  return out;
}

/** Whether the count at `offset` is one a node could have written: its numbers at most 2^53 − 1, its window in order. */
export function countValid(u8: Uint8Array, offset: number, length: number): boolean {
  if (length !== COUNT_BYTES) return false;
  for (const field of [WINDOW_START, WINDOW_END, ADDED, TAKEN, BLOCKED_UNTIL]) if (!u64IsSafe(u8, offset + field)) return false;
  return readU64(u8, offset + WINDOW_START) <= readU64(u8, offset + WINDOW_END);
}
