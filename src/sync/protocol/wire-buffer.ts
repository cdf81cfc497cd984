// A byte buffer with its DataView, made once per preallocated buffer so that
// encoders and decoders never create views on the hot path.

import { SAFE_U64_HIGH_WORD_MAX } from './constants.js';

const TWO_POW_32 = 2 ** 32;

export interface WireBuffer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

export function wireBuffer(bytes: Uint8Array): WireBuffer {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** Writes a safe integer (0 ≤ value ≤ 2^53 - 1) as a big-endian u64, as two u32 words. */
export function writeSafeU64(view: DataView, offset: number, value: number): void {
  if (!(Number.isSafeInteger(value) && value >= 0)) throw new RangeError(`u64 value out of range: ${value}`);
  view.setUint32(offset, Math.floor(value / TWO_POW_32));
  view.setUint32(offset + 4, value >>> 0);
}

/** True when the big-endian u64 at `offset` is at most 2^53 - 1 (a JS number holds it exactly). */
export function isSafeU64(view: DataView, offset: number): boolean {
  return view.getUint32(offset) <= SAFE_U64_HIGH_WORD_MAX;
}

/** Reads a big-endian u64; -1 when it exceeds 2^53 - 1 and so cannot be a JS number. */
export function readSafeU64(view: DataView, offset: number): number {
  if (!isSafeU64(view, offset)) return -1;
  return view.getUint32(offset) * TWO_POW_32 + view.getUint32(offset + 4);
}
