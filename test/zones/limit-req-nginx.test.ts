// One node alone is nginx's leaky bucket, exactly: for random arrival sequences (gaps from
// 0 ms to minutes, clocks that go back a little or a lot), rates in r/s and r/m, bursts,
// delay=N and nodelay, every answer of the zone equals the reference model's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LimitReqZone, createNodeContext, type TakeOptions } from '../../dist/zones/index.js';
import { NginxLimitReqModel, type NginxLimit } from './nginx-limit-req-model.js';

const rateArb = fc.oneof(
  fc.record({ requests: fc.integer({ min: 1, max: 2000 }), per: fc.constant('s' as const) }),
  fc.record({ requests: fc.integer({ min: 1, max: 600 }), per: fc.constant('m' as const) }),
);

/** limit_req's parameters: burst, then nodelay, delay=N or neither. */
const limitArb = fc.record({
  burst: fc.integer({ min: 0, max: 20 }),
  mode: fc.oneof(fc.constant('nodelay' as const), fc.constant('none' as const), fc.integer({ min: 0, max: 25 })),
});
type Limit = { burst: number; mode: 'nodelay' | 'none' | number };

const gapArb = fc.oneof(
  { arbitrary: fc.constant(0), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 20 }), weight: 4 },
  { arbitrary: fc.integer({ min: 21, max: 3_000 }), weight: 3 },
  { arbitrary: fc.integer({ min: 3_001, max: 200_000 }), weight: 1 },
  { arbitrary: fc.integer({ min: 59_000, max: 62_000 }), weight: 1 }, // about when an idle key is forgotten
  { arbitrary: fc.integer({ min: -5_000, max: -1 }), weight: 1 }, // the clock went back a little
  { arbitrary: fc.integer({ min: -200_000, max: -60_001 }), weight: 1 }, // … or a lot
);

const eventArb = fc.record({ gapMs: gapArb, key: fc.constantFrom('a', 'b', 'c'), limit: fc.nat(2) });

function takeOptions(limit: Limit): TakeOptions {
  if (limit.mode === 'nodelay') return { burst: limit.burst, nodelay: true };
  return limit.mode === 'none' ? { burst: limit.burst } : { burst: limit.burst, delay: limit.mode };
}

function nginxLimit(limit: Limit): NginxLimit {
  const delay = limit.mode === 'nodelay' ? Infinity : limit.mode === 'none' ? 0 : limit.mode;
  return { burstMilli: limit.burst * 1000, delayMilli: delay * 1000 };
}

describe('limit_req alone is nginx\'s leaky bucket', () => {
  it('answers every request as the reference model does (allowed, delay, excess)', () => {
    fc.assert(
      fc.property(rateArb, fc.array(limitArb, { minLength: 3, maxLength: 3 }), fc.array(eventArb, { maxLength: 120 }), fc.boolean(),
        (rate, limits, events, sync) => {
          const t = { now: 1_700_000_000_000 };
          const zone = LimitReqZone.create({
            name: 'req', size: '1m', rate: `${rate.requests}r/${rate.per}`, sync, node: createNodeContext(7), now: () => t.now,
          });
          const model = new NginxLimitReqModel(zone.rateMilliPerSecond);
          for (const [i, e] of events.entries()) {
            t.now += e.gapMs;
            const limit = limits[e.limit]!;
            const want = model.request(e.key, t.now, nginxLimit(limit));
            const { allowed, delayMs, excess } = zone.take(e.key, takeOptions(limit));
            expect({ i, allowed, delayMs, excess }).toEqual({ i, allowed: !want.rejected, delayMs: want.delayMs, excess: want.excessMilli / 1000 });
          }
        }),
      { numRuns: 300 },
    );
  });

  it('the model is nginx: 10r/s, burst=5 delay=2 by hand', () => {
    const model = new NginxLimitReqModel(10_000);
    const limit = { burstMilli: 5000, delayMilli: 2000 };
    const answers = [0, 0, 0, 0, 0, 0, 0].map(() => model.request('k', 1000, limit));
    expect(answers.map((a) => [a.rejected, a.excessMilli, a.delayMs])).toEqual([
      [false, 0, 0], [false, 1000, 0], [false, 2000, 0], [false, 3000, 100], [false, 4000, 200], [false, 5000, 300], [true, 6000, 0],
    ]);
    // 150 ms later 1500 has drained: 6000 - 1500 = 4500 on arrival, delayed (4500 - 2000) / 10 ms.
    expect(model.request('k', 1150, limit)).toEqual({ rejected: false, excessMilli: 4500, delayMs: 250 });
  });
});
