// One change of a zone as the change ring carries it and the journal stores it: a record
// version, key and value bytes, in one fixed layout (little-endian):
//
//   0  u8   kind          1 = a record version (the only kind)
//   1  u8   flags         bit 0: tombstone; the other bits are 0
//   2  u16  key length
//   4  u32  value length
//   8  u32  origin
//  12  u16  logical       the stamp's logical counter
//  14  u16  0
//  16  f64  stamp ms
//  24  f64  expireAtMs    ms since the epoch, 0 = never
//  32       key bytes, then value bytes
//
// A body is exactly ENTRY_HEADER_BYTES + key length + value length bytes. The key and value
// follow each other as key and payload do on the wire, so that a journal's bytes merge
// through RecordMerger as they are (src/zones/merge.ts, WireRecord).

import { LOGICAL_MAX, STAMP_MS_MAX } from '../clock.js';
import type { WireRecord } from './merge.js';

export const ENTRY_KIND_RECORD = 1;
export const ENTRY_FLAG_TOMBSTONE = 1;
export const ENTRY_HEADER_BYTES = 32;
export const E_KIND = 0;
export const E_FLAGS = 1;
export const E_KEY_LEN = 2;
export const E_VALUE_LEN = 4;
export const E_ORIGIN = 8;
export const E_LOGICAL = 12;
export const E_RESERVED = 14;
export const E_STAMP_MS = 16;
export const E_EXPIRE_AT = 24;
export const MAX_ENTRY_KEY_BYTES = 0xffff;

/** The version fields of an entry, as RecordVersion has them. */
export interface EntryVersion {
  stampMs: number;
  logical: number;
  origin: number;
  expireAtMs: number;
  tombstone: boolean;
}

/** Writes an entry's header at `at` of `view`; the caller copies key and value after it. */
export function writeEntryHeader(view: DataView, at: number, keyLength: number, valueLength: number, v: EntryVersion): void {
  view.setUint8(at + E_KIND, ENTRY_KIND_RECORD);
  view.setUint8(at + E_FLAGS, v.tombstone ? ENTRY_FLAG_TOMBSTONE : 0);
  view.setUint16(at + E_KEY_LEN, keyLength, true);
  view.setUint32(at + E_VALUE_LEN, valueLength, true);
  view.setUint32(at + E_ORIGIN, v.origin, true);
  view.setUint16(at + E_LOGICAL, v.logical, true);
  view.setUint16(at + E_RESERVED, 0, true);
  view.setFloat64(at + E_STAMP_MS, v.stampMs, true);
  view.setFloat64(at + E_EXPIRE_AT, v.expireAtMs, true);
}

/**
 * Reads the entry of `length` bytes at `at` of `view` into `out` (key and payload offsets
 * into the same bytes). Returns null, or what is wrong with it: every field is checked, so
 * that bytes that passed a checksum but were never written by writeEntryHeader are refused.
 */
export function readEntry(view: DataView, at: number, length: number, out: WireRecord): string | null {
  if (length < ENTRY_HEADER_BYTES) return `${length} bytes, shorter than an entry header`;
  if (view.getUint8(at + E_KIND) !== ENTRY_KIND_RECORD) return `unknown entry kind ${view.getUint8(at + E_KIND)}`;
  const flags = view.getUint8(at + E_FLAGS);
  if ((flags & ~ENTRY_FLAG_TOMBSTONE) !== 0) return `unknown flags ${flags}`;
  if (view.getUint16(at + E_RESERVED, true) !== 0) return 'reserved field is not 0';
  const keyLength = view.getUint16(at + E_KEY_LEN, true);
  const valueLength = view.getUint32(at + E_VALUE_LEN, true);
  if (ENTRY_HEADER_BYTES + keyLength + valueLength !== length) return `key ${keyLength} and value ${valueLength} bytes do not make ${length}`;
  const stampMs = view.getFloat64(at + E_STAMP_MS, true);
  const logical = view.getUint16(at + E_LOGICAL, true);
  const expireAtMs = view.getFloat64(at + E_EXPIRE_AT, true);
  if (!(Number.isInteger(stampMs) && stampMs >= 0 && stampMs <= STAMP_MS_MAX) || logical > LOGICAL_MAX) return 'stamp out of range';
  if (!(expireAtMs >= 0 && expireAtMs <= Number.MAX_SAFE_INTEGER)) return 'expiry out of range';
  out.keyOffset = at + ENTRY_HEADER_BYTES;
  out.keyLength = keyLength;
  out.payloadOffset = at + ENTRY_HEADER_BYTES + keyLength;
  out.payloadLength = valueLength;
  out.origin = view.getUint32(at + E_ORIGIN, true);
  out.stampMs = stampMs;
  out.stampLogical = logical;
  out.expireAtMs = Math.ceil(expireAtMs);
  out.tombstone = flags === ENTRY_FLAG_TOMBSTONE;
  return null;
}

/** A WireRecord to be filled by readEntry. */
export function emptyWireRecord(): WireRecord {
  return { keyOffset: 0, keyLength: 0, payloadOffset: 0, payloadLength: 0, origin: 0, stampMs: 0, stampLogical: 0, expireAtMs: 0, tombstone: false };
}
