import { describe, expect, it } from 'vitest';
import { copyBytes } from 'native-free-shm';

describe('copyBytes', () => {
  it('copies every length on both sides of the short-copy threshold, between plain and shared arrays', () => {
    const plain = Uint8Array.from({ length: 256 }, (_, i) => (i * 37 + 11) & 0xff);
    const shared = new Uint8Array(new SharedArrayBuffer(256));
    shared.set(plain);
    for (const [src, dst] of [[plain, new Uint8Array(new SharedArrayBuffer(512))], [shared, new Uint8Array(512)]] as const) {
      for (let length = 0; length <= 80; length++) {
        dst.fill(0);
        copyBytes(src, 7, dst, 100 + length, length);
        expect(Array.from(dst.subarray(100 + length, 100 + 2 * length))).toEqual(Array.from(src.subarray(7, 7 + length)));
        expect(dst[99 + length]).toBe(0); // nothing before
        expect(dst[100 + 2 * length]).toBe(0); // nothing after
      }
    }
  });
});
