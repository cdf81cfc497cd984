// Byte-for-byte checks against docs/PROTOCOL.md's tables: every frame written by
// hand, field by field, and compared with what the writer produces.
import { describe, expect, it } from 'vitest';
import { MODULE_COUNTER, MODULE_KEYVAL, MODULE_LIMIT_REQ, moduleVersionOf } from '../../dist/zones/descriptor.js';
import {
  DOES_NOT_FIT,
  FRAME_HEADER_BYTES,
  FrameWriter,
  MODULE_VERSION,
  NEVER_FITS,
  PING_FRAME_BYTES,
  RECORD_FLAG_TOMBSTONE,
  RECORD_HEADER_BYTES,
  helloFrameLength,
  snapshotBeginFrameLength,
  snapshotEndFrameLength,
  zoneFrameHeader,
} from '../../dist/sync/protocol/index.js';
import { SHARE_BYTES, writeShare } from '../../dist/zones/limit-req/share-codec.js';
import { appendRecord, hex, toHex, utf8 } from './helpers.js';

const STAMP_MS = 1_700_000_000_000; // 0x18bcfe56800
const STAMP_LOGICAL = 0x1234;
const STAMP_BYTES = '01 8b cf e5 68 00 12 34'; // 1700000000000 * 65536 + 0x1234
const EXPIRE_AT_MS = 1_700_000_600_000;
const EXPIRE_AT_BYTES = '00 00 01 8b cf ee 8f c0';

describe('constants', () => {
  it('match PROTOCOL.md', () => {
    expect(FRAME_HEADER_BYTES).toBe(12);
    expect(RECORD_HEADER_BYTES).toBe(28);
    expect(SHARE_BYTES).toBe(36);
    expect(moduleVersionOf(MODULE_LIMIT_REQ)).toBe(3);
    expect(moduleVersionOf(MODULE_COUNTER)).toBe(1);
    expect(moduleVersionOf(MODULE_KEYVAL)).toBe(MODULE_VERSION);
    expect(PING_FRAME_BYTES).toBe(21);
  });
});

describe('data frame', () => {
  it('keyval: a live record and a tombstone, byte for byte', () => {
    const zone = zoneFrameHeader('kv', MODULE_KEYVAL, MODULE_VERSION);
    expect(toHex(zone.dataHeader)).toBe('00 00 00 00 00 01 00 02 00 01 00 01 6b 76');
    const writer = new FrameWriter(new Uint8Array(256));
    expect(writer.beginDataFrame(zone)).toBe(true);
    expect(appendRecord(writer, 0, 7, STAMP_MS, STAMP_LOGICAL, EXPIRE_AT_MS, utf8('a'), utf8('xy'))).toBe(14 + 28);
    expect(appendRecord(writer, RECORD_FLAG_TOMBSTONE, 0xfffffffe, 1, 2, 0, utf8('bc'), new Uint8Array(0))).toBe(14 + 31 + 28);
    expect(writer.recordCount).toBe(2);
    expect(writer.finishDataFrame()).toBe(14 + 31 + 30);
    const expected = hex(`
      00 00 00 4b | 00 01 | 00 02 | 00 01 | 00 01 | 6b 76
      00 00 00 1b | 00 | 00 | 00 01 | 00 00 00 07 | ${STAMP_BYTES} | ${EXPIRE_AT_BYTES} | 61 | 78 79
      00 00 00 1a | 01 | 00 | 00 02 | ff ff ff fe | 00 00 00 00 00 01 00 02 | 00 00 00 00 00 00 00 00 | 62 63
    `);
    expect(toHex(writer.written())).toBe(toHex(expected));
  });

  it('limit_req (module version 3): level u32, last u64, admitted, seen, refunded, refund_seen u32, reset u64', () => {
    const zone = zoneFrameHeader('lr', MODULE_LIMIT_REQ, moduleVersionOf(MODULE_LIMIT_REQ));
    const writer = new FrameWriter(new Uint8Array(128));
    writer.beginDataFrame(zone);
    const keyOffset = writer.beginRecord(0, 1, SHARE_BYTES, 3, 1, 0, 0);
    expect(keyOffset).toBe(14 + 28);
    writer.buffer.bytes[keyOffset] = 0x6b;
    writeShare(writer.buffer.bytes, keyOffset + 1, {
      levelMilli: 1500, lastMs: 1_700_000_000_123, admittedMilli: 3000, seenMilli: 5000, refundedMilli: 2000, refundSeenMilli: 0x12345678,
      reset: { ms: STAMP_MS, logical: STAMP_LOGICAL },
    });
    writer.finishDataFrame();
    const expected = hex(`
      00 00 00 4f | 00 01 | 00 02 | 00 02 | 00 03 | 6c 72
      00 00 00 3d | 00 | 00 | 00 01 | 00 00 00 03 | 00 00 00 00 00 01 00 00 | 00 00 00 00 00 00 00 00 | 6b
      00 00 05 dc | 00 00 01 8b cf e5 68 7b | 00 00 0b b8 | 00 00 13 88 | 00 00 07 d0 | 12 34 56 78 | ${STAMP_BYTES}
    `);
    expect(toHex(writer.written())).toBe(toHex(expected));
  });

  it('reports a record that does not fit as DOES_NOT_FIT, and one too large for any buffer as NEVER_FITS', () => {
    const zone = zoneFrameHeader('kv', MODULE_KEYVAL, MODULE_VERSION);
    const writer = new FrameWriter(new Uint8Array(14 + 28 + 10)); // room for exactly 10 bytes of key + payload
    writer.beginDataFrame(zone);
    expect(appendRecord(writer, 0, 1, 1, 0, 0, utf8('k'), new Uint8Array(10))).toBe(NEVER_FITS);
    expect(appendRecord(writer, 0, 1, 1, 0, 0, utf8('k'), new Uint8Array(5))).toBe(14 + 28);
    expect(writer.used).toBe(14 + 34);
    expect(appendRecord(writer, 0, 1, 1, 0, 0, utf8('k'), new Uint8Array(0))).toBe(DOES_NOT_FIT);
    expect(writer.used).toBe(14 + 34); // nothing written by the failed append
    expect(writer.recordCount).toBe(1);
    expect(writer.finishDataFrame()).toBe(48);
    writer.reset();
    writer.beginDataFrame(zone);
    expect(appendRecord(writer, 0, 1, 1, 0, 0, utf8('k'), new Uint8Array(9))).toBe(14 + 28); // fills the buffer exactly
    expect(writer.finishDataFrame()).toBe(52);
    expect(writer.used).toBe(writer.capacity);
  });

  it('a key longer than 65535 bytes never fits', () => {
    const zone = zoneFrameHeader('kv', MODULE_KEYVAL, MODULE_VERSION);
    const writer = new FrameWriter(new Uint8Array(200_000));
    writer.beginDataFrame(zone);
    expect(writer.beginRecord(0, 65536, 0, 1, 1, 0, 0)).toBe(NEVER_FITS);
    expect(writer.beginRecord(0, 65535, 0, 1, 1, 0, 0)).toBe(14 + 28);
  });

  it('refuses a header that does not fit, and rejects misuse', () => {
    const zone = zoneFrameHeader('kv', MODULE_KEYVAL, MODULE_VERSION);
    const writer = new FrameWriter(new Uint8Array(13));
    expect(writer.beginDataFrame(zone)).toBe(false);
    expect(() => writer.beginRecord(0, 1, 0, 1, 1, 0, 0)).toThrow(/without an open data frame/);
    const big = new FrameWriter(new Uint8Array(64));
    big.beginDataFrame(zone);
    expect(() => big.writePing(1, 0)).toThrow(/while a data frame is open/);
    expect(() => appendRecord(big, 0x02, 1, 1, 0, 0, utf8('k'), utf8('v'))).toThrow(/flags/);
    expect(() => appendRecord(big, 0, 1, 1, 0, 2 ** 53, utf8('k'), utf8('v'))).toThrow(/u64/);
    expect(() => appendRecord(big, 0, 2 ** 32, 1, 0, 0, utf8('k'), utf8('v'))).toThrow(/origin/);
    expect(() => zoneFrameHeader('', MODULE_KEYVAL, 1)).toThrow(/empty/);
  });

  it('abandonDataFrame forgets the open frame', () => {
    const zone = zoneFrameHeader('kv', MODULE_KEYVAL, MODULE_VERSION);
    const writer = new FrameWriter(new Uint8Array(100));
    writer.writePing(1, 0);
    writer.beginDataFrame(zone);
    appendRecord(writer, 0, 1, 1, 0, 0, utf8('k'), utf8('v'));
    writer.abandonDataFrame();
    expect(writer.used).toBe(PING_FRAME_BYTES);
    expect(writer.frameOpen).toBe(false);
  });
});

describe('control frames', () => {
  it('HELLO', () => {
    const zones = [
      { name: 'kv', moduleTag: 1, moduleVersion: 1 },
      { name: 'lr', moduleTag: 2, moduleVersion: 1 },
    ];
    expect(helloFrameLength('a:1', zones)).toBe(48);
    const writer = new FrameWriter(new Uint8Array(64));
    expect(writer.writeHello(0x01020304, 1, 2, 'a:1', zones)).toBe(48);
    const expected = hex(`
      00 00 00 30 | 00 01 | 00 00 | 00 00 | 00 01
      01 | 01 02 03 04 | 00 00 00 00 00 01 00 02 | 00 03 61 3a 31 | 00 02
      00 02 6b 76 | 00 01 | 00 01
      00 02 6c 72 | 00 02 | 00 01
    `);
    expect(toHex(writer.written())).toBe(toHex(expected));
  });

  it('HELLO with a non-ASCII node name counts UTF-8 bytes', () => {
    const writer = new FrameWriter(new Uint8Array(64));
    expect(writer.writeHello(1, 0, 0, 'é😀', [])).toBe(12 + 1 + 16 + 6);
    expect(toHex(writer.written().subarray(25))).toBe('00 06 c3 a9 f0 9f 98 80 00 00');
  });

  it('SNAPSHOT_BEGIN and SNAPSHOT_END name the zone', () => {
    const zone = zoneFrameHeader('kv', MODULE_KEYVAL, MODULE_VERSION);
    expect(snapshotBeginFrameLength(zone)).toBe(19);
    expect(snapshotEndFrameLength(zone)).toBe(15);
    const writer = new FrameWriter(new Uint8Array(64));
    expect(writer.writeSnapshotBegin(zone, 1000)).toBe(19);
    expect(writer.writeSnapshotEnd(zone)).toBe(15);
    const expected = hex(`
      00 00 00 13 | 00 01 | 00 02 | 00 00 | 00 01 | 6b 76 | 02 | 00 00 03 e8
      00 00 00 0f | 00 01 | 00 02 | 00 00 | 00 01 | 6b 76 | 03
    `);
    expect(toHex(writer.written())).toBe(toHex(expected));
  });

  it('PING and PONG carry a u64 stamp', () => {
    const writer = new FrameWriter(new Uint8Array(64));
    expect(writer.writePing(STAMP_MS, STAMP_LOGICAL)).toBe(21);
    expect(writer.writePong(STAMP_MS, STAMP_LOGICAL)).toBe(21);
    const expected = hex(`
      00 00 00 15 | 00 01 | 00 00 | 00 00 | 00 01 | 04 | ${STAMP_BYTES}
      00 00 00 15 | 00 01 | 00 00 | 00 00 | 00 01 | 05 | ${STAMP_BYTES}
    `);
    expect(toHex(writer.written())).toBe(toHex(expected));
  });

  it('control writers report DOES_NOT_FIT and write nothing', () => {
    const zone = zoneFrameHeader('kv', MODULE_KEYVAL, MODULE_VERSION);
    const writer = new FrameWriter(new Uint8Array(20));
    expect(writer.writePing(1, 0)).toBe(DOES_NOT_FIT);
    expect(writer.writeHello(1, 1, 0, 'node', [])).toBe(DOES_NOT_FIT);
    expect(writer.writeSnapshotBegin(zone, 1)).toBe(19); // fits: 19 of 20 bytes
    expect(writer.used).toBe(19);
    expect(writer.writeSnapshotEnd(zone)).toBe(DOES_NOT_FIT);
    expect(writer.used).toBe(19);
  });
});
