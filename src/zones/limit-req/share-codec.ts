/**
 * A limit_req share in a record's value, in the wire's payload layout of module version 2
 * (docs/PROTOCOL.md "Payloads", docs/LIMIT_REQ.md), so the sync thread copies it untouched;
 * big-endian:
 *
 *   excess   u32  milli-requests: the bucket as this node saw it when it last admitted a
 *                 request, before that request (nginx's lr->excess)
 *   last     u64  ms since the epoch: when (nginx's lr->last); below 2^53, two u32 halves
 *   admitted u32  milli-requests this node has admitted for the key, modulo 2^32
 *   seen     u32  the sum of every share's `admitted` (this one's included) as this node
 *                 saw it at `last`, modulo 2^32
 */
export const SHARE_BYTES = 20;

const EXCESS = 0;
const LAST = 4;
const ADMITTED = 12;
const SEEN = 16;

export interface Share {
  excessMilli: number;
  lastMs: number;
  admittedMilli: number;
  seenMilli: number;
}

/** `excess` is clamped to a u32; `admitted` and `seen` are taken modulo 2^32. */
export function writeShare(u8: Uint8Array, offset: number, share: Share): void {
  writeU32(u8, offset + EXCESS, Math.min(0xffffffff, Math.round(share.excessMilli)));
  writeU32(u8, offset + LAST, Math.floor(share.lastMs / 0x100000000));
  writeU32(u8, offset + LAST + 4, share.lastMs >>> 0);
  writeU32(u8, offset + ADMITTED, share.admittedMilli >>> 0);
  writeU32(u8, offset + SEEN, share.seenMilli >>> 0);
}

export function readShareExcess(u8: Uint8Array, offset: number): number {
  return readU32(u8, offset + EXCESS);
}

export function readShareLast(u8: Uint8Array, offset: number): number {
  return readU32(u8, offset + LAST) * 0x100000000 + readU32(u8, offset + LAST + 4);
}

export function readShareAdmitted(u8: Uint8Array, offset: number): number {
  return readU32(u8, offset + ADMITTED);
}

export function readShareSeen(u8: Uint8Array, offset: number): number {
  return readU32(u8, offset + SEEN);
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
