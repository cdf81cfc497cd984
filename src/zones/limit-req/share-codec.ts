import { readStampBytes, readU32, readU64, u64IsSafe, writeStampBytes, writeU32, writeU64, type Stamp } from '../payload-bytes.js';

/**
 * A limit_req share in a record's value, in the wire's payload layout of module version 3
 * (docs/PROTOCOL.md "Payloads", docs/LIMIT_REQ.md), so the sync thread copies it untouched;
 * big-endian:
 *
 *   level         u32  milli-requests: the bucket as this node's view held it at `last`,
 *                      after what it admitted then (nginx's lr->excess plus the last request)
 *   last          u64  ms since the epoch: when (nginx's lr->last); below 2^53
 *   admitted      u32  milli-requests this node has admitted for the key, modulo 2^32
 *   seen          u32  the sum of every share's `admitted` (this one's included) as this
 *                      view has counted it, modulo 2^32
 *   refunded      u32  milli-requests this node has given back for the key, modulo 2^32
 *   refund_seen   u32  the sum of every share's `refunded` as this view has counted it
 *   reset         u64  the stamp (ms × 65536 + logical) of the latest reset of the key this
 *                      view has applied; 0 when none
 */
export const SHARE_BYTES = 36;

const LEVEL = 0;
const LAST = 4;
const ADMITTED = 12;
const SEEN = 16;
const REFUNDED = 20;
const REFUND_SEEN = 24;
const RESET = 28;

export interface Share {
  levelMilli: number;
  lastMs: number;
  admittedMilli: number;
  seenMilli: number;
  refundedMilli: number;
  refundSeenMilli: number;
  reset: Stamp;
}

/** `level` is clamped to a u32; the counters are taken modulo 2^32. */
export function writeShare(u8: Uint8Array, offset: number, share: Share): void {
  writeU32(u8, offset + LEVEL, Math.max(0, Math.min(0xffffffff, Math.round(share.levelMilli))));
  writeU64(u8, offset + LAST, share.lastMs);
  writeU32(u8, offset + ADMITTED, share.admittedMilli >>> 0);
  writeU32(u8, offset + SEEN, share.seenMilli >>> 0);
  writeU32(u8, offset + REFUNDED, share.refundedMilli >>> 0);
  writeU32(u8, offset + REFUND_SEEN, share.refundSeenMilli >>> 0);
  writeStampBytes(u8, offset + RESET, share.reset);
}

/** Reads every field of the share at `offset` into `out`. */
export function readShare(u8: Uint8Array, offset: number, out: Share): Share {
  out.levelMilli = readU32(u8, offset + LEVEL);
  out.lastMs = readU64(u8, offset + LAST);
  out.admittedMilli = readU32(u8, offset + ADMITTED);
  out.seenMilli = readU32(u8, offset + SEEN);
  out.refundedMilli = readU32(u8, offset + REFUNDED);
  out.refundSeenMilli = readU32(u8, offset + REFUND_SEEN);
  readStampBytes(u8, offset + RESET, out.reset);
  return out;
}

export function emptyShare(): Share {
  return { levelMilli: 0, lastMs: 0, admittedMilli: 0, seenMilli: 0, refundedMilli: 0, refundSeenMilli: 0, reset: { ms: 0, logical: 0 } };
}


/** Whether the share at `offset` is one a node could have written: its `last` at most 2^53 − 1. */
export function shareValid(u8: Uint8Array, offset: number, length: number): boolean {
  return length === SHARE_BYTES && u64IsSafe(u8, offset + LAST);
}
