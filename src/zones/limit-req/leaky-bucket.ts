/**
 * nginx's leaky bucket (ngx_http_limit_req_module), in milli-requests and whole numbers as
 * nginx computes it: the bucket drains `rate` milli-requests per second, rounded down per
 * lookup; a request is refused when the bucket, drained, holds more than `burst` × 1000;
 * an admitted request leaves `excess` (the drained content before it) and adds its own 1000
 * on top. Pure functions, no state.
 */

/** Elapsed ms as nginx counts it: a clock that went back a little counts 0, a lot counts 1. */
export function elapsedMs(nowMs: number, lastMs: number): number {
  const ms = nowMs - lastMs;
  if (ms < -60_000) return 1;
  if (ms < 0) return 0;
  return ms;
}

/** What the bucket drains in `ms`: nginx's `ctx->rate * ms / 1000`, rounded down. */
export function drainMilli(rateMilliPerSecond: number, ms: number): number {
  return Math.floor((rateMilliPerSecond * ms) / 1000);
}

/**
 * nginx's `excess = lr->excess - rate * ms / 1000 + 1000`, clamped at 0: the bucket's content
 * when a request arrives, given what it held after the last admitted request (`excess` plus
 * that request's 1000) and what was added to it since (`addedMilli`, 0 for nginx alone).
 */
export function excessOnArrival(excessMilli: number, addedMilli: number, rateMilliPerSecond: number, ms: number): number {
  const left = excessMilli + 1000 + addedMilli - drainMilli(rateMilliPerSecond, ms);
  return left > 0 ? left : 0;
}

/** How long an admitted request at `excess` waits before it is served (nginx's limit_req delay). */
export function delayMsFor(excessMilli: number, delayThresholdMilli: number, rateMilliPerSecond: number): number {
  if (excessMilli <= delayThresholdMilli) return 0;
  return Math.floor(((excessMilli - delayThresholdMilli) * 1000) / rateMilliPerSecond);
}

/** A share with no more requests is kept this long after draining, as nginx keeps idle nodes. */
export const IDLE_KEEP_MS = 60_000;

/**
 * How long a share written with `excess` must be kept: until it has drained so far that a
 * request finds it empty (exactly what a key seen for the first time finds), then IDLE_KEEP_MS,
 * which also covers a `last` left up to a minute ahead of the clock (elapsedMs).
 */
export function keepMsFor(excessMilli: number, rateMilliPerSecond: number): number {
  return Math.ceil(((excessMilli + 1000) * 1000) / rateMilliPerSecond) + IDLE_KEEP_MS;
}
