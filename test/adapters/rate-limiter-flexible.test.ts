// rate-limiter-flexible with RateLimiterZonesync (zonesync/rate-limiter-flexible): a real
// node:http server consuming points on several worker threads, then on two synced nodes,
// holds one limit for all of them; and the limiter answers as the library's own
// RateLimiterMemory, is one of its limiters for its wrappers, and blocks for the cluster.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RLWrapperBlackAndWhite, RateLimiterMemory, RateLimiterRes, RateLimiterUnion } from 'rate-limiter-flexible';
import { RateLimiterZonesync } from 'zonesync/rate-limiter-flexible';
import { CounterZone } from '../../dist/zones/index.js';
import { waitFor } from '../runtime/cluster-helpers.js';
import { clustersAfterEach, send } from './harness.js';

const DURATION_S = 3600;
const cluster = clustersAfterEach('flexible-app.mjs', { duration: DURATION_S }, DURATION_S * 1000, 'flexible:');

describe('RateLimiterZonesync on real servers', () => {
  it('4 worker threads of one node consume exactly the points between them', async () => {
    const { servers, client } = await cluster(1, 4, { points: 150 });
    const answers = await send(servers.urls, '/', 300, { headers: { 'x-client': client }, concurrency: 12 });
    expect(answers.byStatus.get(200)).toBe(150);
    expect(answers.byStatus.get(429)).toBe(150);
  });

  it('2 synced nodes with 2 threads each hold the points between them, within 10%', async () => {
    const { servers, client } = await cluster(2, 2, { points: 200 });
    const answers = await send(servers.urls, '/', 400, { headers: { 'x-client': client }, spacingMs: 5, concurrency: 4 });
    const admitted = answers.byStatus.get(200) ?? 0;
    expect(admitted).toBeGreaterThanOrEqual(200);
    expect(admitted).toBeLessThanOrEqual(220);
  });

  it('blockDuration: a client over the points is blocked on every node, with Retry-After', async () => {
    const { servers, client } = await cluster(2, 1, { points: 20, blockDuration: 600 });
    const answers = await send(servers.urls, '/', 50, { headers: { 'x-client': client }, spacingMs: 20, concurrency: 1, header: 'retry-after' });
    expect(answers.byStatus.get(200)).toBeGreaterThanOrEqual(20);
    expect(answers.byStatus.get(200)).toBeLessThanOrEqual(22); // within 10%: a node may admit before the other's count arrives
    expect(answers.statuses.slice(30).every((s) => s === 429)).toBe(true);
    expect(answers.headers.slice(30).every((h) => Number(h) > 590 && Number(h) <= 600)).toBe(true);
  });
});

describe('RateLimiterZonesync answers as RateLimiterMemory', () => {
  const opArb = fc.record({
    op: fc.constantFrom('consume', 'consume', 'consume', 'penalty', 'reward', 'get', 'delete', 'block'),
    key: fc.constantFrom('a', 'b'),
    points: fc.integer({ min: 1, max: 3 }),
  });

  async function outcome(limiter: { [op: string]: any }, op: string, key: string, points: number): Promise<{ ok: boolean; res: any }> {
    const call = op === 'get' || op === 'delete' ? limiter[op](key) : op === 'block' ? limiter.block(key, 60) : limiter[op](key, points);
    return call.then((res: any) => ({ ok: true, res }), (res: any) => ({ ok: false, res }));
  }

  it('for any sequence of consume, penalty, reward, get, delete and block within a duration', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.constantFrom(0, 30), fc.array(opArb, { maxLength: 40 }), async (points, blockDuration, ops) => {
      const zone = CounterZone.create({ name: 'points', size: '256k' });
      const ours = new RateLimiterZonesync({ zone, points, duration: DURATION_S, blockDuration });
      const theirs = new RateLimiterMemory({ points, duration: DURATION_S, blockDuration });
      // A block is a state of the zone's own: penalty and reward do not lift it, as they would
      // move the memory store's block record; they are left out on a blocked key.
      const blockedKeys = new Set<string>();
      for (const { op, key, points: n } of ops) {
        if (blockedKeys.has(key) && (op === 'penalty' || op === 'reward')) continue;
        const want = await outcome(theirs, op, key, n);
        if (op === 'block' || (op === 'consume' && !want.ok && blockDuration > 0)) blockedKeys.add(key);
        if (op === 'delete') blockedKeys.delete(key);
        const got = await outcome(ours, op, key, n);
        const step = { op, key, n };
        expect({ ...step, ok: got.ok }).toEqual({ ...step, ok: want.ok });
        if (op === 'delete') continue; // both forget the key; the memory store also answers true for a key at 0 points
        const r = (x: any) => (x === null ? null : { remaining: x.remainingPoints, consumed: x.consumedPoints });
        const wanted = r(want.res);
        const blocked = wanted !== null && wanted.consumed > points;
        // A blocked key: refused, none remaining; the memory store counts on above points + 1, the zone stays there.
        if (blocked && got.res !== null) expect({ ...step, remaining: got.res.remainingPoints, over: got.res.consumedPoints > points }).toEqual({ ...step, remaining: 0, over: true });
        else if (op === 'get' && (wanted?.consumed ?? 0) === 0) expect(r(got.res)?.consumed ?? 0).toBe(0);
        else expect({ ...step, res: r(got.res) }).toEqual({ ...step, res: wanted });
        if (got.res instanceof RateLimiterRes) expect(got.res.msBeforeNext).toBeLessThanOrEqual(DURATION_S * 1000);
      }
    }), { numRuns: 150 });
  });

  it('a block ends on its own, and the key starts again from 0', async () => {
    const zone = CounterZone.create({ name: 'points', size: '256k' });
    const limiter = new RateLimiterZonesync({ zone, points: 2, duration: DURATION_S });
    await limiter.consume('k');
    const blocked = await limiter.block('k', 0.2);
    expect(blocked).toMatchObject({ consumedPoints: 3, remainingPoints: 0, msBeforeNext: 200 });
    await expect(limiter.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
    await waitFor(async () => (await limiter.get('k')) === null, 5_000, () => 'the block did not end');
    expect(await limiter.consume('k')).toMatchObject({ consumedPoints: 1, remainingPoints: 1 });
  });

  it('is a limiter to the library\'s wrappers: a union and a black-and-white list take it', async () => {
    const zone = CounterZone.create({ name: 'points', size: '256k' });
    const union = new RateLimiterUnion(new RateLimiterZonesync({ zone, points: 1, duration: DURATION_S, keyPrefix: 'one' }), new RateLimiterMemory({ points: 5, duration: DURATION_S }));
    await union.consume('k');
    await expect(union.consume('k')).rejects.toHaveProperty('one');
    const listed = new RLWrapperBlackAndWhite({ limiter: new RateLimiterZonesync({ zone, points: 1, duration: DURATION_S, keyPrefix: 'two' }), whiteList: ['vip'] });
    for (let i = 0; i < 3; i++) await listed.consume('vip');
  });

  it.each(['consume', 'penalty', 'reward', 'set'] as const)('%s rejects points that are not a whole number with a TypeError, changing nothing', async (method) => {
    const zone = CounterZone.create({ name: 'points', size: '256k' });
    const limiter = new RateLimiterZonesync({ zone, points: 5, duration: DURATION_S });
    await limiter.consume('k', 2);
    const call = (points: unknown) => (method === 'set' ? limiter.set('k', points as number, DURATION_S) : limiter[method]('k', points as number));
    for (const [points, shown] of [[1.5, '1.5'], [0.1, '0.1'], [-0.5, '-0.5'], [Number.NaN, 'NaN'], [Number.POSITIVE_INFINITY, 'Infinity'], [2 ** 53, '9007199254740992'], ['2', '"2"'], [null, 'null']] as const) {
      const rejection = await call(points).then(() => null, (error: unknown) => error);
      expect(rejection, String(points)).toBeInstanceOf(TypeError);
      expect((rejection as TypeError).message).toBe(`RateLimiterZonesync.${method}: points must be a whole number (a counter zone counts whole points), not ${shown}`);
    }
    expect((await limiter.get('k'))?.consumedPoints).toBe(2);
    await expect(call(1)).resolves.toBeInstanceOf(RateLimiterRes);
  });

  it('rejects with the zone\'s error what the zone refuses (a key over the limit)', async () => {
    const limiter = new RateLimiterZonesync({ zone: CounterZone.create({ name: 'points', size: '256k' }), points: 5, duration: 1 });
    await expect(limiter.consume('x'.repeat(300))).rejects.toThrow(/longer than the zone's limit/);
    expect(() => new RateLimiterZonesync({ zone: undefined as never, points: 1, duration: 1 })).toThrow(/must be a CounterZone/);
  });
});
