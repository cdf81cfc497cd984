// The cluster-wide rate limit over the space users reach, in simulated nodes (real zones,
// real sync engines, simulated network and time: deterministic and fast): 2 and 3 nodes;
// traffic even, skewed 80/20 or on one node; offered at 1.1×, 2× and 10× the rate; with no
// burst, burst with nodelay, burst alone (every request beyond the rate delayed) and
// burst with delay=N; at zone_sync_interval 50ms, 250ms and nginx's default 1s. Over a 10 s
// window the cluster admits rate × time + burst within 10%; traffic on one node is answered
// exactly as one nginx would answer it.
import { describe, expect, it } from 'vitest';
import type { TakeOptions } from '../../dist/zones/index.js';
import { alternating, weighted } from '../util/traffic.js';
import { runRateScenario } from './rate-cluster.js';

const RATE = 100;
const WINDOW_MS = 10_000;
const INTERVALS_MS = [50, 250, 1_000];

const LIMITS: Array<[string, TakeOptions]> = [
  ['no burst', {}],
  ['burst=10 nodelay', { burst: 10, nodelay: true }],
  ['burst=10', { burst: 10 }],
  ['burst=10 delay=5', { burst: 10, delay: 5 }],
];

function patterns(nodes: number): Array<[string, (n: number) => number]> {
  return [
    ['even', alternating(nodes)],
    ['skewed 80/20', weighted(nodes === 2 ? [0.8, 0.2] : [0.8, 0.1, 0.1])],
    ['on one node', () => 0],
  ];
}

const TABLE = INTERVALS_MS.flatMap((intervalMs) => [2, 3].flatMap((nodes) => patterns(nodes).flatMap(([pattern, targetOf]) => [1.1, 2, 10].flatMap((offered) =>
  LIMITS.map(([limitName, limit]) => ({
    name: `zone_sync_interval ${intervalMs}ms, ${nodes} nodes, ${pattern}, ${offered}× the rate, ${limitName}`, intervalMs, nodes, pattern, targetOf, offered, limit,
  }))))));

describe('limit_req in a simulated cluster: admitted over 10 s is rate × time + burst, within 10%', () => {
  it.each(TABLE)('$name', async ({ intervalMs, nodes, pattern, targetOf, offered, limit }) => {
    const o = await runRateScenario({
      rate: RATE, nodes, targetOf, offeredPerSecond: offered * RATE, limit, syncIntervalMs: intervalMs, windowMs: WINDOW_MS,
    });
    const burst = limit.burst ?? 0;
    const expected = (RATE * WINDOW_MS) / 1000 + burst;
    const shared = pattern !== 'on one node';
    if (shared) {
      expect(o.admitted).toBeGreaterThanOrEqual(0.9 * expected);
      expect(o.admitted).toBeLessThanOrEqual(1.1 * expected);
      expect(o.byNode.every((n) => n > 0)).toBe(true); // no node is starved
    } else {
      // One node's traffic is nginx's bucket exactly; without burst at 1.1× nginx itself
      // refuses every other request (they come 9 ms apart, the bucket drains one per 10 ms).
      expect(o.admitted).toBe(o.reference);
      if (burst > 0 || offered >= 2) expect(Math.abs(o.admitted - expected)).toBeLessThanOrEqual(0.1 * expected);
    }
    // Delays: none with nodelay; otherwise what is beyond the delay threshold, at the rate,
    // counted up to the burst only (the allowance above it never delays).
    const threshold = limit.nodelay ? Infinity : limit.delay ?? 0;
    const mostAbove = burst - threshold;
    if (threshold === Infinity || mostAbove <= 0) expect(o.maxDelayMs).toBe(0);
    else {
      expect(o.maxDelayMs).toBeLessThanOrEqual((mostAbove * 1000) / RATE);
      if (offered >= 2) expect(o.maxDelayMs).toBeGreaterThan(0);
    }
  });
});
