/**
 * Copies between byte arrays, shared or not, the fastest way V8 offers for the length.
 * Measured on Node 20 with plain and SharedArrayBuffer-backed arrays alike: a byte loop
 * costs about 2.5 ns a byte; set() on a subarray view costs 60-100 ns whatever the length
 * (the view is an allocation and set() a builtin call). They cross near 32 bytes.
 */
export const SHORT_COPY_BYTES = 32;

/** Copies src[from..from+length) to dst at `to`. */
export function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, length: number): void {
  if (length <= SHORT_COPY_BYTES) {
    for (let i = 0; i < length; i++) dst[to + i] = src[from + i]!;
  } else {
    dst.set(src.subarray(from, from + length), to);
  }
}
