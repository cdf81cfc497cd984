// The cluster-wide rate limit with what rate limiters add to nginx's take, in simulated nodes
// (real zones and sync engines, simulated network and time): requests that cost more than
// one, requests given back (as a limiter that counts only failed requests does), and resets
// of the key from one node. The cluster holds the cost admitted and not given back to
// rate × time + burst, within 10%; a reset opens the whole burst again on every node.
import { describe, expect, it } from 'vitest';
import { alternating, weighted } from '../util/traffic.js';
import { runRateScenario } from './rate-cluster.js';

const RATE = 100;
const WINDOW_MS = 10_000;
const INTERVAL_MS = 50;

describe('limit_req in a simulated cluster: costs and refunds', () => {
  const cases = [2, 3].flatMap((nodes) => [
    { nodes, pattern: 'even', targetOf: alternating(nodes) },
    { nodes, pattern: 'skewed', targetOf: weighted(nodes === 2 ? [0.8, 0.2] : [0.8, 0.1, 0.1]) },
  ]).flatMap((c) => [
    { ...c, cost: 1, every: 2, given: 'one in 2 kept', offered: 4 },
    { ...c, cost: 1, every: 10, given: 'one in 10 kept', offered: 20 },
    { ...c, cost: 5, every: 0, given: 'all kept', offered: 2 },
    { ...c, cost: 3, every: 3, given: 'one in 3 kept', offered: 3 },
  ]);

  it.each(cases)('$nodes nodes, $pattern, cost $cost, $given, offered $offered× the rate in cost',
    async ({ nodes, targetOf, cost, every, offered }) => {
      const burst = 10;
      const o = await runRateScenario({
        rate: RATE, nodes, targetOf, offeredPerSecond: (offered * RATE) / cost, limit: { burst, cost, nodelay: true }, syncIntervalMs: INTERVAL_MS,
        windowMs: WINDOW_MS, refunded: every === 0 ? () => false : (n) => n % every !== 0,
      });
      const expected = (RATE * WINDOW_MS) / 1000 + burst;
      expect(o.netCost).toBeGreaterThanOrEqual(0.9 * expected);
      expect(o.netCost).toBeLessThanOrEqual(1.1 * expected);
    });
});

describe('limit_req in a simulated cluster: resets', () => {
  it.each([2, 3])('%i nodes at 10× the rate: a reset on one node opens the whole burst again, at once, for the cluster', async (nodes) => {
    const burst = 50;
    const resets = [{ atMs: 3_000, node: 0 }, { atMs: 6_000, node: nodes - 1 }];
    const o = await runRateScenario({
      rate: RATE, nodes, targetOf: alternating(nodes), offeredPerSecond: 10 * RATE, limit: { burst, nodelay: true }, syncIntervalMs: INTERVAL_MS,
      windowMs: WINDOW_MS, resets,
    });
    const within = (from: number, to: number) => o.admittedAt.filter((at) => at >= from && at < to).length;
    for (const { atMs } of resets) {
      // 100 ms before a reset the bucket is full: the rate alone (10) and what the views let through.
      expect(within(atMs - 100, atMs)).toBeLessThanOrEqual(20);
      // 100 ms after: the burst again, and the rate.
      expect(within(atMs, atMs + 100)).toBeGreaterThanOrEqual(burst);
    }
    // Over the window: the rate, and the burst once per reset besides the first.
    const expected = (RATE * WINDOW_MS) / 1000 + burst * (1 + resets.length);
    expect(o.admitted).toBeGreaterThanOrEqual(0.9 * expected);
    expect(o.admitted).toBeLessThanOrEqual(1.1 * expected);
  });
});
