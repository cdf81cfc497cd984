/**
 * How often limit_req shares travel (docs/LIMIT_REQ.md "How late shares arrive"). A view
 * hears the other nodes' admissions one round late, and the cluster's excess over the rate
 * grows with that lateness; at nginx's default zone_sync_interval of 1 s it passes 10% over
 * 10 s. So a limit_req zone's records are sent in rounds of their own, a whole fraction of
 * zone_sync_interval and at most SHARE_ROUND_MAX_MS apart; the other zones' every interval.
 */

/** The longest time between two rounds that send a limit_req zone's shares. */
export const SHARE_ROUND_MAX_MS = 100;

/** limit_req rounds per zone_sync_interval: 1 for an interval of SHARE_ROUND_MAX_MS or less. */
export function shareRoundsPerInterval(syncIntervalMs: number): number {
  return Math.max(1, Math.ceil(syncIntervalMs / SHARE_ROUND_MAX_MS));
}

/** The time between two limit_req rounds, rounded up to the ms: how late a share is when sent, at most. */
export function shareRoundMs(syncIntervalMs: number): number {
  return Math.ceil(syncIntervalMs / shareRoundsPerInterval(syncIntervalMs));
}
