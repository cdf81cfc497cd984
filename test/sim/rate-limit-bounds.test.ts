// The cluster-wide rate limit's bounds (docs/LIMIT_REQ.md), in simulated nodes: at nginx's
// default zone_sync_interval of 1 s the cluster never admits more than the bound over a
// window, and the excess does not grow with the window; during a partition each side holds
// itself to the rate, and after the heal the nodes go back to the rate within a second;
// clocks that disagree by up to half a second change nothing.
import { describe, expect, it } from 'vitest';
import { shareRoundMs } from '../../dist/zones/limit-req/share-rounds.js';
import { alternating, weighted } from '../util/traffic.js';
import { runRateScenario } from './rate-cluster.js';

const RATE = 100;

/**
 * The most a cluster of `nodes` admits over `windowMs` (docs/LIMIT_REQ.md): the rate over the
 * window, a burst, the allowance (one limit_req round at the rate) and one request; and for
 * every other node, what it can admit unseen in one horizon (two limit_req rounds and a second).
 */
function bound(nodes: number, windowMs: number, burst: number, intervalMs: number): number {
  const roundMs = shareRoundMs(intervalMs);
  const allowance = (RATE * roundMs) / 1000;
  const horizonMs = 2 * roundMs + 1_000;
  const perNode = burst + allowance + 1;
  return (RATE * windowMs) / 1000 + perNode + (nodes - 1) * ((RATE * horizonMs) / 1000 + perNode);
}

describe('limit_req at zone_sync_interval 1s (nginx\'s default)', () => {
  const cases = [2, 3].flatMap((nodes) => [
    { nodes, pattern: 'even', targetOf: alternating(nodes) },
    { nodes, pattern: 'skewed', targetOf: weighted(nodes === 2 ? [0.8, 0.2] : [0.8, 0.1, 0.1]) },
  ]).flatMap((c) => [2, 10].flatMap((offered) => [0, 10].map((burst) => ({ ...c, offered, burst }))));

  it.each(cases)('$nodes nodes, $pattern, $offered× the rate, burst=$burst: never above the bound over 10 s', async ({ nodes, targetOf, offered, burst }) => {
    const o = await runRateScenario({
      rate: RATE, nodes, targetOf, offeredPerSecond: offered * RATE, limit: { burst, nodelay: true }, syncIntervalMs: 1_000, windowMs: 10_000,
    });
    expect(o.admitted).toBeLessThanOrEqual(bound(nodes, 10_000, burst, 1_000));
    expect(o.admitted).toBeGreaterThanOrEqual(0.9 * (RATE * 10 + burst));
  });

  it('the excess is once, not per second: over 60 s, 3 nodes at 10× stay within 5% of the rate', async () => {
    const o = await runRateScenario({
      rate: RATE, nodes: 3, targetOf: alternating(3), offeredPerSecond: 10 * RATE, limit: { burst: 10, nodelay: true }, syncIntervalMs: 1_000, windowMs: 60_000,
    });
    expect(o.admitted).toBeLessThanOrEqual(bound(3, 60_000, 10, 1_000));
    expect(Math.abs(o.admitted - RATE * 60)).toBeLessThanOrEqual(0.05 * RATE * 60);
  });
});

describe('limit_req across a partition (zone_sync_interval 50ms)', () => {
  it('each side holds itself to the rate while apart; after the heal the cluster is back at the rate within two seconds', async () => {
    const o = await runRateScenario({
      rate: RATE, nodes: 2, targetOf: alternating(2), offeredPerSecond: 2 * RATE, limit: { burst: 10, nodelay: true }, syncIntervalMs: 50,
      windowMs: 12_000, partition: { fromMs: 3_000, toMs: 7_000, groupOf: (node) => node },
    });
    const seconds = o.perSecond;
    for (const s of [4, 5, 6]) expect(Math.abs(seconds[s]! - 2 * RATE)).toBeLessThanOrEqual(0.1 * 2 * RATE); // two clusters of one
    for (const s of [0, 1, 2, 8, 9, 10, 11]) expect(seconds[s]!).toBeLessThanOrEqual(1.1 * RATE + 10); // one cluster
    for (const s of [9, 10, 11]) expect(seconds[s]!).toBeGreaterThanOrEqual(0.9 * RATE); // nobody left blocked by the other side's past
    // What each side admitted apart is paid back only up to the cap: about one horizon (1.1 s) of refusals.
    expect(seconds[7]! + seconds[8]!).toBeGreaterThanOrEqual(0.5 * RATE);
  });
});

describe('limit_req with clocks half a second apart (zone_sync_interval 50ms)', () => {
  const skews = [(n: number) => [0, 500][n]!, (n: number) => [-500, 0, 500][n]!];
  it.each([2, 3].flatMap((nodes) => [2, 10].flatMap((offered) => [0, 10].map((burst) => ({ nodes, offered, burst })))))(
    '$nodes nodes, even, $offered× the rate, burst=$burst: within 10% of rate × time + burst', async ({ nodes, offered, burst }) => {
      const o = await runRateScenario({
        rate: RATE, nodes, targetOf: alternating(nodes), offeredPerSecond: offered * RATE, limit: { burst, nodelay: true }, syncIntervalMs: 50,
        windowMs: 10_000, skewMs: skews[nodes - 2]!,
      });
      expect(Math.abs(o.admitted - (RATE * 10 + burst))).toBeLessThanOrEqual(0.1 * (RATE * 10 + burst));
    });
});
