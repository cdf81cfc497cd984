/**
 * nginx's leaky bucket (ngx_http_limit_req_module), in milli-requests and whole numbers as
 * nginx computes it: the bucket drains `rate` milli-requests per second, rounded down per
 * lookup; a request is refused when the bucket, drained, holds more than `burst` × 1000
 * besides it; an admitted request adds its cost (1000 for one request). Pure functions, no
 * state.
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
 * nginx's `excess = lr->excess - rate * ms / 1000 + 1000`, clamped at 0, with the bucket kept as
 * its level: what it held after the last admitted request (nginx's excess plus that request's
 * 1000), what was added to it since (`addedMilli`: 0 for nginx alone; below 0 for requests
 * given back), drained for `ms`. A request of cost 1 finds nginx's excess.
 */
export function levelOnArrival(levelMilli: number, addedMilli: number, rateMilliPerSecond: number, ms: number): number {
  const left = levelMilli + addedMilli - drainMilli(rateMilliPerSecond, ms);
  return left > 0 ? left : 0;
}

/**
 * A request of `costMilli` on a bucket at `levelMilli` (as it arrives): admitted when the
 * bucket, this request added, holds at most `limitMilli` beyond one request, which for a cost
 * of one request is nginx's `excess <= burst`.
 */
export function admits(levelMilli: number, costMilli: number, limitMilli: number): boolean {
  return levelMilli + costMilli - 1000 <= limitMilli;
}

/**
 * How long until a request of `costMilli` refused at `levelMilli` would be admitted, if
 * nothing else arrives: until the bucket has drained what it holds beyond the limit, rounded
 * up to the ms (drainMilli rounds down). Infinity for a cost the limit never admits.
 */
export function retryAfterMsFor(levelMilli: number, costMilli: number, limitMilli: number, rateMilliPerSecond: number): number {
  if (costMilli - 1000 > limitMilli) return Infinity;
  const over = levelMilli + costMilli - 1000 - limitMilli;
  return over <= 0 ? 0 : Math.ceil((over * 1000) / rateMilliPerSecond);
}

/** How many requests of cost 1 a bucket at `levelMilli` admits at once within the burst. */
export function remainingAt(levelMilli: number, burstMilli: number): number {
  return levelMilli > burstMilli ? 0 : Math.floor((burstMilli - levelMilli) / 1000) + 1;
}

/** How long an admitted request at `excess` waits before it is served (nginx's limit_req delay). */
export function delayMsFor(excessMilli: number, delayThresholdMilli: number, rateMilliPerSecond: number): number {
  if (excessMilli <= delayThresholdMilli) return 0;
  return Math.floor(((excessMilli - delayThresholdMilli) * 1000) / rateMilliPerSecond);
}

/** A share with no more requests is kept this long after draining, as nginx keeps idle nodes. */
export const IDLE_KEEP_MS = 60_000;

/**
 * How long a share written at `levelMilli` must be kept: until it has drained so far that a
 * request finds it empty (exactly what a key seen for the first time finds), then
 * IDLE_KEEP_MS, which also covers a `last` left up to a minute ahead of the clock (elapsedMs).
 */
export function keepMsFor(levelMilli: number, rateMilliPerSecond: number): number {
  return Math.ceil((levelMilli * 1000) / rateMilliPerSecond) + IDLE_KEEP_MS;
}
