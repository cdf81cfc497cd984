// Record payloads of module version 1 (docs/PROTOCOL.md "Payloads"), as pure
// functions: encode at an offset, decode with bounds checks. Errors are
// shared frozen objects, so a failed decode allocates nothing.

import {
  LIMIT_REQ_PAYLOAD_BYTES,
  RECORD_FLAG_TOMBSTONE,
} from './constants.js';
import { MODULE_LIMIT_REQ } from '../../zones/descriptor.js';
import { assertU32 } from './frame-header.js';
import { decodeUtf8, utf8ByteLength, writeUtf8 } from './utf8.js';
import { readSafeU64, writeSafeU64 } from './wire-buffer.js';

export interface PayloadError {
  readonly payloadError: 'truncated' | 'trailing-bytes' | 'out-of-range';
}

export const PAYLOAD_TRUNCATED: PayloadError = Object.freeze({ payloadError: 'truncated' });
export const PAYLOAD_TRAILING_BYTES: PayloadError = Object.freeze({ payloadError: 'trailing-bytes' });
export const PAYLOAD_OUT_OF_RANGE: PayloadError = Object.freeze({ payloadError: 'out-of-range' });

export function isPayloadError(value: unknown): value is PayloadError {
  return value === PAYLOAD_TRUNCATED || value === PAYLOAD_TRAILING_BYTES || value === PAYLOAD_OUT_OF_RANGE;
}

/** True when [offset, offset + length) lies inside a buffer of bufferLength bytes. */
function inBounds(bufferLength: number, offset: number, length: number): boolean {
  return offset >= 0 && length >= 0 && offset + length <= bufferLength;
}

// keyval (1): the value's bytes, UTF-8; empty for a tombstone.

export function keyvalPayloadLength(value: string): number {
  return utf8ByteLength(value);
}

/** Writes `value` (byteLength = keyvalPayloadLength(value)) at `offset`; returns the end offset. */
export function writeKeyvalPayload(target: Uint8Array, offset: number, value: string, byteLength: number): number {
  writeUtf8(target, offset, value, byteLength);
  return offset + byteLength;
}

export function decodeKeyvalPayload(bytes: Uint8Array, offset: number, length: number): string | PayloadError {
  if (!inBounds(bytes.length, offset, length)) return PAYLOAD_TRUNCATED;
  return decodeUtf8(bytes, offset, length);
}

// sticky (3): the upstream server's name, UTF-8.

export function stickyPayloadLength(serverName: string): number {
  return utf8ByteLength(serverName);
}

export function writeStickyPayload(target: Uint8Array, offset: number, serverName: string, byteLength: number): number {
  writeUtf8(target, offset, serverName, byteLength);
  return offset + byteLength;
}

export function decodeStickyPayload(bytes: Uint8Array, offset: number, length: number): string | PayloadError {
  if (!inBounds(bytes.length, offset, length)) return PAYLOAD_TRUNCATED;
  return decodeUtf8(bytes, offset, length);
}

// limit_req (2): excess u32 (milli-requests), then last u64 (ms since the epoch).

/** One origin's share of a key's leaky bucket; reused by the decoder. */
export class LimitReqShare {
  excessMilli = 0;
  lastMs = 0;
}

/** Writes the 12-byte share at `offset`; returns the end offset. */
export function writeLimitReqPayload(view: DataView, offset: number, excessMilli: number, lastMs: number): number {
  assertU32(excessMilli, 'limit_req excess');
  view.setUint32(offset, excessMilli);
  writeSafeU64(view, offset + 4, lastMs);
  return offset + LIMIT_REQ_PAYLOAD_BYTES;
}

/** Decodes a share into `out`; returns null on success. */
export function decodeLimitReqPayload(
  view: DataView,
  offset: number,
  length: number,
  out: LimitReqShare,
): PayloadError | null {
  if (length < LIMIT_REQ_PAYLOAD_BYTES) return PAYLOAD_TRUNCATED;
  if (!inBounds(view.byteLength, offset, length)) return PAYLOAD_TRUNCATED;
  if (length > LIMIT_REQ_PAYLOAD_BYTES) return PAYLOAD_TRAILING_BYTES;
  const lastMs = readSafeU64(view, offset + 4);
  if (lastMs < 0) return PAYLOAD_OUT_OF_RANGE;
  out.excessMilli = view.getUint32(offset);
  out.lastMs = lastMs;
  return null;
}

/**
 * The payload size check the frame reader applies to every record of a
 * frame before yielding it: a limit_req share is exactly 12 bytes (a
 * tombstone may carry none); keyval and sticky payloads are any length.
 */
export function payloadLengthValid(moduleTag: number, flags: number, payloadLength: number): boolean {
  if (!hasPayloadLengthRule(moduleTag)) return true;
  if ((flags & RECORD_FLAG_TOMBSTONE) !== 0 && payloadLength === 0) return true;
  return payloadLength === LIMIT_REQ_PAYLOAD_BYTES;
}

/** False for modules whose payloads are any length: payloadLengthValid accepts all of theirs. */
export function hasPayloadLengthRule(moduleTag: number): boolean {
  return moduleTag === MODULE_LIMIT_REQ;
}
