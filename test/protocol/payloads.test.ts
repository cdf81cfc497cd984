// Payloads (PROTOCOL.md "Payloads"): the limit_req share as the zone writes it (module
// version 2), byte for byte, and the payload length rule the frame reader applies.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadLengthValid, utf8ByteLength } from '../../dist/sync/protocol/index.js';
import { MODULE_KEYVAL, MODULE_LIMIT_REQ, MODULE_STICKY } from '../../dist/zones/descriptor.js';
import {
  SHARE_BYTES, readShareAdmitted, readShareExcess, readShareLast, readShareSeen, writeShare,
} from '../../dist/zones/limit-req/share-codec.js';
import { hex, toHex } from './helpers.js';

describe('keyval and sticky payloads', () => {
  it('utf8ByteLength agrees with TextEncoder, lone surrogates included', () => {
    for (const text of ['', 'a', 'é', '€', '😀', 'a😀b', '\ud800', '\udc00x', '\ud800\ud800', 'x\u07ff\u0800']) {
      expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).length);
    }
  });
});

describe('limit_req payload (the zone\'s share codec)', () => {
  it('excess u32, last u64, admitted u32, seen u32, byte for byte', () => {
    const bytes = new Uint8Array(22);
    writeShare(bytes, 1, { excessMilli: 1500, lastMs: 1_700_000_000_123, admittedMilli: 7000, seenMilli: 0x12345678 });
    expect(toHex(bytes)).toBe(toHex(hex('00 | 00 00 05 dc | 00 00 01 8b cf e5 68 7b | 00 00 1b 58 | 12 34 56 78 | 00')));
    expect(readShareExcess(bytes, 1)).toBe(1500);
    expect(readShareLast(bytes, 1)).toBe(1_700_000_000_123);
    expect(readShareAdmitted(bytes, 1)).toBe(7000);
    expect(readShareSeen(bytes, 1)).toBe(0x12345678);
    expect(SHARE_BYTES).toBe(20);
  });

  it('every field is written big-endian and read back; the counters wrap modulo 2^32', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 8 }),
      (excess, last, admitted, seen, offset) => {
        const bytes = new Uint8Array(offset + SHARE_BYTES);
        writeShare(bytes, offset, { excessMilli: excess, lastMs: last, admittedMilli: admitted, seenMilli: seen });
        const view = new DataView(bytes.buffer);
        expect(view.getUint32(offset)).toBe(excess);
        expect(view.getBigUint64(offset + 4)).toBe(BigInt(last));
        expect(view.getUint32(offset + 12)).toBe(admitted % 2 ** 32);
        expect(view.getUint32(offset + 16)).toBe(seen % 2 ** 32);
        expect(readShareExcess(bytes, offset)).toBe(excess);
        expect(readShareLast(bytes, offset)).toBe(last);
        expect(readShareAdmitted(bytes, offset)).toBe(admitted % 2 ** 32);
        expect(readShareSeen(bytes, offset)).toBe(seen % 2 ** 32);
      },
    ));
  });

  it('payloadLengthValid: only limit_req has a fixed size, and its tombstone may carry none', () => {
    const cases: [number, number, number, boolean][] = [
      [MODULE_LIMIT_REQ, 0, SHARE_BYTES, true],
      [MODULE_LIMIT_REQ, 0, SHARE_BYTES - 1, false],
      [MODULE_LIMIT_REQ, 0, SHARE_BYTES + 1, false],
      [MODULE_LIMIT_REQ, 0, 0, false],
      [MODULE_LIMIT_REQ, 1, 0, true],
      [MODULE_LIMIT_REQ, 1, SHARE_BYTES, true],
      [MODULE_LIMIT_REQ, 1, 5, false],
      [MODULE_KEYVAL, 0, 0, true],
      [MODULE_KEYVAL, 1, 70_000, true],
      [MODULE_STICKY, 0, 1000, true],
    ];
    for (const [moduleTag, flags, length, valid] of cases) expect(payloadLengthValid(moduleTag, flags, length)).toBe(valid);
  });
});
