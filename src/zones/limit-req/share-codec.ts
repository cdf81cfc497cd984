/**
 * A limit_req share in a record's value, in docs/PROTOCOL.md's payload layout (so the sync
 * thread copies it untouched): excess u32 (milli-requests), then last u64 (ms since the
 * epoch), big-endian. `last` stays below 2^53, written as two u32 halves.
 */
export const SHARE_BYTES = 12;

export function writeShare(u8: Uint8Array, offset: number, excessMilli: number, lastMs: number): void {
  const excess = Math.min(0xffffffff, Math.round(excessMilli)) >>> 0;
  writeU32(u8, offset, excess);
  writeU32(u8, offset + 4, Math.floor(lastMs / 0x100000000));
  writeU32(u8, offset + 8, lastMs >>> 0);
}

export function readShareExcess(u8: Uint8Array, offset: number): number {
  return readU32(u8, offset);
}

export function readShareLast(u8: Uint8Array, offset: number): number {
  return readU32(u8, offset + 4) * 0x100000000 + readU32(u8, offset + 8);
}

function writeU32(u8: Uint8Array, offset: number, v: number): void {
  u8[offset] = v >>> 24;
  u8[offset + 1] = (v >>> 16) & 0xff;
  u8[offset + 2] = (v >>> 8) & 0xff;
  u8[offset + 3] = v & 0xff;
}

function readU32(u8: Uint8Array, offset: number): number {
  return ((u8[offset]! << 24) | (u8[offset + 1]! << 16) | (u8[offset + 2]! << 8) | u8[offset + 3]!) >>> 0;
}
