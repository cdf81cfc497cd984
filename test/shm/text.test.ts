import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeText, encodeText, utf8Length } from 'native-free-shm';

const utf8 = new TextEncoder();

describe('text: strings to UTF-8 and back', () => {
  it('encodes like TextEncoder on both sides of the native threshold, at any offset', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.integer({ min: 0, max: 7 }), (s, offset) => {
      const out = new Uint8Array(offset + s.length * 3 + 1);
      const n = encodeText(s, out, offset);
      const want = utf8.encode(s);
      expect(n).toBe(want.length);
      expect(out.subarray(offset, offset + n)).toEqual(want);
      expect(decodeText(out, offset, n)).toBe(new TextDecoder().decode(want));
    }));
  });

  it('answers -1 when the bytes do not fit, short or long, ASCII or not', () => {
    for (const s of ['abc', 'x'.repeat(23), 'x'.repeat(24), 'y'.repeat(100), 'é'.repeat(30), '🙂'.repeat(10)]) {
      const bytes = utf8Length(s);
      expect(encodeText(s, new Uint8Array(bytes - 1), 0)).toBe(-1);
      expect(encodeText(s, new Uint8Array(bytes + 2), 3)).toBe(-1);
      expect(encodeText(s, new Uint8Array(bytes + 3), 3)).toBe(bytes);
    }
  });
});
