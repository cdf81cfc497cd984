/**
 * A counter's fixed windows (docs/PROTOCOL.md "Payloads", counter). A key counted in windows
 * of W ms has the windows [k × W + o, (k + 1) × W + o) for every whole k, offset by
 * o = hash mod W, the hash being the zone's key hash (MurmurHash3 x86 32-bit, seed 0, over
 * the key's UTF-8 bytes). Every node computes the same windows from its own clock, without
 * a message; the offset spreads the keys' window ends, so that they do not all start again
 * at the same moment.
 */

/** No window: the count never lapses. */
export const NO_WINDOW = 0;

/** The start of the window of `windowMs` that holds `nowMs`, for a key of hash `keyHash`. */
export function windowStartAt(nowMs: number, windowMs: number, keyHash: number): number {
  if (windowMs === NO_WINDOW) return 0;
  const offset = keyHash % windowMs;
  return Math.floor((nowMs - offset) / windowMs) * windowMs + offset;
}

/** The end of that window (0 with no window). */
export function windowEndAt(startMs: number, windowMs: number): number {
  return windowMs === NO_WINDOW ? 0 : startMs + windowMs;
}
