// express-rate-limit with the zonesync store (zonesync/express-rate-limit): a real Express app
// on several worker threads, then on two synced nodes, holds one limit for all of them; and
// the store answers as the library's own MemoryStore does.
import { describe, expect, it } from 'vitest';
import { MemoryStore, type Options } from 'express-rate-limit';
import fc from 'fast-check';
import { ZonesyncStore } from 'zonesync/express-rate-limit';
import { CounterZone } from '../../dist/zones/index.js';
import { waitFor } from '../runtime/cluster-helpers.js';
import { clustersAfterEach, send } from './harness.js';

const WINDOW_MS = 3_600_000;
const cluster = clustersAfterEach('express-app.mjs', { windowMs: WINDOW_MS }, WINDOW_MS, 'express:');

describe('express-rate-limit with the zonesync store, real Express apps', () => {
  it('4 worker threads of one node admit exactly the limit between them', async () => {
    const limit = 120;
    const { servers, client } = await cluster(1, 4, { limit });
    const answers = await send(servers.urls, '/', 300, { headers: { 'x-client': client }, concurrency: 12, header: 'ratelimit' });
    expect(answers.byStatus.get(200)).toBe(limit);
    expect(answers.byStatus.get(429)).toBe(300 - limit);
    // The draft-7 header counts down across threads: the last admitted request has none left.
    const last = answers.statuses.lastIndexOf(200);
    expect(answers.headers[last]).toMatch(/remaining=\d+/);
  });

  it('2 synced nodes with 2 threads each hold the limit between them, within 10%', async () => {
    const limit = 200;
    const { servers, client } = await cluster(2, 2, { limit });
    const answers = await send(servers.urls, '/', 400, { headers: { 'x-client': client }, spacingMs: 5, concurrency: 4 });
    const admitted = answers.byStatus.get(200) ?? 0;
    expect(admitted).toBeGreaterThanOrEqual(limit);
    expect(admitted).toBeLessThanOrEqual(1.1 * limit);
  });

  it('skipSuccessfulRequests: decrements reach every node; only failed requests count', async () => {
    const limit = 20;
    const { nodes, servers, client } = await cluster(2, 2, { limit, skipSuccessfulRequests: true });
    const ok = await send(servers.urls, '/', 100, { headers: { 'x-client': client }, concurrency: 4 });
    expect(ok.byStatus.get(200)).toBe(100); // each success is given back
    const hits = () => nodes.map((n) => n.zone.get(`express:${client}`, { window: WINDOW_MS }).value);
    await waitFor(() => hits().every((h) => h === 0), 10_000, () => `hits after the successes: ${hits()}`);
    const failed = await send(servers.urls, '/fail', 60, { headers: { 'x-client': client }, spacingMs: 10, concurrency: 2 });
    expect(failed.byStatus.get(500)).toBeGreaterThanOrEqual(limit);
    expect(failed.byStatus.get(500)).toBeLessThanOrEqual(1.1 * limit);
  });
});

describe('the store answers as express-rate-limit\'s MemoryStore', () => {
  it('for any sequence of increment, decrement, resetKey and get within a window', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ op: fc.constantFrom('increment', 'increment', 'decrement', 'resetKey', 'get'), key: fc.constantFrom('a', 'b') }), { maxLength: 40 }),
      async (ops) => {
        const zone = CounterZone.create({ name: 'hits', size: '256k' });
        const ours = new ZonesyncStore({ zone });
        const theirs = new MemoryStore();
        const options = { windowMs: WINDOW_MS } as Options;
        ours.init(options);
        theirs.init(options);
        try {
          for (const { op, key } of ops) {
            const want = await theirs[op](key);
            const got = await ours[op](key);
            const hits = (r: unknown) => (r as { totalHits?: number } | undefined)?.totalHits;
            // MemoryStore keeps a client at 0 hits where the zone has nothing: both are "no hits".
            expect({ op, hits: hits(got) ?? 0 }).toEqual({ op, hits: hits(want) ?? 0 });
          }
        } finally {
          theirs.shutdown();
        }
      }), { numRuns: 100 });
  });

  it('resetAll resets every key of its prefix and no other', () => {
    const zone = CounterZone.create({ name: 'hits', size: '256k' });
    const a = new ZonesyncStore({ zone, prefix: 'a:' });
    const b = new ZonesyncStore({ zone, prefix: 'b:' });
    for (const store of [a, b]) store.init({ windowMs: WINDOW_MS } as Options);
    for (const key of ['x', 'y']) {
      a.increment(key);
      b.increment(key);
    }
    a.resetAll();
    expect([a.get('x'), a.get('y')]).toEqual([undefined, undefined]);
    expect(b.get('x')?.totalHits).toBe(1);
    expect(a.localKeys).toBe(false);
  });

  it('refuses a zone that is not a counter zone, saying which', () => {
    expect(() => new ZonesyncStore({ zone: {} as never })).toThrow(/zonesync\/express-rate-limit: "zone" must be a CounterZone/);
  });
});
