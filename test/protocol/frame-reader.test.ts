// The reader: hand-written frames decode to the values in docs/PROTOCOL.md's
// tables; every malformed case named there is reported, not thrown.
import { describe, expect, it } from 'vitest';
import {
  FRAME_CONTROL,
  FRAME_DATA,
  FRAME_MALFORMED,
  FRAME_NEED_MORE,
  FrameReader,
} from '../../dist/sync/protocol/index.js';
import { concat, hex, readAll } from './helpers.js';

const KEYVAL_FRAME = `
  00 00 00 4b | 00 01 | 00 02 | 00 01 | 00 01 | 6b 76
  00 00 00 1b | 00 | 00 | 00 01 | 00 00 00 07 | 01 8b cf e5 68 00 12 34 | 00 00 01 8b cf ee 8f c0 | 61 | 78 79
  00 00 00 1a | 01 | 00 | 00 02 | ff ff ff fe | 00 00 00 00 00 01 00 02 | 00 00 00 00 00 00 00 00 | 62 63
`;
const HELLO_FRAME = `
  00 00 00 30 | 00 01 | 00 00 | 00 00 | 00 01
  01 | 01 02 03 04 | 00 00 00 00 00 01 00 02 | 00 03 61 3a 31 | 00 02
  00 02 6b 76 | 00 01 | 00 01
  00 02 6c 72 | 00 02 | 00 01
`;
const PING_FRAME = '00 00 00 15 | 00 01 | 00 00 | 00 00 | 00 01 | 04 | 01 8b cf e5 68 00 12 34';

/** A control frame with the given body (type byte included) and zone name bytes. */
function controlFrame(body: string, name = '', moduleVersion = 1): Uint8Array {
  const nameBytes = hex(name);
  const bodyBytes = hex(body);
  const header = new Uint8Array(12);
  const view = new DataView(header.buffer);
  view.setUint32(0, 12 + nameBytes.length + bodyBytes.length);
  view.setUint16(4, 1); // protocol version
  view.setUint16(6, nameBytes.length);
  view.setUint16(8, 0); // module tag: control
  view.setUint16(10, moduleVersion);
  return concat([header, nameBytes, bodyBytes]);
}

/** A keyval data frame for zone "kv" whose body is `body`. */
function dataFrame(body: string, moduleTag = 1, moduleVersion = 1): Uint8Array {
  const bodyBytes = hex(body);
  const header = new Uint8Array(14);
  const view = new DataView(header.buffer);
  view.setUint32(0, 14 + bodyBytes.length);
  view.setUint16(4, 1);
  view.setUint16(6, 2);
  view.setUint16(8, moduleTag);
  view.setUint16(10, moduleVersion);
  header.set([0x6b, 0x76], 12);
  return concat([header, bodyBytes]);
}

function readOne(bytes: Uint8Array, capacity = 1024) {
  return readAll(new FrameReader(capacity), [bytes]);
}

const RECORD_FIXED_REST = '00 00 00 01 | 00 00 00 00 00 00 00 01 | 00 00 00 00 00 00 00 00'; // origin, stamp, expire_at

describe('FrameReader decodes well-formed frames', () => {
  it('a keyval data frame, field by field', () => {
    expect(readOne(hex(KEYVAL_FRAME))).toEqual([
      {
        kind: 'data',
        zone: 'kv',
        moduleTag: 1,
        moduleVersion: 1,
        records: [
          { flags: 0, origin: 7, stampMs: 1_700_000_000_000, stampLogical: 0x1234, expireAtMs: 1_700_000_600_000, key: '61', payload: '78 79' },
          { flags: 1, origin: 0xfffffffe, stampMs: 1, stampLogical: 2, expireAtMs: 0, key: '62 63', payload: '' },
        ],
      },
    ]);
  });

  it('the tombstone flag is exposed on the record view', () => {
    const reader = new FrameReader(256);
    reader.append(hex(KEYVAL_FRAME));
    expect(reader.next()).toBe(FRAME_DATA);
    const cursor = reader.records();
    expect(cursor.next()).toBe(true);
    expect(cursor.tombstone).toBe(false);
    expect(cursor.next()).toBe(true);
    expect(cursor.tombstone).toBe(true);
    expect(cursor.next()).toBe(false);
    expect(reader.zoneNameEquals(new Uint8Array([0x6b, 0x76]))).toBe(true);
    expect(reader.zoneNameEquals(new Uint8Array([0x6b, 0x77]))).toBe(false);
    expect(reader.next()).toBe(FRAME_NEED_MORE);
  });

  it('HELLO', () => {
    expect(readOne(hex(HELLO_FRAME))).toEqual([
      {
        kind: 'control',
        message: {
          type: 1,
          nodeId: 0x01020304,
          stampMs: 1,
          stampLogical: 2,
          nodeName: 'a:1',
          zones: [
            { name: 'kv', moduleTag: 1, moduleVersion: 1 },
            { name: 'lr', moduleTag: 2, moduleVersion: 1 },
          ],
        },
      },
    ]);
  });

  it('SNAPSHOT_BEGIN, SNAPSHOT_END, PING, PONG', () => {
    const bytes = concat([
      controlFrame('02 | 00 00 03 e8', '6b 76'),
      controlFrame('03', '6b 76'),
      hex(PING_FRAME),
      controlFrame('05 | ff ff ff ff ff ff ff ff'),
    ]);
    expect(readOne(bytes)).toEqual([
      { kind: 'control', message: { type: 2, zoneName: 'kv', recordCount: 1000 } },
      { kind: 'control', message: { type: 3, zoneName: 'kv' } },
      { kind: 'control', message: { type: 4, stampMs: 1_700_000_000_000, stampLogical: 0x1234 } },
      { kind: 'control', message: { type: 5, stampMs: 2 ** 48 - 1, stampLogical: 0xffff } },
    ]);
  });

  it('an empty data frame has no records', () => {
    expect(readOne(dataFrame(''))).toEqual([{ kind: 'data', zone: 'kv', moduleTag: 1, moduleVersion: 1, records: [] }]);
  });

  it('a frame exactly as long as the receive buffer is accepted', () => {
    const frame = hex(PING_FRAME);
    expect(readAll(new FrameReader(21), [frame, frame])).toHaveLength(2);
  });

  it('waits for the rest of a frame, byte by byte', () => {
    const frame = hex(PING_FRAME);
    const reader = new FrameReader(64);
    for (let i = 0; i < frame.length; i++) {
      expect(reader.append(frame.subarray(i, i + 1))).toBe(1);
      expect(reader.next()).toBe(i === frame.length - 1 ? FRAME_CONTROL : FRAME_NEED_MORE);
    }
    expect(reader.pendingBytes).toBe(0);
  });

  it('append takes only what fits; the rest goes in after the frames are drained', () => {
    const frame = hex(PING_FRAME);
    const reader = new FrameReader(30);
    const three = concat([frame, frame, frame]);
    expect(reader.append(three)).toBe(30);
    expect(reader.next()).toBe(FRAME_CONTROL);
    expect(reader.next()).toBe(FRAME_NEED_MORE); // 9 bytes of the second frame, moved to the front
    expect(reader.pendingBytes).toBe(9);
    expect(reader.append(three, 30)).toBe(21);
    expect(reader.next()).toBe(FRAME_CONTROL);
    expect(reader.next()).toBe(FRAME_NEED_MORE);
    expect(reader.append(three, 51)).toBe(12);
    expect(reader.next()).toBe(FRAME_CONTROL);
    expect(reader.next()).toBe(FRAME_NEED_MORE);
  });
});

describe('unknown but well-formed frames are skipped, and reading goes on', () => {
  it('unknown control type', () => {
    const bytes = concat([controlFrame('09 | 01 02 03'), hex(PING_FRAME)]);
    const events = readOne(bytes);
    expect(events[0]).toEqual({ kind: 'unknown', moduleTag: 0, moduleVersion: 1, controlType: 9 });
    expect(events[1]).toMatchObject({ kind: 'control', message: { type: 4 } });
  });

  it('unknown control module version, even with a body v1 would reject', () => {
    const events = readOne(concat([controlFrame('04', '', 2), hex(PING_FRAME)]));
    expect(events[0]).toEqual({ kind: 'unknown', moduleTag: 0, moduleVersion: 2, controlType: 4 });
    expect(events).toHaveLength(2);
  });

  it('unknown module tag or module version: records are not parsed', () => {
    const events = readOne(concat([dataFrame('ff ff ff', 7), dataFrame('ff ff ff', 1, 2), hex(PING_FRAME)]));
    expect(events).toEqual([
      { kind: 'unknown', moduleTag: 7, moduleVersion: 1, controlType: -1 },
      { kind: 'unknown', moduleTag: 1, moduleVersion: 2, controlType: -1 },
      { kind: 'control', message: { type: 4, stampMs: 1_700_000_000_000, stampLogical: 0x1234 } },
    ]);
  });
});

describe('malformed input is a typed result', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['length 0', hex('00 00 00 00'), 'frame-length-under-header'],
    ['length 11', hex('00 00 00 0b 00 01 00 00 00 00 00'), 'frame-length-under-header'],
    ['length 2^32-1', hex('ff ff ff ff'), 'frame-length-over-receive-buffer'],
    ['length one over the receive buffer', hex('00 00 04 01'), 'frame-length-over-receive-buffer'],
    ['version 2', hex('00 00 00 0d 00 02 00 00 00 00 00 01 04'), 'unsupported-protocol-version'],
    ['version 0', hex('00 00 00 0d 00 00 00 00 00 00 00 01 04'), 'unsupported-protocol-version'],
    ['zone name past the frame', hex('00 00 00 0d 00 01 00 02 00 01 00 01 6b'), 'zone-name-overruns-frame'],
    ['data frame without a zone', hex('00 00 00 0c 00 01 00 00 00 01 00 01'), 'data-frame-without-zone'],
    ['rec_len field cut short', dataFrame('00 00 00'), 'record-length-truncated'],
    ['rec_len under the fixed part', dataFrame('00 00 00 17 | 00 00 00 00 | 00 00 00 01 | 00 00 00 00 00 00 00 01 | 00 00 00 00 00 00 00'), 'record-length-under-fixed-part'],
    ['record past the frame', dataFrame(`00 00 00 19 | 00 00 00 00 | ${RECORD_FIXED_REST}`), 'record-overruns-frame'],
    ['rec_len 2^32-1', dataFrame(`ff ff ff ff | 00 00 00 00 | ${RECORD_FIXED_REST}`), 'record-overruns-frame'],
    ['key past the record', dataFrame(`00 00 00 19 | 00 00 00 02 | ${RECORD_FIXED_REST} | 61`), 'key-overruns-record'],
    ['second record past the frame', dataFrame(`00 00 00 18 | 00 00 00 00 | ${RECORD_FIXED_REST} | 00 00 00 30`), 'record-overruns-frame'],
    ['second record with rec_len 0', dataFrame(`00 00 00 18 | 00 00 00 00 | ${RECORD_FIXED_REST} | 00 00 00 00`), 'record-length-under-fixed-part'],
    ['unknown flag bit', dataFrame(`00 00 00 18 | 02 00 00 00 | ${RECORD_FIXED_REST}`), 'record-flags-unknown'],
    ['reserved byte set', dataFrame(`00 00 00 18 | 00 01 00 00 | ${RECORD_FIXED_REST}`), 'record-reserved-nonzero'],
    ['expire_at of 2^53', dataFrame('00 00 00 18 | 00 00 00 00 | 00 00 00 01 | 00 00 00 00 00 00 00 01 | 00 20 00 00 00 00 00 00'), 'expire-at-out-of-range'],
    ['limit_req payload of 35 bytes', dataFrame(`00 00 00 3b | 00 00 00 00 | ${RECORD_FIXED_REST} | ${'00 '.repeat(35)}`, 2, 3), 'payload-length'],
    ['counter payload of 57 bytes', dataFrame(`00 00 00 51 | 00 00 00 00 | ${RECORD_FIXED_REST} | ${'00 '.repeat(57)}`, 5, 1), 'payload-length'],
    ['control without a type byte', controlFrame(''), 'control-type-missing'],
    ['PING with 7 bytes', controlFrame('04 | 00 00 00 00 00 00 00'), 'control-body-truncated'],
    ['PONG with 9 bytes', controlFrame('05 | 00 00 00 00 00 00 00 00 00'), 'control-body-trailing-bytes'],
    ['SNAPSHOT_BEGIN without its count', controlFrame('02 | 00 00', '6b 76'), 'control-body-truncated'],
    ['SNAPSHOT_BEGIN without a zone', controlFrame('02 | 00 00 00 01'), 'control-zone-name-missing'],
    ['SNAPSHOT_END without a zone', controlFrame('03'), 'control-zone-name-missing'],
    ['PING naming a zone', controlFrame('04 | 00 00 00 00 00 00 00 01', '6b 76'), 'control-zone-name-unexpected'],
    ['HELLO with a node name that is not UTF-8', controlFrame('01 | 00 00 00 01 | 00 00 00 00 00 00 00 01 | 00 01 ff | 00 00'), 'invalid-utf8'],
    ['HELLO whose zone count overruns', controlFrame('01 | 00 00 00 01 | 00 00 00 00 00 00 00 01 | 00 00 | 00 01'), 'control-body-truncated'],
  ];

  it.each(cases)('%s', (_name, bytes, reason) => {
    const reader = new FrameReader(1024);
    const events = readAll(reader, [bytes]);
    expect(events).toEqual([{ kind: 'malformed', reason }]);
    expect(reader.failure?.detail.length).toBeGreaterThan(0);
    // Once malformed, always malformed: later bytes are dropped.
    expect(reader.append(hex(PING_FRAME))).toBe(21);
    expect(reader.next()).toBe(FRAME_MALFORMED);
  });

  it('a limit_req tombstone may carry no payload; a live share needs all 36 bytes', () => {
    const tombstone = dataFrame(`00 00 00 18 | 01 00 00 00 | ${RECORD_FIXED_REST}`, 2, 3);
    expect(readOne(tombstone)[0]).toMatchObject({ kind: 'data', records: [{ flags: 1, payload: '' }] });
    const live = dataFrame(`00 00 00 18 | 00 00 00 00 | ${RECORD_FIXED_REST}`, 2, 3);
    expect(readOne(live)).toEqual([{ kind: 'malformed', reason: 'payload-length' }]);
    const share = dataFrame(`00 00 00 3c | 00 00 00 00 | ${RECORD_FIXED_REST} | ${'00 '.repeat(36)}`, 2, 3);
    expect(readOne(share)[0]).toMatchObject({ kind: 'data', moduleVersion: 3, records: [{ flags: 0 }] });
  });

  it('a counter record needs all 56 bytes, tombstone or not', () => {
    const tombstone = dataFrame(`00 00 00 18 | 01 00 00 00 | ${RECORD_FIXED_REST}`, 5, 1);
    expect(readOne(tombstone)).toEqual([{ kind: 'malformed', reason: 'payload-length' }]);
    const share = dataFrame(`00 00 00 50 | 00 00 00 00 | ${RECORD_FIXED_REST} | ${'00 '.repeat(56)}`, 5, 1);
    expect(readOne(share)[0]).toMatchObject({ kind: 'data', moduleTag: 5, moduleVersion: 1, records: [{ flags: 0 }] });
  });

  it('limit_req frames of module versions 1 and 2 (the 12- and 20-byte shares) are unknown: skipped, never merged', () => {
    const v1 = dataFrame(`00 00 00 24 | 00 00 00 00 | ${RECORD_FIXED_REST} | ${'00 '.repeat(12)}`, 2, 1);
    const v2 = dataFrame(`00 00 00 2c | 00 00 00 00 | ${RECORD_FIXED_REST} | ${'00 '.repeat(20)}`, 2, 2);
    expect(readOne(concat([v1, v2, hex(PING_FRAME)]))).toEqual([
      { kind: 'unknown', moduleTag: 2, moduleVersion: 1, controlType: -1 },
      { kind: 'unknown', moduleTag: 2, moduleVersion: 2, controlType: -1 },
      { kind: 'control', message: { type: 4, stampMs: 1_700_000_000_000, stampLogical: 0x1234 } },
    ]);
  });

  it('every truncation of a HELLO body is malformed, never a throw', () => {
    const full = hex(HELLO_FRAME);
    for (let bodyBytes = 1; bodyBytes < full.length - 12; bodyBytes++) {
      const cut = full.slice(0, 12 + bodyBytes);
      new DataView(cut.buffer).setUint32(0, cut.length);
      const events = readOne(cut);
      expect(events).toEqual([{ kind: 'malformed', reason: 'control-body-truncated' }]);
    }
  });

  it('the over-size length is caught from its first 4 bytes, before the frame arrives', () => {
    const reader = new FrameReader(64);
    reader.append(hex('00 00 00 41'));
    expect(reader.next()).toBe(FRAME_MALFORMED);
    expect(reader.failure).toEqual({ reason: 'frame-length-over-receive-buffer', detail: 'length 65 > 64' });
  });

  it('frames before a malformed one are still yielded', () => {
    const events = readOne(concat([hex(PING_FRAME), hex('00 00 00 05')]));
    expect(events.map((e) => e.kind)).toEqual(['control', 'malformed']);
  });
});

describe('FrameReader construction', () => {
  it('rejects a receive buffer smaller than a header', () => {
    expect(() => new FrameReader(11)).toThrow(RangeError);
  });
});
