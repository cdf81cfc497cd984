// GET /api/9/zonesync: the node as the runtime describes it, and every zone's memory and
// counters as the zone itself counts them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler, type ZonesyncNodeStatus, type ZonesyncZoneSource } from '../../dist/api/index.js';
import { KeyvalZone, LimitReqZone, StickyZone, ZoneFullError } from '../../dist/zones/index.js';
import { createAdminRouter } from './admin-router.js';
import { errorOf, request, serve, type Served } from './helpers.js';

const one = KeyvalZone.create({ name: 'one', size: '1m', timeout: '1h', sync: true });
const tiny = KeyvalZone.create({ name: 'tiny', size: '64k', shards: 1, context: 'stream' });
const limits = LimitReqZone.create({ name: 'limits', size: '1m', rate: '10r/s', sync: true });
const sessions = StickyZone.create({ name: 'sessions', size: '1m', timeout: '10m' });
const zones: ZonesyncZoneSource[] = [
  { name: 'one', type: 'keyval', context: 'http', sync: true, stats: () => one.stats() },
  { name: 'tiny', type: 'keyval', context: 'stream', sync: false, stats: () => tiny.stats() },
  { name: 'limits', type: 'limit_req', context: 'http', sync: true, stats: () => limits.stats() },
  { name: 'sessions', type: 'sticky', context: 'http', sync: false, stats: () => sessions.stats() },
];
let node: ZonesyncNodeStatus = {
  node: { id: 7, name: 'host/127.0.0.1:12345', version: '0.1.0', pid: 42, start_time: '2026-01-01T00:00:00.000Z', uptime_ms: 1500 },
  workers: { threads: 4, http: 'primary' },
  sync: { state: 'running', listen: '127.0.0.1:12345' },
};
const keyvals = { http: new Map([['one', one]]), stream: new Map([['tiny', tiny]]) };
let server: Served;
let bare: Served;

beforeAll(async () => {
  server = await serve(createAdminRouter({ api: createApiHandler({ keyvals, write: true, zonesync: { node: () => node, zones } }) }));
  bare = await serve(createAdminRouter({ api: createApiHandler({ keyvals, write: true }) }));
});
afterAll(async () => {
  await server.close();
  await bare.close();
});

describe('GET /api/9/zonesync', () => {
  it('is listed with the first-level endpoints when given, and absent otherwise', async () => {
    expect((await request(server.port, '/api/9/')).json).toEqual(['http', 'stream', 'zonesync']);
    expect((await request(bare.port, '/api/9/')).json).toEqual(['http', 'stream']);
    const missing = await request(bare.port, '/api/9/zonesync');
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe('PathNotFound');
  });

  it('says what the runtime says of the node, as it changes', async () => {
    const first = (await request(server.port, '/api/9/zonesync')).json as Record<string, unknown>;
    expect(first['node']).toEqual(node.node);
    expect(first['workers']).toEqual({ threads: 4, http: 'primary' });
    expect(first['sync']).toEqual({ state: 'running', listen: '127.0.0.1:12345' });
    node = { ...node, sync: { state: 'exited', listen: '127.0.0.1:12345' } };
    expect(((await request(server.port, '/api/9/zonesync')).json as Record<string, unknown>)['sync']).toEqual({ state: 'exited', listen: '127.0.0.1:12345' });
  });

  it('counts every zone from its own counters: records without tombstones, pending, memory, evictions', async () => {
    one.clear();
    one.set('a', '1');
    one.set('b', '2');
    one.set('gone', '3');
    one.delete('gone');
    let stored = 0;
    try {
      for (; stored < 2000; stored++) tiny.set(`key${stored}`, 'x'.repeat(100));
    } catch (e) {
      if (!(e instanceof ZoneFullError)) throw e;
    }
    limits.take('10.0.0.1');
    sessions.learn('s1', 'backend:80');
    const body = (await request(server.port, '/api/9/zonesync')).json as { zones: Record<string, Record<string, unknown>> };
    expect(Object.keys(body.zones)).toEqual(['one', 'tiny', 'limits', 'sessions']);
    const oneStats = one.stats();
    expect(body.zones['one']).toEqual({
      type: 'keyval', context: 'http', sync: true, records: 2, tombstones: 1, pending: oneStats.pending,
      size: 1 << 20, used: oneStats.sizeBytes - oneStats.bytesFree, evictions: 0, expired: oneStats.expired, alloc_failures: 0,
    });
    expect(oneStats.pending).toBe(3); // nothing takes the queue here: two keys and the tombstone wait
    const tinyStats = tiny.stats();
    expect(body.zones['tiny']).toMatchObject({ type: 'keyval', context: 'stream', records: stored, size: 65536 });
    expect(body.zones['tiny']!['alloc_failures']).toBe(tinyStats.allocFailures);
    expect(tinyStats.allocFailures).toBeGreaterThan(0);
    expect(body.zones['tiny']!['used'] as number).toBeGreaterThan(0.9 * 65536);
    expect(body.zones['limits']).toMatchObject({ type: 'limit_req', sync: true, records: 1 });
    expect(body.zones['sessions']).toMatchObject({ type: 'sticky', records: 1 });
  });

  it('takes fields=, and only GET and HEAD', async () => {
    expect((await request(server.port, '/api/9/zonesync?fields=node,sync')).json).toEqual({ node: node.node, sync: node.sync });
    const post = await request(server.port, '/api/9/zonesync', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(errorOf(post).code).toBe('MethodNotSupported');
    const head = await request(server.port, '/api/9/zonesync', { method: 'HEAD' });
    expect([head.status, head.text]).toEqual([200, '']);
  });
});
