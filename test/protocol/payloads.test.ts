// Payloads (PROTOCOL.md "Payloads"): the limit_req share (module version 3) and the counter's
// count (module tag 5) as the zones write them, byte for byte, and the payload length rule the
// frame reader applies.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadLengthValid, utf8ByteLength } from '../../dist/sync/protocol/index.js';
import { MODULE_COUNTER, MODULE_KEYVAL, MODULE_LIMIT_REQ, MODULE_STICKY } from '../../dist/zones/descriptor.js';
import { SHARE_BYTES, emptyShare, readShare, writeShare } from '../../dist/zones/limit-req/share-codec.js';
import { COUNT_BYTES, countValid, emptyCount, readCount, writeCount } from '../../dist/zones/counter/count-codec.js';
import { hex, toHex } from './helpers.js';

describe('keyval and sticky payloads', () => {
  it('utf8ByteLength agrees with TextEncoder, lone surrogates included', () => {
    for (const text of ['', 'a', 'é', '€', '😀', 'a😀b', '\ud800', '\udc00x', '\ud800\ud800', 'x\u07ff\u0800']) {
      expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).length);
    }
  });
});

describe('limit_req payload (the zone\'s share codec)', () => {
  it('level u32, last u64, admitted, seen, refunded, refund_seen u32, reset u64, byte for byte', () => {
    const bytes = new Uint8Array(38);
    const share = {
      levelMilli: 1500, lastMs: 1_700_000_000_123, admittedMilli: 7000, seenMilli: 0x12345678, refundedMilli: 2000, refundSeenMilli: 0xfffffffe,
      reset: { ms: 1_700_000_000_000, logical: 0x1234 },
    };
    writeShare(bytes, 1, share);
    expect(toHex(bytes)).toBe(toHex(hex(`00 | 00 00 05 dc | 00 00 01 8b cf e5 68 7b | 00 00 1b 58 | 12 34 56 78 | 00 00 07 d0 | ff ff ff fe
      | 01 8b cf e5 68 00 12 34 | 00`)));
    expect(readShare(bytes, 1, emptyShare())).toEqual(share);
    expect(SHARE_BYTES).toBe(36);
  });

  it('every field is written big-endian and read back; the counters wrap modulo 2^32, the level is held in a u32', () => {
    const u32 = fc.integer({ min: 0, max: 2 ** 40 });
    fc.assert(fc.property(
      fc.integer({ min: -5, max: 2 ** 33 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), u32, u32, u32, u32,
      fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 8 }),
      (level, last, admitted, seen, refunded, refundSeen, resetMs, resetLogical, offset) => {
        const bytes = new Uint8Array(offset + SHARE_BYTES);
        writeShare(bytes, offset, {
          levelMilli: level, lastMs: last, admittedMilli: admitted, seenMilli: seen, refundedMilli: refunded, refundSeenMilli: refundSeen,
          reset: { ms: resetMs, logical: resetLogical },
        });
        const view = new DataView(bytes.buffer);
        expect(view.getUint32(offset)).toBe(Math.max(0, Math.min(level, 0xffffffff)));
        expect(view.getBigUint64(offset + 4)).toBe(BigInt(last));
        expect(view.getUint32(offset + 12)).toBe(admitted % 2 ** 32);
        expect(view.getUint32(offset + 16)).toBe(seen % 2 ** 32);
        expect(view.getUint32(offset + 20)).toBe(refunded % 2 ** 32);
        expect(view.getUint32(offset + 24)).toBe(refundSeen % 2 ** 32);
        expect(view.getBigUint64(offset + 28)).toBe(BigInt(resetMs) * 65536n + BigInt(resetLogical));
        expect(readShare(bytes, offset, emptyShare())).toEqual({
          levelMilli: Math.max(0, Math.min(level, 0xffffffff)), lastMs: last, admittedMilli: admitted % 2 ** 32, seenMilli: seen % 2 ** 32,
          refundedMilli: refunded % 2 ** 32, refundSeenMilli: refundSeen % 2 ** 32, reset: { ms: resetMs, logical: resetLogical },
        });
      },
    ));
  });

  it('payloadLengthValid: limit_req and counter have a fixed size; a limit_req tombstone may carry none', () => {
    const cases: [number, number, number, boolean][] = [
      [MODULE_LIMIT_REQ, 0, SHARE_BYTES, true],
      [MODULE_LIMIT_REQ, 0, SHARE_BYTES - 1, false],
      [MODULE_LIMIT_REQ, 0, SHARE_BYTES + 1, false],
      [MODULE_LIMIT_REQ, 0, 0, false],
      [MODULE_LIMIT_REQ, 1, 0, true],
      [MODULE_LIMIT_REQ, 1, SHARE_BYTES, true],
      [MODULE_LIMIT_REQ, 1, 5, false],
      [MODULE_COUNTER, 0, COUNT_BYTES, true],
      [MODULE_COUNTER, 1, COUNT_BYTES, true],
      [MODULE_COUNTER, 1, 0, false],
      [MODULE_COUNTER, 0, COUNT_BYTES - 1, false],
      [MODULE_COUNTER, 0, COUNT_BYTES + 8, false],
      [MODULE_KEYVAL, 0, 0, true],
      [MODULE_KEYVAL, 1, 70_000, true],
      [MODULE_STICKY, 0, 1000, true],
    ];
    for (const [moduleTag, flags, length, valid] of cases) expect(payloadLengthValid(moduleTag, flags, length)).toBe(valid);
  });
});

describe('counter payload (the zone\'s count codec)', () => {
  it('window_start, window_end, added, taken, blocked_until u64, block_stamp and reset_stamp u64 stamps, byte for byte', () => {
    const bytes = new Uint8Array(COUNT_BYTES);
    const count = {
      windowStartMs: 1_700_000_000_000, windowEndMs: 1_700_000_060_000, added: 300, taken: 0x1_0000_0002, blockedUntilMs: 0,
      blockStamp: { ms: 0, logical: 0 }, resetStamp: { ms: 1_700_000_000_000, logical: 0x1234 },
    };
    writeCount(bytes, 0, count);
    expect(toHex(bytes)).toBe(toHex(hex(`00 00 01 8b cf e5 68 00 | 00 00 01 8b cf e6 52 60 | 00 00 00 00 00 00 01 2c | 00 00 00 01 00 00 00 02
      | 00 00 00 00 00 00 00 00 | 00 00 00 00 00 00 00 00 | 01 8b cf e5 68 00 12 34`)));
    expect(readCount(bytes, 0, emptyCount())).toEqual(count);
    expect(countValid(bytes, 0, COUNT_BYTES)).toBe(true);
  });

  it('a count is valid only with its numbers at most 2^53 - 1 and its window in order; stamps may be any u64', () => {
    const count = () => {
      const bytes = new Uint8Array(COUNT_BYTES);
      writeCount(bytes, 0, { ...emptyCount(), windowStartMs: 10, windowEndMs: 20, added: 5 });
      return bytes;
    };
    for (const field of [0, 8, 16, 24, 32]) {
      const bytes = count();
      new DataView(bytes.buffer).setUint32(field, 0x200000); // 2^53
      expect(countValid(bytes, 0, COUNT_BYTES)).toBe(false);
    }
    const stamps = count();
    stamps.fill(0xff, 40, 56);
    expect(countValid(stamps, 0, COUNT_BYTES)).toBe(true);
    const backwards = count();
    new DataView(backwards.buffer).setUint32(12, 5); // window_end 5 < window_start 10
    expect(countValid(backwards, 0, COUNT_BYTES)).toBe(false);
    expect(countValid(count(), 0, COUNT_BYTES - 1)).toBe(false);
  });
});
