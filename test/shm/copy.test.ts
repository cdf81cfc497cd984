import { describe, expect, it } from 'vitest';
import { copyBytes, viewOf } from 'native-free-shm';

describe('copyBytes', () => {
  it('copies every length on both sides of the word-copy limit, between plain and shared memory, through offset views', () => {
    const plain = Uint8Array.from({ length: 1024 }, (_, i) => (i * 37 + 11) & 0xff);
    const shared = new Uint8Array(new SharedArrayBuffer(1024));
    shared.set(plain);
    // A destination that starts 5 bytes into its buffer: the view's offsets are the array's indices.
    const pairs = [
      [plain, new Uint8Array(new SharedArrayBuffer(2048)).subarray(5)],
      [shared.subarray(3), new Uint8Array(2048)],
    ] as const;
    const lengths = [...Array.from({ length: 81 }, (_, i) => i), 255, 256, 257, 300, 600];
    for (const [src, dst] of pairs) {
      for (const length of lengths) {
        dst.fill(0);
        const to = 100 + (length % 7);
        copyBytes(viewOf(src), 7, viewOf(dst), to, length);
        expect(Array.from(dst.subarray(to, to + length))).toEqual(Array.from(src.subarray(7, 7 + length)));
        expect(dst[to - 1]).toBe(0); // nothing before
        expect(dst[to + length]).toBe(0); // nothing after
      }
    }
  });

  it('refuses to copy past either end', () => {
    const small = viewOf(new Uint8Array(16));
    const big = viewOf(new Uint8Array(1024));
    expect(() => copyBytes(big, 0, small, 10, 8)).toThrow(RangeError);
    expect(() => copyBytes(small, 10, big, 0, 8)).toThrow(RangeError);
    expect(() => copyBytes(big, 0, small, 0, 300)).toThrow(RangeError);
  });
});
