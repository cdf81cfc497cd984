/**
 * FNV-1a over the key bytes, finished with murmur3's fmix32 so that every output bit
 * depends on every input bit: the shard takes the top bits, the bucket the low bits.
 */
export function hashBytes(u8: Uint8Array, offset: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = offset, end = offset + length; i < end; i++) {
    h ^= u8[i]!;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
