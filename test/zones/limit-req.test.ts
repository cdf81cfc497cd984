import { describe, expect, it } from 'vitest';
import { LimitReqZone, ZoneArgumentError, createNodeContext } from '../../dist/zones/index.js';
import { exchange, expectSound } from './exchange.js';

function limiter(rate: string, t = { now: 1_700_000_000_000 }) {
  const zone = LimitReqZone.create({ name: 'req', size: '1m', rate, now: () => t.now });
  return { zone, t };
}

describe('limit_req: nginx leaky bucket', () => {
  it('1r/s without burst: the first request passes, the next at once is refused, a second later it passes', () => {
    const { zone, t } = limiter('1r/s');
    expect(zone.take('1.2.3.4')).toEqual({ allowed: true, delayMs: 0, excess: 0, retryAfterMs: 0, remaining: 0 });
    expect(zone.take('1.2.3.4')).toEqual({ allowed: false, delayMs: 0, excess: 1, retryAfterMs: 1000, remaining: 0 });
    t.now += 999;
    expect(zone.take('1.2.3.4').allowed).toBe(false);
    t.now += 1;
    expect(zone.take('1.2.3.4')).toMatchObject({ allowed: true, excess: 0 });
    expect(zone.take('5.6.7.8').allowed).toBe(true); // another key, its own bucket
  });

  it('burst=5 admits 6 at once, then one per period as the bucket drains', () => {
    const { zone, t } = limiter('1r/s');
    const results = Array.from({ length: 8 }, () => zone.take('k', { burst: 5, nodelay: true }));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, true, false, false]);
    expect(results[5]!.excess).toBe(5);
    t.now += 1000;
    expect(zone.take('k', { burst: 5, nodelay: true }).allowed).toBe(true);
    expect(zone.take('k', { burst: 5, nodelay: true }).allowed).toBe(false);
    t.now += 10_000; // drained to empty: nginx clamps after adding this request's 1000
    expect(zone.take('k', { burst: 5, nodelay: true }).excess).toBe(0);
  });

  it('without nodelay, requests beyond the rate are delayed by excess / rate', () => {
    const { zone } = limiter('10r/s');
    expect(zone.take('k', { burst: 5 }).delayMs).toBe(0);
    expect(zone.take('k', { burst: 5 }).delayMs).toBe(100);
    expect(zone.take('k', { burst: 5 }).delayMs).toBe(200);
  });

  it('delay=N serves N requests beyond the rate at once, then delays', () => {
    const { zone } = limiter('10r/s');
    const delays = Array.from({ length: 5 }, () => zone.take('k', { burst: 10, delay: 2 }).delayMs);
    expect(delays).toEqual([0, 0, 0, 100, 200]);
  });

  it('r/m rates drain per minute (30r/m = 500 milli-requests per second)', () => {
    const { zone, t } = limiter('30r/m');
    expect(zone.take('k').allowed).toBe(true);
    t.now += 1000;
    expect(zone.take('k').allowed).toBe(false);
    t.now += 1000;
    expect(zone.take('k').allowed).toBe(true);
  });

  it('a clock that goes back counts no time passing (or 1 ms after a minute), as nginx', () => {
    const { zone, t } = limiter('1r/s');
    zone.take('k', { burst: 2, nodelay: true });
    expect(zone.take('k', { burst: 2, nodelay: true }).excess).toBe(1);
    t.now -= 5000;
    expect(zone.take('k', { burst: 2, nodelay: true }).excess).toBe(2); // no drain
    t.now -= 120_000;
    expect(zone.take('k', { burst: 2, nodelay: true }).allowed).toBe(false);
  });

  it('a key is kept until it has drained: at 1r/m a minute drains 960 of 1000, and nginx still refuses', () => {
    const { zone, t } = limiter('1r/m');
    expect(zone.take('k').allowed).toBe(true);
    t.now += 60_000;
    expect(zone.take('k')).toEqual({ allowed: false, delayMs: 0, excess: 0.04, retryAfterMs: 2_500, remaining: 0 });
    t.now += 2_500; // 1000 drained: empty, as a key never seen
    expect(zone.take('k')).toEqual({ allowed: true, delayMs: 0, excess: 0, retryAfterMs: 0, remaining: 0 });
  });

  it.each([
    { from: '1r/s', to: '10r/s' }, { from: '10r/s', to: '1r/s' }, { from: '1r/m', to: '50r/s' }, { from: '30r/m', to: '2r/m' }, { from: '5r/s', to: 2.5 },
  ])('setRate $from -> $to: a bucket keeps its level and drains at the new rate from its last request on', ({ from, to }) => {
    const { zone, t } = limiter(from);
    const nodelay = { burst: 4, nodelay: true };
    for (let i = 0; i < 5; i++) expect(zone.take('k', nodelay).allowed).toBe(true);
    expect(zone.take('k', nodelay).allowed).toBe(false); // full: 5 requests in the bucket
    zone.setRate(to);
    const milli = zone.rateMilliPerSecond;
    expect(milli).toBe(LimitReqZone.create({ name: 'r', size: '64k', rate: to }).rateMilliPerSecond);
    // Full still: the level is kept; room for one more request once 1000 milli-requests drained at the new rate.
    const wait = Math.ceil((1000 * 1000) / milli);
    expect(zone.take('k', nodelay)).toMatchObject({ allowed: false, retryAfterMs: wait });
    t.now += wait - 1;
    expect(zone.take('k', nodelay).allowed).toBe(wait === 1);
    t.now += 1;
    expect(zone.take('k', nodelay).allowed).toBe(true);
    expect(zone.take('k2', nodelay).retryAfterMs).toBe(0); // a new key: the burst, at once
  });

  it('setRate refuses a bad rate and keeps the old one', () => {
    const { zone } = limiter('1r/s');
    for (const bad of ['10r/h', '0r/s', 0, -1, 5_000_000, '4294968r/s']) {
      expect(() => zone.setRate(bad)).toThrow(ZoneArgumentError);
      expect(zone.rateMilliPerSecond).toBe(1000);
    }
  });

  it('rejects bad rates and options with clear errors', () => {
    expect(() => LimitReqZone.create({ name: 'r', size: '1m', rate: '10r/h' })).toThrow(/invalid rate "10r\/h"/);
    const { zone } = limiter('1r/s');
    expect(() => zone.take('k', { burst: -1 })).toThrow(ZoneArgumentError);
    expect(() => zone.take('x'.repeat(300))).toThrow(/longer than the zone's limit/);
  });
});

describe('limit_req across a cluster (per-origin shares, exchanged as the sync thread would)', () => {
  function cluster(rate: string, burst: number, pattern: (origin: number, ms: number) => boolean, intervalMs: number) {
    const t = { now: 1_700_000_000_000 };
    const zones = [1, 2, 3].map((id) => LimitReqZone.create({ name: 'req', size: '1m', rate, sync: true, node: createNodeContext(id), now: () => t.now, syncInterval: intervalMs }));
    let admitted = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      t.now++;
      zones.forEach((z, i) => {
        if (pattern(i, ms) && z.take('client', { burst, nodelay: true }).allowed) admitted++;
      });
      if (ms % intervalMs === 0) zones.forEach((z, i) => exchange(z, zones.filter((_, j) => j !== i)));
    }
    for (const z of zones) expect(expectSound(z)).toEqual([]);
    return admitted;
  }

  const rate = 100; // r/s
  const burst = 20;
  const expected = rate * 10 + burst;
  // Each origin sends at three times the rate: one request every 10/3 ms.
  const even = (origin: number, ms: number) => (ms * 3 + origin) % 10 < 3;
  // All traffic on origin 0 for 3 s, then origin 1, then origin 2.
  const moving = (origin: number, ms: number) => Math.min(2, Math.floor(ms / 3334)) === origin && ms % 10 < 9;

  it('holds the whole cluster to rate × 10 s + burst, within 10%, for even traffic', () => {
    const admitted = cluster(`${rate}r/s`, burst, even, 10);
    expect(admitted).toBeGreaterThan(expected * 0.9);
    expect(admitted).toBeLessThan(expected * 1.1);
  });

  it('holds it too when the traffic moves from one origin to another', () => {
    const admitted = cluster(`${rate}r/s`, burst, moving, 10);
    expect(admitted).toBeGreaterThan(expected * 0.9);
    expect(admitted).toBeLessThan(expected * 1.1);
  });

  it('finds its own share behind more than 64 other origins\' shares of a key', () => {
    const t = { now: 1_700_000_000_000 };
    const make = (id: number) => LimitReqZone.create({ name: 'req', size: '64k', rate: '10r/s', sync: true, node: createNodeContext(id), now: () => t.now });
    const own = make(1);
    own.take('client'); // its share comes first, so the others' end up ahead of it in the bucket
    for (let id = 2; id <= 71; id++) {
      const other = make(id);
      other.take('client');
      exchange(other, [own]);
    }
    t.now += 30_000; // everything has drained; the shares are still kept
    let allowed = 0;
    for (let i = 0; i < 10; i++) if (own.take('client', { burst: 5, nodelay: true }).allowed) allowed++;
    expect(allowed).toBe(6); // the clock stands still: one request and a burst of 5
    expect(own.shm.stats().records).toBe(71); // its own share found, not written twice
    expect(expectSound(own)).toEqual([]);
  });

  it('without sync, each node would admit the full rate: three times as much', () => {
    const t = { now: 1_700_000_000_000 };
    const zones = [1, 2, 3].map((id) => LimitReqZone.create({ name: 'req', size: '1m', rate: `${rate}r/s`, node: createNodeContext(id), now: () => t.now }));
    let admitted = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      t.now++;
      zones.forEach((z, i) => { if (even(i, ms) && z.take('client', { burst, nodelay: true }).allowed) admitted++; });
    }
    expect(admitted).toBeGreaterThan(expected * 2.7);
  });
});

describe('limit_req across a cluster: the allowance above the burst adds no delay', () => {
  it.each([
    { burst: 0, maxDelayMs: 0 },
    { burst: 10, maxDelayMs: 100 }, // at most burst / rate, as one nginx bucket
  ])('burst=$burst without nodelay: an admitted request waits at most $maxDelayMs ms', ({ burst, maxDelayMs }) => {
    const t = { now: 1_700_000_000_000 };
    const zones = [1, 2].map((id) => LimitReqZone.create({
      name: 'req', size: '1m', rate: '100r/s', sync: true, syncInterval: 100, node: createNodeContext(id), now: () => t.now,
    }));
    let admitted = 0;
    let longest = 0;
    for (let ms = 0; ms < 5_000; ms += 5) { // 200 r/s, alternating: 2x the rate
      t.now += 5;
      const r = zones[(ms / 5) % 2]!.take('client', { burst });
      if (r.allowed) admitted++;
      if (r.allowed) longest = Math.max(longest, r.delayMs);
      if (ms % 100 === 0) zones.forEach((z, i) => exchange(z, zones.filter((_, j) => j !== i)));
    }
    expect(admitted).toBeGreaterThan(400); // the cluster admits about the rate (500 in 5 s)
    expect(longest).toBeLessThanOrEqual(maxDelayMs);
  });
});
