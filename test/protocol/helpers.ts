// Test helpers for the protocol tests: hex byte literals and a reader driver
// that snapshots every frame into plain objects.
import {
  FRAME_CONTROL,
  FRAME_DATA,
  FRAME_MALFORMED,
  FRAME_NEED_MORE,
  FRAME_UNKNOWN,
  FrameReader,
} from '../../dist/sync/protocol/index.js';
import type { FrameWriter } from '../../dist/sync/protocol/index.js';

/** "00 01 ff" → Uint8Array; spaces, newlines and `|` separators are ignored. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/[\s|]/g, '');
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) throw new Error(`bad hex: ${text}`);
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** writer.beginRecord() with the key and payload given as bytes, copied in; the same results. */
export function appendRecord(
  writer: FrameWriter, flags: number, origin: number, stampMs: number, stampLogical: number, expireAtMs: number,
  key: Uint8Array, payload: Uint8Array,
): number {
  const keyOffset = writer.beginRecord(flags, key.length, payload.length, origin, stampMs, stampLogical, expireAtMs);
  if (keyOffset < 0) return keyOffset;
  writer.buffer.bytes.set(key, keyOffset);
  writer.buffer.bytes.set(payload, keyOffset + key.length);
  return keyOffset;
}

export interface DecodedRecord {
  flags: number;
  origin: number;
  stampMs: number;
  stampLogical: number;
  expireAtMs: number;
  key: string; // hex
  payload: string; // hex
}

export type Event =
  | { kind: 'data'; zone: string; moduleTag: number; moduleVersion: number; records: DecodedRecord[] }
  | { kind: 'control'; message: unknown }
  | { kind: 'unknown'; moduleTag: number; moduleVersion: number; controlType: number }
  | { kind: 'malformed'; reason: string };

/** Feeds the chunks in order and returns every frame as a plain object. */
export function readAll(reader: FrameReader, chunks: readonly Uint8Array[]): Event[] {
  const events: Event[] = [];
  for (const chunk of chunks) {
    let at = 0;
    while (at < chunk.length) {
      const copied = reader.append(chunk, at);
      at += copied;
      drain(reader, events);
      if (reader.failure !== null) return events;
    }
  }
  drain(reader, events);
  return events;
}

function drain(reader: FrameReader, events: Event[]): void {
  for (let kind = reader.next(); kind !== FRAME_NEED_MORE; kind = reader.next()) {
    if (kind === FRAME_MALFORMED) {
      events.push({ kind: 'malformed', reason: reader.failure!.reason });
      return;
    }
    events.push(snapshot(reader, kind));
  }
}

function snapshot(reader: FrameReader, kind: number): Event {
  if (kind === FRAME_CONTROL) return { kind: 'control', message: reader.control };
  if (kind === FRAME_UNKNOWN) {
    return { kind: 'unknown', moduleTag: reader.moduleTag, moduleVersion: reader.moduleVersion, controlType: reader.unknownControlType };
  }
  if (kind !== FRAME_DATA) throw new Error(`unexpected frame kind ${kind}`);
  const bytes = reader.buffer.bytes;
  const records: DecodedRecord[] = [];
  const cursor = reader.records();
  while (cursor.next()) {
    records.push({
      flags: cursor.flags,
      origin: cursor.origin,
      stampMs: cursor.stampMs,
      stampLogical: cursor.stampLogical,
      expireAtMs: cursor.expireAtMs,
      key: toHex(bytes.subarray(cursor.keyOffset, cursor.keyOffset + cursor.keyLength)),
      payload: toHex(bytes.subarray(cursor.payloadOffset, cursor.payloadOffset + cursor.payloadLength)),
    });
  }
  if (records.length !== reader.recordCount) throw new Error('cursor and validation disagree on the record count');
  return { kind: 'data', zone: reader.zoneName(), moduleTag: reader.moduleTag, moduleVersion: reader.moduleVersion, records };
}

/** Splits bytes at the given cut points (any order, duplicates and out-of-range ignored). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.slice(from, point));
    from = point;
  }
  chunks.push(bytes.slice(from));
  return chunks;
}
