import { drainMilli, elapsedMs, excessOnArrival } from './leaky-bucket.js';

/**
 * How a node sees a key's bucket across the cluster (docs/LIMIT_REQ.md). Every node keeps
 * its own view of the one bucket: the whole cluster's admitted requests go in, it drains at
 * `rate`. A node learns the others' admissions from their shares' `admitted` counters: the
 * sum of every share's counter, less the sum it had already counted (`seen`), is what was
 * added since. Counters are u32 milli-requests and wrap: every sum and difference is
 * modulo 2^32, and a difference past 2^31 means the sum went back (a share left the zone).
 *
 * Admissions of other nodes reach a view late (at most one zone_sync_interval and the time
 * to send), and are added when they arrive: the view is behind the bucket by what the others
 * admitted in that time, and never drains what it has not seen. What a view takes in at once
 * is capped at what the other nodes can have admitted since it last counted: each at most
 * `rate` over that time plus the staleness horizon, plus a burst and one request. Beyond
 * that (a partition that healed, a share the zone had evicted and gets again) is history
 * that has drained, and is dropped.
 *
 * A view that empties while the others' latest admissions are still on their way wastes
 * drain the bucket had (they arrive whole, as if just made). So while another node has
 * admitted requests within the horizon, a view admits up to what the rate admits in one
 * zone_sync_interval above the burst (unseenAllowance): the view then stays above empty
 * under load, and the cluster admits the rate; the price is that much more at once when
 * traffic starts, as a larger burst would.
 */

/** The sum of `own` and the first `count` counters of `remote`, modulo 2^32. */
export function admittedSum(ownMilli: number, remote: Float64Array, count: number): number {
  let sum = ownMilli >>> 0;
  for (let i = 0; i < count; i++) sum = (sum + remote[i]!) >>> 0;
  return sum;
}

/**
 * The most that `others` nodes can have admitted that a view last brought up to date `ms` ago
 * has not counted: each at most rate × (ms + horizon), a burst and one request.
 */
export function freshCap(others: number, rateMilliPerSecond: number, ms: number, horizonMs: number, burstMilli: number): number {
  return others * (drainMilli(rateMilliPerSecond, ms + horizonMs) + burstMilli + 1000);
}

/** How far above the burst a view admits while other nodes are admitting: one interval at the rate. */
export function unseenAllowance(rateMilliPerSecond: number, syncIntervalMs: number): number {
  return drainMilli(rateMilliPerSecond, syncIntervalMs);
}

/** The staleness horizon: a share is at most one interval old when sent; one more, and a second, for sending it on a busy machine. */
export function horizonMsFor(syncIntervalMs: number): number {
  return 2 * syncIntervalMs + 1_000;
}

/** One share as read from its record, and what judging a request on its view found. */
export interface ShareView {
  excessMilli: number;
  lastMs: number;
  seenMilli: number;
  /** Found: the admissions counted in the sum and not in `seen` that the view took in. */
  freshMilli: number;
  /**
   * Found: the sum went back (a share left) or held more than the cap; the view's `seen` is
   * to be moved to the sum less `freshMilli` even if the request is refused, or the
   * difference would stay (and keep a view full, or hide what others admit next).
   */
  rebase: boolean;
}

/**
 * The bucket on a request's arrival as the view `share` sees it: its content after its last
 * admitted request, what the cluster added since (capped), drained since.
 * `sum`: every share's `admitted` now; `others`: how many shares besides this node's.
 */
export function viewOnArrival(
  share: ShareView, sumMilli: number, others: number, nowMs: number, rateMilliPerSecond: number, horizonMs: number, burstMilli: number,
): number {
  const ms = elapsedMs(nowMs, share.lastMs);
  const cap = freshCap(others, rateMilliPerSecond, ms, horizonMs, burstMilli);
  const added = (sumMilli - share.seenMilli) >>> 0;
  const wentBack = added >= 0x80000000;
  share.freshMilli = wentBack ? 0 : Math.min(added, cap);
  share.rebase = wentBack || added > cap;
  return excessOnArrival(share.excessMilli, share.freshMilli, rateMilliPerSecond, ms);
}
