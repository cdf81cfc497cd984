/**
 * nginx's leaky bucket (ngx_http_limit_req_module), in milli-requests: every request adds
 * 1000, the bucket drains `rate` milli-requests per second, a request is refused when the
 * bucket would hold more than `burst` × 1000. Pure functions, no state.
 */

/** Elapsed ms as nginx counts it: a clock that went back a little counts 0, a lot counts 1. */
export function elapsedMs(nowMs: number, lastMs: number): number {
  const ms = nowMs - lastMs;
  if (ms < -60_000) return 1;
  if (ms < 0) return 0;
  return ms;
}

/** What is left of `excess` after `ms` of draining at `ratePerSecond` milli-requests per second. */
export function drained(excess: number, ratePerSecondMilli: number, ms: number): number {
  const left = excess - (ratePerSecondMilli * ms) / 1000;
  return left > 0 ? left : 0;
}

/** How long a request at `excess` should wait before it is served (nginx's limit_req delay). */
export function delayMsFor(excess: number, delayThresholdMilli: number, ratePerSecondMilli: number): number {
  if (excess <= delayThresholdMilli) return 0;
  return Math.ceil(((excess - delayThresholdMilli) * 1000) / ratePerSecondMilli);
}

/** A share with no more requests is kept this long after draining, as nginx keeps idle nodes. */
export const IDLE_KEEP_MS = 60_000;
