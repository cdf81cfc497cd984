// Property tests: whatever the records and however the stream is cut, the
// reader yields what the writer wrote; random or corrupted bytes yield frames
// or a malformed result, never an exception.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MODULE_KEYVAL, MODULE_LIMIT_REQ, MODULE_STICKY, moduleVersionOf } from '../../dist/zones/descriptor.js';
import {
  DOES_NOT_FIT,
  FrameReader,
  FrameWriter,
  MODULE_VERSION,
  NEVER_FITS,
  zoneFrameHeader,
} from '../../dist/sync/protocol/index.js';
import type { ZoneFrameHeader } from '../../dist/sync/protocol/index.js';
import { SHARE_BYTES } from '../../dist/zones/limit-req/share-codec.js';
import { appendRecord, concat, readAll, splitAt, toHex } from './helpers.js';
import type { DecodedRecord, Event } from './helpers.js';

const BUFFER_BYTES = 512;
const RECV_BUFFER_BYTES = 1024;

const recordArb = fc.record({
  flags: fc.constantFrom(0, 1),
  origin: fc.integer({ min: 0, max: 0xffffffff }),
  stampMs: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  stampLogical: fc.integer({ min: 0, max: 0xffff }),
  expireAtMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  key: fc.uint8Array({ maxLength: 80 }),
  payload: fc.uint8Array({ maxLength: 120 }),
});
type RecordInput = typeof recordArb extends fc.Arbitrary<infer T> ? T : never;

const zoneArb = fc.record({
  name: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }),
  moduleTag: fc.constantFrom(MODULE_KEYVAL, MODULE_STICKY),
});

function expectedRecord(r: RecordInput): DecodedRecord {
  return {
    flags: r.flags,
    origin: r.origin,
    stampMs: r.stampMs,
    stampLogical: r.stampLogical,
    expireAtMs: r.expireAtMs,
    key: toHex(r.key),
    payload: toHex(r.payload),
  };
}

/**
 * Writes the records as the sync thread would: fill a buffer, and when a
 * record does not fit, send the buffer and start again in an empty one.
 * Returns the bytes sent and the records that were never sendable.
 */
function writeRecords(zone: ZoneFrameHeader, records: readonly RecordInput[]): { bytes: Uint8Array; frames: DecodedRecord[][]; skipped: number } {
  const writer = new FrameWriter(new Uint8Array(BUFFER_BYTES));
  const sent: Uint8Array[] = [];
  const frames: DecodedRecord[][] = [];
  let current: DecodedRecord[] = [];
  let skipped = 0;
  const flush = () => {
    writer.finishDataFrame();
    sent.push(writer.written().slice());
    frames.push(current);
    current = [];
    writer.reset();
    expect(writer.beginDataFrame(zone)).toBe(true);
  };
  expect(writer.beginDataFrame(zone)).toBe(true);
  for (const r of records) {
    let result = appendRecord(writer, r.flags, r.origin, r.stampMs, r.stampLogical, r.expireAtMs, r.key, r.payload);
    if (result === DOES_NOT_FIT) {
      flush();
      result = appendRecord(writer, r.flags, r.origin, r.stampMs, r.stampLogical, r.expireAtMs, r.key, r.payload);
      expect(result).not.toBe(DOES_NOT_FIT); // an empty buffer takes any record that can ever fit
    }
    if (result === NEVER_FITS) {
      expect(28 + r.key.length + r.payload.length).toBeGreaterThan(BUFFER_BYTES - zone.dataHeader.length);
      skipped += 1;
      continue;
    }
    expect(result).toBeGreaterThanOrEqual(0);
    current.push(expectedRecord(r));
  }
  if (current.length > 0) flush();
  return { bytes: concat(sent), frames, skipped };
}

describe('round trips', () => {
  it('any list of records, any zone name, comes back in order, frame by frame', () => {
    fc.assert(
      fc.property(zoneArb, fc.array(recordArb, { maxLength: 40 }), (zoneInput, records) => {
        const zone = zoneFrameHeader(zoneInput.name, zoneInput.moduleTag, MODULE_VERSION);
        const { bytes, frames, skipped } = writeRecords(zone, records);
        const events = readAll(new FrameReader(RECV_BUFFER_BYTES), [bytes]);
        expect(events).toEqual(
          frames.map((records) => ({ kind: 'data', zone: zoneInput.name, moduleTag: zoneInput.moduleTag, moduleVersion: 1, records })),
        );
        expect(frames.flat().length + skipped).toBe(records.length);
      }),
    );
  });

  it('limit_req shares round-trip', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 30 }), (records) => {
        const zone = zoneFrameHeader('limits', MODULE_LIMIT_REQ, moduleVersionOf(MODULE_LIMIT_REQ));
        // A live share is exactly 12 bytes; a tombstone carries none.
        const shares = records.map((r) => ({
          ...r,
          payload: r.flags === 1 ? new Uint8Array(0) : r.payload.length >= SHARE_BYTES ? r.payload.slice(0, SHARE_BYTES) : new Uint8Array(SHARE_BYTES),
        }));
        const { bytes, frames } = writeRecords(zone, shares);
        const events = readAll(new FrameReader(RECV_BUFFER_BYTES), [bytes]);
        expect(events.map((e) => (e.kind === 'data' ? e.records : e))).toEqual(frames);
      }),
    );
  });

  it('the byte stream split at arbitrary points yields the same frames as unsplit', () => {
    const controlArb = fc.oneof(
      fc.record({ kind: fc.constant('ping' as const), ms: fc.integer({ min: 0, max: 2 ** 48 - 1 }), logical: fc.integer({ min: 0, max: 0xffff }) }),
      fc.record({ kind: fc.constant('hello' as const), nodeId: fc.integer({ min: 0, max: 0xffffffff }), name: fc.string({ maxLength: 30 }) }),
      fc.record({ kind: fc.constant('snapshot' as const), count: fc.integer({ min: 0, max: 0xffffffff }) }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(controlArb, fc.array(recordArb, { minLength: 1, maxLength: 6 })), { maxLength: 12 }),
        fc.array(fc.nat({ max: 20_000 }), { maxLength: 60 }),
        fc.integer({ min: 700, max: 4096 }),
        (items, cuts, recvBytes) => {
          const zone = zoneFrameHeader('sessions', MODULE_KEYVAL, MODULE_VERSION);
          const parts: Uint8Array[] = [];
          for (const item of items) {
            if (Array.isArray(item)) {
              parts.push(writeRecords(zone, item).bytes);
              continue;
            }
            const writer = new FrameWriter(new Uint8Array(600));
            if (item.kind === 'ping') writer.writePing(item.ms, item.logical);
            else if (item.kind === 'hello') writer.writeHello(item.nodeId, 1, 0, item.name, [{ name: 'sessions', moduleTag: 1, moduleVersion: 1 }]);
            else {
              writer.writeSnapshotBegin(zone, item.count);
              writer.writeSnapshotEnd(zone);
            }
            parts.push(writer.written().slice());
          }
          const stream = concat(parts);
          const whole = readAll(new FrameReader(recvBytes), [stream]);
          const split = readAll(new FrameReader(recvBytes), splitAt(stream, cuts));
          expect(split).toEqual(whole);
          expect(whole.every((e: Event) => e.kind === 'data' || e.kind === 'control')).toBe(true);
          expect(whole.length).toBeGreaterThanOrEqual(items.length);
        },
      ),
    );
  });
});

describe('hostile input never throws', () => {
  it('random bytes yield frames or a malformed result', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat({ max: 400 }), { maxLength: 10 }), (bytes, cuts) => {
        const events = readAll(new FrameReader(256), splitAt(bytes, cuts));
        const malformedAt = events.findIndex((e) => e.kind === 'malformed');
        expect(malformedAt === -1 || malformedAt === events.length - 1).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes behind a plausible header', () => {
    const headerArb = fc.record({
      version: fc.constantFrom(1, 1, 1, 2),
      nameLength: fc.integer({ min: 0, max: 4 }),
      moduleTag: fc.integer({ min: 0, max: 4 }),
      moduleVersion: fc.constantFrom(1, 1, 1, 2),
      controlType: fc.integer({ min: 0, max: 7 }),
    });
    fc.assert(
      fc.property(headerArb, fc.uint8Array({ maxLength: 120 }), (h, body) => {
        const frame = new Uint8Array(12 + h.nameLength + 1 + body.length);
        const view = new DataView(frame.buffer);
        view.setUint32(0, frame.length);
        view.setUint16(4, h.version);
        view.setUint16(6, h.nameLength);
        view.setUint16(8, h.moduleTag);
        view.setUint16(10, h.moduleVersion);
        frame.fill(0x61, 12, 12 + h.nameLength);
        frame[12 + h.nameLength] = h.controlType;
        frame.set(body, 13 + h.nameLength);
        const events = readAll(new FrameReader(512), [frame]);
        expect(events).toHaveLength(1);
        if (h.version !== 1) expect(events[0]).toEqual({ kind: 'malformed', reason: 'unsupported-protocol-version' });
      }),
      { numRuns: 3000 },
    );
  });

  it('a valid stream with bytes flipped yields frames or a malformed result', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 5 }),
        (records, flips) => {
          const zone = zoneFrameHeader('kv', MODULE_KEYVAL, MODULE_VERSION);
          const bytes = writeRecords(zone, records).bytes.slice();
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          const events = readAll(new FrameReader(RECV_BUFFER_BYTES), [bytes]);
          for (const e of events.slice(0, -1)) expect(e.kind).not.toBe('malformed');
        },
      ),
      { numRuns: 1000 },
    );
  });
});
