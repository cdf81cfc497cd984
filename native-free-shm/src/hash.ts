/**
 * FNV-1a over the key bytes, finished with murmur3's fmix32 so that every output bit
 * depends on every input bit: the shard takes the top bits, the bucket the low bits.
 */
export function hashBytes(u8: Uint8Array, offset: number, length: number): number {
  let h = FNV_OFFSET;
  for (let i = offset, end = offset + length; i < end; i++) {
    h ^= u8[i]!;
    h = Math.imul(h, FNV_PRIME);
  }
  return finishHash(h);
}

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/**
 * Encodes an ASCII string into `out` and hashes it in the same pass, exactly as
 * hashBytes would hash the bytes. Returns the length, or -1 when the string is not ASCII
 * or does not fit (the caller then encodes and hashes separately).
 */
export function encodeAsciiAndHash(s: string, out: Uint8Array): number {
  const n = s.length;
  if (n > out.length) return -1;
  let h = FNV_OFFSET;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    out[i] = c;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  asciiHash = finishHash(h);
  return n;
}

/**
 * Copies src[offset..offset+length) to out[0..length) and returns hashBytes of the copy,
 * in one pass and without a subarray: the sync thread does this for every received key.
 */
export function copyAndHashBytes(src: Uint8Array, offset: number, length: number, out: Uint8Array): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < length; i++) {
    const c = src[offset + i]!;
    out[i] = c;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return finishHash(h);
}

/** The hash computed by the last successful encodeAsciiAndHash. */
export let asciiHash = 0;

function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
