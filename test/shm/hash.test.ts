import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ShmZone, hashBytes } from 'native-free-shm';

const ascii = new TextEncoder();

describe('key hash (MurmurHash3 x86 32, seed 0)', () => {
  it("gives the reference implementation's values", () => {
    // From Appleby's C reference (MurmurHash3_x86_32, seed 0), compiled and run on these inputs.
    const strings: [string, number][] = [
      ['', 0x00000000], ['a', 0x3c2569b2], ['ab', 0x9bbfd75f], ['abc', 0xb3dd93fa], ['abcd', 0x43ed676a],
      ['hello', 0x248bfa47], ['The quick brown fox jumps over the lazy dog', 0x2e4ff723],
      ['key-0000000000000000000000000123', 0xd7179f51],
    ];
    for (const [s, want] of strings) expect(hashBytes(ascii.encode(s), 0, s.length)).toBe(want);
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => (i * 37 + 11) & 0xff);
    const tails = [0x00000000, 0x089875d4, 0x2779bcfd, 0x39388586, 0xdc86f46a, 0x5bc8ea27, 0x413d89d1, 0xba61c5fc, 0x2301ddf6, 0xa052ca9e];
    tails.forEach((want, n) => expect(hashBytes(bytes, 200, n)).toBe(want));
    expect(hashBytes(bytes, 0, 256)).toBe(0xe7fef2a0);
  });

  it('is the same for the same bytes whichever way the key comes in: a string, bytes at any offset, a suffix appended', () => {
    const zone = ShmZone.create({ sizeBytes: 1 << 20, shards: 4, maxKeyBytes: 200 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 90 }), fc.integer({ min: 0, max: 9 }), fc.nat(), (key, offset, suffix) => {
      const encoded = ascii.encode(key);
      const want = hashBytes(encoded, 0, encoded.length);
      zone.setKey(key); // ASCII strings: encoded and hashed in one pass; others: encoded, then hashed
      expect(zone.keyHash).toBe(want);
      const wire = new Uint8Array(offset + encoded.length + 3);
      wire.set(encoded, offset);
      zone.setKeyBytes(wire, offset, encoded.length); // copied and hashed in one pass
      expect(zone.keyHash).toBe(want);
      expect(zone.key.subarray(0, encoded.length)).toEqual(encoded);
      zone.appendKeyU32(suffix); // this zone hashes the suffix too
      const withSuffix = new Uint8Array(encoded.length + 4);
      withSuffix.set(encoded);
      new DataView(withSuffix.buffer).setUint32(encoded.length, suffix >>> 0);
      expect(zone.keyHash).toBe(hashBytes(withSuffix, 0, withSuffix.length));
    }), { numRuns: 500 });
  });

  it('spreads keys that differ only in their last digits over every shard and evenly over buckets', () => {
    const buckets = new Uint32Array(1 << 12);
    const shards = new Uint32Array(16);
    const keys = 1 << 16;
    for (let i = 0; i < keys; i++) {
      const key = ascii.encode(`key-${i.toString().padStart(28, '0')}`);
      const h = hashBytes(key, 0, key.length);
      buckets[h & (buckets.length - 1)]!++;
      shards[h >>> 28]!++;
    }
    for (const count of shards) expect(Math.abs(count - keys / 16)).toBeLessThan(keys / 16 * 0.05);
    // 16 keys a bucket on average: a uniform hash leaves almost no bucket empty or over 40.
    expect(buckets.filter((c) => c === 0).length).toBeLessThan(4);
    expect(Math.max(...buckets)).toBeLessThan(40);
  });
});
