// One record of a data frame (docs/PROTOCOL.md "Record"): the fixed 28 bytes,
// then key, then payload. Encoding and decoding go through the same offsets;
// decoding fills a reusable RecordView, so iterating a frame allocates nothing.

import { readStampLogical, readStampMs, writeStamp } from '../../clock.js';
import {
  RECORD_EXPIRE_AT_OFFSET,
  RECORD_FLAGS_KNOWN,
  RECORD_FLAGS_OFFSET,
  RECORD_FLAG_TOMBSTONE,
  RECORD_HEADER_BYTES,
  RECORD_KEY_LEN_OFFSET,
  RECORD_KEY_OFFSET,
  RECORD_LEN_FIELD_BYTES,
  RECORD_LEN_MIN,
  RECORD_LEN_OFFSET,
  RECORD_ORIGIN_OFFSET,
  RECORD_RESERVED_OFFSET,
  RECORD_STAMP_OFFSET,
  U16_MAX,
  U32_MAX,
} from './constants.js';
import { assertU32 } from './frame-header.js';
import type { MalformedReason } from './malformed.js';
import { isSafeU64, readSafeU64, writeSafeU64 } from './wire-buffer.js';

/** A decoded record, as offsets into the frame's bytes. Reused from record to record. */
export class RecordView {
  flags = 0;
  origin = 0;
  stampMs = 0;
  stampLogical = 0;
  /** ms since the epoch; 0 = never expires. */
  expireAtMs = 0;
  keyOffset = 0;
  keyLength = 0;
  payloadOffset = 0;
  payloadLength = 0;

  get tombstone(): boolean {
    return (this.flags & RECORD_FLAG_TOMBSTONE) !== 0;
  }
}

/** Bytes a record takes on the wire, rec_len field included. */
export function recordWireBytes(keyLength: number, payloadLength: number): number {
  return RECORD_HEADER_BYTES + keyLength + payloadLength;
}

/**
 * Writes the fixed 28 bytes of a record at `offset`; the caller writes
 * keyLength key bytes at offset + 28 and payloadLength payload bytes after them.
 */
export function writeRecordHeader(
  view: DataView,
  offset: number,
  flags: number,
  keyLength: number,
  payloadLength: number,
  origin: number,
  stampMs: number,
  stampLogical: number,
  expireAtMs: number,
): void {
  if ((flags & ~RECORD_FLAGS_KNOWN) !== 0) throw new RangeError(`unknown record flags: ${flags}`);
  if (!(Number.isInteger(keyLength) && keyLength >= 0 && keyLength <= U16_MAX)) {
    throw new RangeError(`key length is not a u16: ${keyLength}`);
  }
  assertU32(origin, 'origin');
  const recordLength = RECORD_LEN_MIN + keyLength + payloadLength;
  if (!(Number.isInteger(payloadLength) && payloadLength >= 0 && recordLength <= U32_MAX)) {
    throw new RangeError(`payload length out of range: ${payloadLength}`);
  }
  view.setUint32(offset + RECORD_LEN_OFFSET, recordLength);
  view.setUint8(offset + RECORD_FLAGS_OFFSET, flags);
  view.setUint8(offset + RECORD_RESERVED_OFFSET, 0);
  view.setUint16(offset + RECORD_KEY_LEN_OFFSET, keyLength);
  view.setUint32(offset + RECORD_ORIGIN_OFFSET, origin);
  writeStamp(view, offset + RECORD_STAMP_OFFSET, stampMs, stampLogical);
  writeSafeU64(view, offset + RECORD_EXPIRE_AT_OFFSET, expireAtMs);
}

// Results of checkRecord other than the next offset (which is ≥ 0).
export const RECORD_LENGTH_TRUNCATED = -1;
export const RECORD_LENGTH_UNDER_FIXED_PART = -2;
export const RECORD_OVERRUNS_FRAME = -3;
export const RECORD_KEY_OVERRUNS = -4;
export const RECORD_FLAGS_UNKNOWN = -5;
export const RECORD_RESERVED_NONZERO = -6;
export const RECORD_EXPIRE_AT_OUT_OF_RANGE = -7;

/**
 * Checks the record at `offset` of a body that ends at `end`: every rule of a record,
 * without decoding the fields (decodeCheckedRecord does, once this accepted it). Returns
 * the offset just past the record, or a negative RECORD_* code. Never reads outside
 * [offset, end).
 */
export function checkRecord(view: DataView, offset: number, end: number): number {
  if (end - offset < RECORD_LEN_FIELD_BYTES) return RECORD_LENGTH_TRUNCATED;
  const recordLength = view.getUint32(offset + RECORD_LEN_OFFSET);
  if (recordLength < RECORD_LEN_MIN) return RECORD_LENGTH_UNDER_FIXED_PART;
  const recordEnd = offset + RECORD_LEN_FIELD_BYTES + recordLength;
  if (recordEnd > end) return RECORD_OVERRUNS_FRAME;
  if (view.getUint16(offset + RECORD_KEY_LEN_OFFSET) > recordLength - RECORD_LEN_MIN) return RECORD_KEY_OVERRUNS;
  if ((view.getUint8(offset + RECORD_FLAGS_OFFSET) & ~RECORD_FLAGS_KNOWN) !== 0) return RECORD_FLAGS_UNKNOWN;
  if (view.getUint8(offset + RECORD_RESERVED_OFFSET) !== 0) return RECORD_RESERVED_NONZERO;
  if (!isSafeU64(view, offset + RECORD_EXPIRE_AT_OFFSET)) return RECORD_EXPIRE_AT_OUT_OF_RANGE;
  return recordEnd;
}

/**
 * Decodes the fields of a record that checkRecord accepted, ending at `recordEnd`, into
 * `out`. Checks nothing: on bytes checkRecord did not accept, `out` holds garbage.
 */
export function decodeCheckedRecord(view: DataView, offset: number, recordEnd: number, out: RecordView): void {
  const keyLength = view.getUint16(offset + RECORD_KEY_LEN_OFFSET);
  out.flags = view.getUint8(offset + RECORD_FLAGS_OFFSET);
  out.origin = view.getUint32(offset + RECORD_ORIGIN_OFFSET);
  out.stampMs = readStampMs(view, offset + RECORD_STAMP_OFFSET);
  out.stampLogical = readStampLogical(view, offset + RECORD_STAMP_OFFSET);
  out.expireAtMs = readSafeU64(view, offset + RECORD_EXPIRE_AT_OFFSET);
  out.keyOffset = offset + RECORD_KEY_OFFSET;
  out.keyLength = keyLength;
  out.payloadOffset = out.keyOffset + keyLength;
  out.payloadLength = recordEnd - out.payloadOffset;
}

/** The flags byte of a record checkRecord accepted. */
export function checkedRecordFlags(view: DataView, offset: number): number {
  return view.getUint8(offset + RECORD_FLAGS_OFFSET);
}

/** The payload length of a record checkRecord accepted, ending at `recordEnd`. */
export function checkedRecordPayloadLength(view: DataView, offset: number, recordEnd: number): number {
  return recordEnd - (offset + RECORD_KEY_OFFSET + view.getUint16(offset + RECORD_KEY_LEN_OFFSET));
}

export function recordErrorReason(code: number): MalformedReason {
  switch (code) {
    case RECORD_LENGTH_TRUNCATED:
      return 'record-length-truncated';
    case RECORD_LENGTH_UNDER_FIXED_PART:
      return 'record-length-under-fixed-part';
    case RECORD_OVERRUNS_FRAME:
      return 'record-overruns-frame';
    case RECORD_KEY_OVERRUNS:
      return 'key-overruns-record';
    case RECORD_FLAGS_UNKNOWN:
      return 'record-flags-unknown';
    case RECORD_RESERVED_NONZERO:
      return 'record-reserved-nonzero';
    case RECORD_EXPIRE_AT_OUT_OF_RANGE:
      return 'expire-at-out-of-range';
    default:
      throw new RangeError(`not a record error code: ${code}`);
  }
}
