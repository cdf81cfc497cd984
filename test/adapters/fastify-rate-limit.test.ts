// @fastify/rate-limit with the zonesync store (zonesync/fastify-rate-limit): a real Fastify app
// on several worker threads, then on two synced nodes, holds one limit for all of them, a
// route with its own limit counts apart; and the store answers as the plugin's LocalStore.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fastifyRateLimitStore } from 'zonesync/fastify-rate-limit';
import { CounterZone } from '../../dist/zones/index.js';
import { clustersAfterEach, send } from './harness.js';

const LocalStore = createRequire(import.meta.url)('@fastify/rate-limit/store/LocalStore.js');
const WINDOW_MS = 3_600_000;
const cluster = clustersAfterEach('fastify-app.mjs', { timeWindow: WINDOW_MS, routeMax: 10 }, WINDOW_MS, 'fastify:');

describe('@fastify/rate-limit with the zonesync store, real Fastify apps', () => {
  it('4 worker threads of one node admit exactly the limit between them; a route with its own limit counts apart', async () => {
    const max = 120;
    const { servers, client } = await cluster(1, 4, { max });
    const headers = { 'x-client': client };
    const answers = await send(servers.urls, '/', 300, { headers, concurrency: 12, header: 'x-ratelimit-remaining' });
    expect(answers.byStatus.get(200)).toBe(max);
    expect(answers.byStatus.get(429)).toBe(300 - max);
    expect(answers.headers.filter((h) => h === '0').length).toBeGreaterThan(0);
    const strict = await send(servers.urls, '/strict', 40, { headers, concurrency: 8 });
    expect(strict.byStatus.get(200)).toBe(10);
  });

  it('2 synced nodes with 2 threads each hold the limit between them, within 10%', async () => {
    const max = 200;
    const { servers, client } = await cluster(2, 2, { max });
    const answers = await send(servers.urls, '/', 400, { headers: { 'x-client': client }, spacingMs: 5, concurrency: 4 });
    const admitted = answers.byStatus.get(200) ?? 0;
    expect(admitted).toBeGreaterThanOrEqual(max);
    expect(admitted).toBeLessThanOrEqual(1.1 * max);
  });

  it('continueExceeding: a client over the limit stays refused on every node, with Retry-After the whole window', async () => {
    const { servers, client } = await cluster(2, 1, { max: 20, timeWindow: 600_000, continueExceeding: true });
    const answers = await send(servers.urls, '/', 50, { headers: { 'x-client': client }, spacingMs: 20, concurrency: 1, header: 'retry-after' });
    expect(answers.byStatus.get(200)).toBeGreaterThanOrEqual(20);
    expect(answers.byStatus.get(200)).toBeLessThanOrEqual(22); // within 10%: a node may admit before the other's count arrives
    const after = answers.statuses.slice(30);
    expect(after.every((s) => s === 429)).toBe(true);
    // Each refusal blocks the client a full window from now, on whichever node it lands.
    expect(answers.headers.slice(30).every((h) => Number(h) >= 599)).toBe(true);
  });
});

describe('the store answers as the plugin\'s LocalStore', () => {
  function incr(store: { incr: Function }, key: string, max: number): Promise<{ current: number; ttl: number }> {
    return new Promise((resolve, reject) => store.incr(key, (e: Error | null, r: { current: number; ttl: number }) => (e ? reject(e) : resolve(r)), WINDOW_MS, max));
  }
  function read(store: { read: Function }, key: string, max: number): Promise<{ current: number; ttl: number }> {
    return new Promise((resolve, reject) => store.read(key, (e: Error | null, r: { current: number; ttl: number }) => (e ? reject(e) : resolve(r)), WINDOW_MS, max));
  }

  it('for any sequence of incr and read within a window, and for each route apart', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ op: fc.constantFrom('incr', 'incr', 'read'), key: fc.constantFrom('a', 'b'), route: fc.constantFrom('root', 'child') }), { maxLength: 40 }),
      async (ops) => {
        const zone = CounterZone.create({ name: 'hits', size: '256k' });
        const Store = fastifyRateLimitStore({ zone });
        const ours = new Store({} as never);
        const theirs = new LocalStore(false, false);
        const route = { routeInfo: { method: 'GET', url: '/child' } } as never;
        const stores = { root: [ours, theirs], child: [ours.child(route), theirs.child(route)] } as const;
        for (const { op, key, route: r } of ops) {
          const [mine, plugin] = stores[r];
          const call = op === 'incr' ? incr : read;
          const want = await call(plugin, key, 3);
          const got = await call(mine, key, 3);
          expect({ op, current: got.current }).toEqual({ op, current: want.current });
          expect(got.ttl <= WINDOW_MS && (want.ttl === 0) === (got.ttl === 0)).toBe(true);
        }
      }), { numRuns: 100 });
  });

  it('passes a zone error to the callback, as the plugin expects of a store', async () => {
    const Store = fastifyRateLimitStore({ zone: CounterZone.create({ name: 'hits', size: '256k' }) });
    await expect(incr(new Store({} as never), 'x'.repeat(300), 1)).rejects.toThrow(/longer than the zone's limit/);
  });
});
