import { stampHighWord, stampLogicalFromWords, stampLowWord, stampMsFromWords } from '../clock.js';

/**
 * Big-endian integers in a record's payload bytes, as the wire carries them (docs/PROTOCOL.md
 * "Payloads"): the modules whose payloads are numbers (limit_req, counter) write their
 * records with these, so the sync thread copies them untouched.
 */

export function writeU32(u8: Uint8Array, offset: number, v: number): void {
  u8[offset] = v >>> 24;
  u8[offset + 1] = (v >>> 16) & 0xff;
  u8[offset + 2] = (v >>> 8) & 0xff;
  u8[offset + 3] = v & 0xff;
}

export function readU32(u8: Uint8Array, offset: number): number {
  return ((u8[offset]! << 24) | (u8[offset + 1]! << 16) | (u8[offset + 2]! << 8) | u8[offset + 3]!) >>> 0;
}

/** A whole number from 0 to 2^53 − 1 as a u64 (two u32 halves). */
export function writeU64(u8: Uint8Array, offset: number, v: number): void {
  writeU32(u8, offset, Math.floor(v / 0x100000000));
  writeU32(u8, offset + 4, v >>> 0);
}

/** A u64; exact up to 2^53 − 1, which is all a writer of this implementation stores. */
export function readU64(u8: Uint8Array, offset: number): number {
  return readU32(u8, offset) * 0x100000000 + readU32(u8, offset + 4);
}

/** Whether the u64 at `offset` is at most 2^53 − 1 (its high half at most 0x001fffff). */
export function u64IsSafe(u8: Uint8Array, offset: number): boolean {
  return readU32(u8, offset) <= 0x1fffff;
}

/** A stamp of a node's hybrid clock: ms, then the logical counter (0 to 65535). */
export interface Stamp {
  ms: number;
  logical: number;
}

/** A stamp as the wire's u64 stamps are (ms × 65536 + logical). */
export function writeStampBytes(u8: Uint8Array, offset: number, stamp: Stamp): void {
  writeU32(u8, offset, stampHighWord(stamp.ms));
  writeU32(u8, offset + 4, stampLowWord(stamp.ms, stamp.logical) >>> 0);
}

export function readStampBytes(u8: Uint8Array, offset: number, out: Stamp): Stamp {
  const low = readU32(u8, offset + 4);
  out.ms = stampMsFromWords(readU32(u8, offset), low);
  out.logical = stampLogicalFromWords(low);
  return out;
}

/** Orders stamps: negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareStamp(a: Stamp, b: Stamp): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.logical - b.logical;
}
