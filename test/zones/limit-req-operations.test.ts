// What rate limiters need of limit_req beyond nginx's take: a cost per request, a rate per
// call, peek, refund, reset and the time to retry, on one node (held to nginx's bucket) and
// across nodes (shares exchanged as the sync thread would).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LimitReqZone, ZoneArgumentError, createNodeContext } from '../../dist/zones/index.js';
import { exchange, expectSound } from './exchange.js';
import { NginxLimitReqModel } from './nginx-limit-req-model.js';

const NOW = 1_700_000_000_000;

function zone(rate: string | number, t: { now: number }, id = 1, sync = false) {
  return LimitReqZone.create({ name: 'req', size: '1m', rate, sync, node: createNodeContext(id), now: () => t.now, syncInterval: 10 });
}

const gapArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 51, max: 5_000 }));

describe('limit_req: one node', () => {
  it('a request of cost c is admitted exactly when c requests at the same instant would all be, and leaves the same bucket', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 10 }),
      fc.array(fc.record({ gapMs: gapArb, cost: fc.integer({ min: 1, max: 6 }) }), { maxLength: 40 }),
      (rate, burst, events) => {
        const t = { now: NOW };
        const whole = zone(`${rate}r/s`, t);
        const single = zone(`${rate}r/s`, t, 2);
        for (const e of events) {
          t.now += e.gapMs;
          const before = single.peek('k', { burst });
          const got = whole.take('k', { burst, cost: e.cost, nodelay: true });
          const each = Array.from({ length: e.cost }, () => single.peek('k', { burst }).allowed && single.take('k', { burst, nodelay: true }).allowed);
          expect(got.allowed).toBe(each.every(Boolean));
          if (!got.allowed) {
            // The cost-1 zone took some; bring it back to where it was so both hold one bucket.
            const taken = each.filter(Boolean).length;
            if (taken > 0) single.refund('k', taken, { burst });
            expect(single.peek('k', { burst }).excess).toBe(before.excess);
          }
          expect(whole.peek('k', { burst })).toEqual(single.peek('k', { burst }));
        }
      }), { numRuns: 200 });
  });

  it('a refund at once after a take brings the bucket back; later, it takes out the cost, down to empty', () => {
    const t = { now: NOW };
    const z = zone('10r/s', t);
    const fresh = z.peek('k', { burst: 5 });
    z.take('k', { burst: 5, cost: 3, nodelay: true });
    expect(z.refund('k', 3, { burst: 5 })).toBe(0);
    expect(z.peek('k', { burst: 5 })).toEqual(fresh);
    z.take('k', { burst: 5, cost: 4, nodelay: true }); // 4 requests in the bucket
    t.now += 100; // one drained
    expect(z.refund('k', 1, { burst: 5 })).toBe(2);
    expect(z.peek('k', { burst: 5 }).excess).toBe(2);
    t.now += 50;
    expect(z.peek('k', { burst: 5 }).excess).toBe(1.5); // drains on from there at the rate
    expect(z.refund('k', 10, { burst: 5 })).toBe(0); // never below empty
    expect(z.take('k', { burst: 5, cost: 6, nodelay: true }).allowed).toBe(true);
  });

  it('a reset empties the key at once', () => {
    const t = { now: NOW };
    const z = zone('1r/m', t);
    expect(z.reset('k')).toBe(false); // nothing to reset
    z.take('k');
    expect(z.take('k').allowed).toBe(false);
    expect(z.reset('k')).toBe(true);
    expect(z.take('k')).toMatchObject({ allowed: true, excess: 0 });
    expect(z.shm.stats().records).toBe(1);
  });

  it('peek answers what take would, and changes nothing', () => {
    const t = { now: NOW };
    const z = zone('5r/s', t);
    for (let i = 0; i < 8; i++) {
      const peeked = z.peek('k', { burst: 3, delay: 1 });
      expect(peeked).toEqual(z.peek('k', { burst: 3, delay: 1 }));
      const taken = z.take('k', { burst: 3, delay: 1 });
      expect({ ...peeked, remaining: taken.remaining }).toEqual(taken);
      t.now += 77;
    }
    expect(z.peek('never-seen', { burst: 2 })).toEqual({ allowed: true, delayMs: 0, excess: 0, retryAfterMs: 0, remaining: 3 });
    expect(z.shm.stats().records).toBe(1);
  });

  it('a rate per call: each call is judged at its own rate, as nginx would with a zone of that rate', () => {
    fc.assert(fc.property(fc.constantFrom('3r/s', '120r/m', 40, 0.5, '1r/m'), fc.integer({ min: 0, max: 5 }), fc.array(gapArb, { maxLength: 50 }),
      (rate, burst, gaps) => {
        const t = { now: NOW };
        const z = zone('1000r/s', t);
        const milli = typeof rate === 'number' ? Math.floor(rate * 1000) : LimitReqZone.create({ name: 'r', size: '64k', rate }).rateMilliPerSecond;
        const model = new NginxLimitReqModel(milli);
        for (const gap of gaps) {
          t.now += gap;
          const want = model.request('k', t.now, { burstMilli: burst * 1000, delayMilli: Infinity });
          expect(z.take('k', { rate, burst, nodelay: true }).allowed).toBe(!want.rejected);
        }
      }), { numRuns: 100 });
  });

  it('retryAfterMs: a request refused at t is admitted at t + retryAfterMs, and not much earlier', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('s', 'm'), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 4 }),
      fc.array(gapArb, { minLength: 1, maxLength: 30 }),
      (requests, per, burst, cost, gaps) => {
        const t = { now: NOW };
        const z = zone(`${requests}r/${per}`, t);
        const rate = z.rateMilliPerSecond;
        for (const gap of gaps) {
          t.now += gap;
          const r = z.take('k', { burst, cost, nodelay: true });
          if (r.allowed) {
            expect(r.retryAfterMs).toBe(0);
            continue;
          }
          if (cost > burst + 1) {
            expect(r.retryAfterMs).toBe(Infinity);
            continue;
          }
          const at = t.now;
          t.now = at + r.retryAfterMs;
          expect(z.peek('k', { burst, cost }).allowed).toBe(true);
          const early = r.retryAfterMs - Math.ceil(2e6 / rate) - 1; // two drained milli-requests of rounding
          if (early > 0) {
            t.now = at + early;
            expect(z.peek('k', { burst, cost }).allowed).toBe(false);
          }
          t.now = at;
        }
      }), { numRuns: 200 });
  });

  it('remaining counts the requests of cost 1 the bucket admits at once', () => {
    const t = { now: NOW };
    const z = zone('1r/s', t);
    expect([0, 1, 2, 3, 4].map(() => z.take('k', { burst: 3, nodelay: true }).remaining)).toEqual([3, 2, 1, 0, 0]);
  });

  it('refuses a bad cost or rate with a clear error, changing nothing', () => {
    const t = { now: NOW };
    const z = zone('1r/s', t);
    for (const cost of [0, -1, 1.5, 1_000_001, Number.NaN]) expect(() => z.take('k', { cost })).toThrow(ZoneArgumentError);
    expect(() => z.refund('k', 0)).toThrow(/cost must be a whole number/);
    for (const rate of ['0r/s', '10r/h', 'fast', 0, -1, 0.0001, Number.POSITIVE_INFINITY]) expect(() => z.take('k', { rate })).toThrow(/invalid rate/);
    expect(z.shm.stats().records).toBe(0);
  });
});

describe('limit_req: a cluster (shares exchanged as the sync thread would)', () => {
  function pair() {
    const t = { now: NOW };
    return { t, a: zone('1r/s', t, 1, true), b: zone('1r/s', t, 2, true) };
  }

  it('a refund on one node frees room in the other\'s view', () => {
    const { a, b } = pair();
    a.take('k', { burst: 3, nodelay: true });
    b.take('k', { burst: 3, nodelay: true });
    exchange(a, [b]);
    exchange(b, [a]);
    a.take('k', { burst: 3, nodelay: true });
    a.take('k', { burst: 3, nodelay: true });
    exchange(a, [b]);
    expect(b.peek('k', { burst: 3 })).toMatchObject({ allowed: false, excess: 4 });
    a.refund('k', 2, { burst: 3 });
    exchange(a, [b]);
    expect(b.peek('k', { burst: 3 }).excess).toBe(2);
    expect(b.take('k', { burst: 3, nodelay: true }).allowed).toBe(true);
    expect(b.take('k', { burst: 3, nodelay: true }).allowed).toBe(true);
    expect(b.take('k', { burst: 3, nodelay: true }).allowed).toBe(false);
    for (const z of [a, b]) expect(expectSound(z)).toEqual([]);
  });

  it('refunds that outnumber admissions do not open the limit: the cluster counts admissions less refunds', () => {
    const { t, a, b } = pair();
    let net = 0;
    // a admits and gives back nine of every ten requests; b sees only the tenth.
    for (let ms = 0; ms < 5_000; ms += 10) {
      t.now += 10;
      if (a.take('k', { burst: 2, nodelay: true }).allowed) {
        if ((ms / 10) % 10 !== 0) a.refund('k', 1, { burst: 2 });
        else net++;
      }
      if (b.take('k', { burst: 2, nodelay: true }).allowed) net++;
      if (ms % 50 === 0) {
        exchange(a, [b]);
        exchange(b, [a]);
      }
    }
    // 5 s at 1r/s and a burst of 2: 8 requests, within what the views let through besides.
    expect(net).toBeGreaterThanOrEqual(7);
    expect(net).toBeLessThanOrEqual(11);
  });

  it('a reset on one node empties the bucket for every node; admissions after it count', () => {
    const { t, a, b } = pair();
    for (let i = 0; i < 3; i++) a.take('k', { burst: 2, nodelay: true });
    b.take('k', { burst: 2, nodelay: true });
    exchange(a, [b]);
    exchange(b, [a]);
    expect(b.peek('k', { burst: 2 }).allowed).toBe(false);
    t.now += 1;
    expect(a.reset('k')).toBe(true);
    expect(a.peek('k', { burst: 2 })).toMatchObject({ allowed: true, excess: 0 });
    exchange(a, [b]);
    expect(b.take('k', { burst: 2, nodelay: true })).toMatchObject({ allowed: true, excess: 0 });
    expect(b.take('k', { burst: 2, nodelay: true }).allowed).toBe(true);
    exchange(b, [a]);
    expect(a.take('k', { burst: 2, nodelay: true }).allowed).toBe(true);
    expect(a.take('k', { burst: 2, nodelay: true }).allowed).toBe(false);
    for (const z of [a, b]) expect(expectSound(z)).toEqual([]);
  });

  it('a node that has not applied the reset is no view for the others: its bucket is not taken up again', () => {
    const t = { now: NOW };
    const [a, b, c] = [1, 2, 3].map((id) => zone('1r/s', t, id, true));
    for (let i = 0; i < 3; i++) c.take('k', { burst: 2, nodelay: true });
    exchange(c, [a, b]);
    t.now += 1;
    expect(a.reset('k')).toBe(true); // a had no share of its own: the reset is its first
    exchange(a, [b]);
    expect(b.take('k', { burst: 2, nodelay: true })).toMatchObject({ allowed: true, excess: 0 });
  });

  it('a reset is not undone by a node that admitted before it heard of it, nor by resets crossing', () => {
    const { t, a, b } = pair();
    for (let i = 0; i < 3; i++) a.take('k', { burst: 5, nodelay: true });
    exchange(a, [b]);
    t.now += 1;
    a.reset('k');
    b.take('k', { burst: 5, nodelay: true }); // before b hears of the reset: counts after it
    b.reset('k'); // and b resets too, crossing a's
    exchange(a, [b]);
    exchange(b, [a]);
    for (const z of [a, b]) expect(z.peek('k', { burst: 5 }).excess).toBe(0);
  });

  it('a zone forgets a key\'s shares once the latest reset and every share it overrode have drained', () => {
    const { t, a, b } = pair();
    for (let i = 0; i < 5; i++) b.take('k', { burst: 10, nodelay: true });
    exchange(b, [a]);
    a.reset('k');
    t.now += 66_000; // 5 requests at 1r/s have drained, and a minute more
    a.take('other');
    expect(a.liveCounts().records).toBe(1);
  });
});
