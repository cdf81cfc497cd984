// A server's time left out (NGINX Plus's downtime and downstart), kept in the node's shared
// counters of its upstream block: every period counted once, a failure within a period
// extending it, downstart present only while the server is left out.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UpstreamCounters } from '../../dist/gateway/upstream-counters.js';
import { upstreamObject } from '../../dist/api/upstreams.js';

const T0 = Date.parse('2026-12-01T12:00:00Z');

describe('downtime and downstart', () => {
  it('a period counts while it lasts and stops at its end; the next one adds to it', () => {
    const c = new UpstreamCounters(UpstreamCounters.create(2));
    expect(c.read(0, T0)).toMatchObject({ downtimeMs: 0, unavail: 0 });
    expect(c.read(0, T0).downStartMs).toBeUndefined();
    c.unavailable(0, T0 + 10_000, T0);
    expect(c.read(0, T0 + 4_000)).toMatchObject({ downtimeMs: 4_000, downStartMs: T0, unavail: 1 });
    // a failure within the period extends it; it is still one period from T0
    c.unavailable(0, T0 + 15_000, T0 + 5_000);
    expect(c.read(0, T0 + 12_000)).toMatchObject({ downtimeMs: 12_000, downStartMs: T0, unavail: 2 });
    // over: 15 s counted, no downstart
    const after = c.read(0, T0 + 60_000);
    expect(after.downtimeMs).toBe(15_000);
    expect(after.downStartMs).toBeUndefined();
    // another period later
    c.unavailable(0, T0 + 110_000, T0 + 100_000);
    expect(c.read(0, T0 + 103_000)).toMatchObject({ downtimeMs: 18_000, downStartMs: T0 + 100_000 });
    expect(c.read(0, T0 + 200_000).downtimeMs).toBe(25_000);
    expect(c.read(1, T0 + 200_000)).toMatchObject({ downtimeMs: 0, unavail: 0 });
  });

  it.each([
    ['left out at the reload: the period ends there', T0 + 5_000, 5_000 + 3_000],
    ['a period over before the reload: counted whole', T0 + 20_000, 10_000 + 3_000],
  ])('a reload that gives the block new counters carries the downtime (%s)', (_what, reloadMs, downtimeMs) => {
    const from = new UpstreamCounters(UpstreamCounters.create(1));
    from.unavailable(0, T0 - 7_000, T0 - 10_000); // an earlier period of 3 s
    from.unavailable(0, T0 + 10_000, T0);
    const to = new UpstreamCounters(UpstreamCounters.create(2));
    to.carryOver(1, from, 0, reloadMs);
    const later = to.read(1, T0 + 100_000);
    expect(later).toMatchObject({ downtimeMs, unavail: 2, unavailableUntilMs: 0 });
    expect(later.downStartMs).toBeUndefined();
    expect(to.read(1, reloadMs).downStartMs).toBeUndefined();
    // the previous counters, which requests in flight finish on, are as they were
    expect(from.read(0, T0 + 100_000)).toMatchObject({ downtimeMs: 13_000, unavail: 2 });
  });

  it('the API object: downtime in ms, downstart as a date while unavail', () => {
    const c = new UpstreamCounters(UpstreamCounters.create(1));
    c.unavailable(0, T0 + 10_000, T0);
    const peer = (now: number) => (upstreamObject({
      name: 'u', zone: null, peers: [{ server: 'a:1', weight: 1, maxConns: 0, backup: false, down: false, unavailable: now < T0 + 10_000, traffic: c.read(0, now) }],
    }).peers as Record<string, unknown>[])[0]!;
    expect(peer(T0 + 2_500)).toMatchObject({ state: 'unavail', downtime: 2_500, downstart: '2026-12-01T12:00:00.000Z' });
    expect(peer(T0 + 20_000)).toMatchObject({ state: 'up', downtime: 10_000 });
    expect(peer(T0 + 20_000)).not.toHaveProperty('downstart');
  });

  it('the downtime is the length of the union of the periods, whatever the failures', () => {
    // failures at increasing times, each leaving the server out for its fail_timeout
    const failures = fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 3_000 })), { minLength: 1, maxLength: 30 });
    fc.assert(fc.property(failures, (steps) => {
      const c = new UpstreamCounters(UpstreamCounters.create(1));
      let now = T0;
      const periods: [number, number][] = [];
      for (const [gap, timeout] of steps) {
        now += gap;
        c.unavailable(0, now + timeout, now);
        periods.push([now, now + timeout]);
      }
      const end = now + 10_000;
      let union = 0;
      let reach = -Infinity;
      for (const [from, to] of periods) {
        const start = Math.max(from, reach);
        if (to > start) union += to - start;
        reach = Math.max(reach, to);
      }
      expect(c.read(0, end).downtimeMs).toBe(union);
    }));
  });
});
