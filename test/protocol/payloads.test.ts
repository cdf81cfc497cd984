import { describe, expect, it } from 'vitest';
import {
  LimitReqShare,
  PAYLOAD_OUT_OF_RANGE,
  PAYLOAD_TRAILING_BYTES,
  PAYLOAD_TRUNCATED,
  decodeKeyvalPayload,
  decodeLimitReqPayload,
  decodeStickyPayload,
  isPayloadError,
  keyvalPayloadLength,
  payloadLengthValid,
  stickyPayloadLength,
  utf8ByteLength,
  writeKeyvalPayload,
  writeLimitReqPayload,
  writeStickyPayload,
} from '../../dist/sync/protocol/index.js';
import { hex, toHex } from './helpers.js';

describe('keyval and sticky payloads', () => {
  it('keyval: UTF-8 value bytes at an offset', () => {
    const bytes = new Uint8Array(10);
    expect(keyvalPayloadLength('aé')).toBe(3);
    expect(writeKeyvalPayload(bytes, 2, 'aé', 3)).toBe(5);
    expect(toHex(bytes)).toBe('00 00 61 c3 a9 00 00 00 00 00');
    expect(decodeKeyvalPayload(bytes, 2, 3)).toBe('aé');
    expect(decodeKeyvalPayload(bytes, 2, 0)).toBe('');
  });

  it('sticky: the server name', () => {
    const bytes = new Uint8Array(16);
    const name = '10.0.0.1:80';
    expect(stickyPayloadLength(name)).toBe(11);
    expect(writeStickyPayload(bytes, 0, name, 11)).toBe(11);
    expect(decodeStickyPayload(bytes, 0, 11)).toBe(name);
  });

  it('a payload past the buffer is truncated, not a throw', () => {
    const bytes = new Uint8Array(4);
    expect(decodeKeyvalPayload(bytes, 2, 3)).toBe(PAYLOAD_TRUNCATED);
    expect(decodeStickyPayload(bytes, -1, 2)).toBe(PAYLOAD_TRUNCATED);
    expect(isPayloadError(decodeKeyvalPayload(bytes, 0, 5))).toBe(true);
    expect(isPayloadError('')).toBe(false);
  });

  it('a wrong length given to the writer throws (a caller bug)', () => {
    expect(() => writeKeyvalPayload(new Uint8Array(8), 0, 'abc', 2)).toThrow(/length mismatch/);
  });

  it('utf8ByteLength agrees with TextEncoder, lone surrogates included', () => {
    for (const text of ['', 'a', 'é', '€', '😀', 'a😀b', '\ud800', '\udc00x', '\ud800\ud800', 'x\u07ff\u0800']) {
      expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).length);
    }
  });
});

describe('limit_req payload', () => {
  it('excess u32 then last u64, byte for byte', () => {
    const bytes = new Uint8Array(14);
    const view = new DataView(bytes.buffer);
    expect(writeLimitReqPayload(view, 1, 1500, 1_700_000_000_123)).toBe(13);
    expect(toHex(bytes)).toBe(toHex(hex('00 | 00 00 05 dc | 00 00 01 8b cf e5 68 7b | 00')));
    const share = new LimitReqShare();
    expect(decodeLimitReqPayload(view, 1, 12, share)).toBeNull();
    expect(share.excessMilli).toBe(1500);
    expect(share.lastMs).toBe(1_700_000_000_123);
  });

  it('extremes: excess 2^32-1, last 2^53-1', () => {
    const view = new DataView(new ArrayBuffer(12));
    writeLimitReqPayload(view, 0, 0xffffffff, Number.MAX_SAFE_INTEGER);
    const share = new LimitReqShare();
    expect(decodeLimitReqPayload(view, 0, 12, share)).toBeNull();
    expect(share.excessMilli).toBe(0xffffffff);
    expect(share.lastMs).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('bad payloads are error results and leave the share alone', () => {
    const share = new LimitReqShare();
    share.excessMilli = 42;
    const view = new DataView(hex('00 00 00 01 | 00 20 00 00 00 00 00 00 | 00').buffer);
    expect(decodeLimitReqPayload(view, 0, 11, share)).toBe(PAYLOAD_TRUNCATED);
    expect(decodeLimitReqPayload(view, 2, 12, share)).toBe(PAYLOAD_TRUNCATED); // runs past the buffer
    expect(decodeLimitReqPayload(view, 0, 13, share)).toBe(PAYLOAD_TRAILING_BYTES);
    expect(decodeLimitReqPayload(view, 0, 12, share)).toBe(PAYLOAD_OUT_OF_RANGE); // last = 2^53
    expect(share.excessMilli).toBe(42);
  });

  it('the writer refuses values the wire cannot carry', () => {
    const view = new DataView(new ArrayBuffer(12));
    expect(() => writeLimitReqPayload(view, 0, -1, 0)).toThrow(RangeError);
    expect(() => writeLimitReqPayload(view, 0, 2 ** 32, 0)).toThrow(RangeError);
    expect(() => writeLimitReqPayload(view, 0, 1.5, 0)).toThrow(RangeError);
    expect(() => writeLimitReqPayload(view, 0, 0, 2 ** 53)).toThrow(RangeError);
  });

  it('payloadLengthValid: only limit_req has a fixed size', () => {
    expect(payloadLengthValid(2, 0, 12)).toBe(true);
    expect(payloadLengthValid(2, 0, 11)).toBe(false);
    expect(payloadLengthValid(2, 0, 0)).toBe(false);
    expect(payloadLengthValid(2, 1, 0)).toBe(true);
    expect(payloadLengthValid(1, 0, 0)).toBe(true);
    expect(payloadLengthValid(3, 0, 1000)).toBe(true);
  });
});
