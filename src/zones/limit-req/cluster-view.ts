import { drainMilli, elapsedMs, levelOnArrival } from './leaky-bucket.js';

/**
 * How a node sees a key's bucket across the cluster (docs/LIMIT_REQ.md). Every node keeps
 * its own view of the one bucket: the whole cluster's admitted requests go in, the requests
 * given back (refunds) come out, it drains at `rate`. A node learns the others' admissions
 * from their shares' `admitted` counters: the sum of every share's counter, less the sum it
 * had already counted (`seen`), is what was added since; refunds likewise, from `refunded`
 * and `refund_seen`. Counters are u32 milli-requests and wrap: every sum and difference is
 * modulo 2^32, and a difference past 2^31 means the sum went back (a share left the zone).
 *
 * Admissions of other nodes reach a view late (at most one limit_req round, share-rounds.ts,
 * and the time to send), and are added when they arrive: the view is behind the bucket by
 * what the others admitted in that time, and never drains what it has not seen. What a view takes in at once
 * (admissions less refunds) is capped at what the other nodes can have admitted since it
 * last counted: each at most `rate` over that time plus the staleness horizon, plus a burst
 * and one request. Beyond that (a partition that healed, a share the zone had evicted and
 * gets again) is history that has drained, and is dropped.
 *
 * A view that empties while the others' latest admissions are still on their way wastes
 * drain the bucket had (they arrive whole, as if just made). So while another node has
 * admitted requests within the horizon, a view admits up to what the rate admits in one
 * limit_req round above the burst (unseenAllowance): the view then stays above empty
 * under load, and the cluster admits the rate; the price is that much more at once when
 * traffic starts, as a larger burst would.
 */

/**
 * The most that `others` nodes can have admitted that a view last brought up to date `ms` ago
 * has not counted: each at most rate × (ms + horizon), a burst and one request.
 */
export function freshCap(others: number, rateMilliPerSecond: number, ms: number, horizonMs: number, burstMilli: number): number {
  return others * (drainMilli(rateMilliPerSecond, ms + horizonMs) + burstMilli + 1000);
}

/** How far above the burst a view admits while other nodes are admitting: one limit_req round at the rate. */
export function unseenAllowance(rateMilliPerSecond: number, roundMs: number): number {
  return drainMilli(rateMilliPerSecond, roundMs);
}

/** The staleness horizon: a share is at most one round old when sent; one more, and a second, for sending it on a busy machine. */
export function horizonMsFor(roundMs: number): number {
  return 2 * roundMs + 1_000;
}

/** One view as read from its share, and what judging a request on it found. */
export interface ShareView {
  levelMilli: number;
  lastMs: number;
  seenMilli: number;
  refundSeenMilli: number;
  /**
   * Found: what the view took in, admissions less refunds counted in the sums and not yet in
   * the view, capped; below 0 when refunds outweigh admissions.
   */
  freshMilli: number;
  /**
   * Found: a sum went back (a share left) or the admissions held more than the cap; the view's
   * counts are to be moved to the sums less what it took in (rebasedSeen) even if the request
   * is refused, or the difference would stay (and keep a view full, or hide what others do next).
   */
  rebase: boolean;
}

/** A difference of u32 counters that went back (past 2^31) counts as nothing: a share left. */
function forward(delta: number): number {
  return delta >= 0x80000000 ? -1 : delta;
}

/**
 * The bucket on a request's arrival as the view `share` sees it: its level after its last
 * admitted request, what the cluster added and gave back since (capped), drained since.
 * `sum`, `refundSum`: every share's `admitted` and `refunded` now; `others`: how many shares
 * besides this node's.
 */
export function viewOnArrival(
  share: ShareView, sumMilli: number, refundSumMilli: number, others: number, nowMs: number, rateMilliPerSecond: number,
  horizonMs: number, burstMilli: number,
): number {
  const ms = elapsedMs(nowMs, share.lastMs);
  const added = forward((sumMilli - share.seenMilli) >>> 0);
  const refunded = forward((refundSumMilli - share.refundSeenMilli) >>> 0);
  const net = Math.max(added, 0) - Math.max(refunded, 0);
  const cap = freshCap(others, rateMilliPerSecond, ms, horizonMs, burstMilli);
  share.freshMilli = Math.min(net, cap);
  share.rebase = added < 0 || refunded < 0 || net > cap;
  return levelOnArrival(share.levelMilli, share.freshMilli, rateMilliPerSecond, ms);
}

/**
 * After a rebase, the counts a view keeps so that what it took in (`freshMilli`) stays
 * uncounted, to be taken in at the next request, and the rest is dropped: admissions it took
 * stay out of `seen`, refunds it took stay out of `refund_seen`.
 */
export function rebasedSeen(share: ShareView, sumMilli: number, refundSumMilli: number): { seenMilli: number; refundSeenMilli: number } {
  return {
    seenMilli: (sumMilli - Math.max(share.freshMilli, 0)) >>> 0,
    refundSeenMilli: (refundSumMilli - Math.max(-share.freshMilli, 0)) >>> 0,
  };
}

/** Whether a share's node admitted a request within the horizon: its latest may not be here yet. */
export function admittingWithin(levelMilli: number, lastMs: number, nowMs: number, horizonMs: number): boolean {
  return levelMilli > 0 && elapsedMs(nowMs, lastMs) <= horizonMs;
}
