// The NGINX Plus status endpoints over a node's real zones and shared counters: every
// endpoint the exporter and the go client read answers 200 in the reference's shape; each
// collection's missing member is its own 404 code; DELETE resets what NGINX Plus resets,
// only under write=on; `fields` picks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler } from '../../dist/api/index.js';
import { parseConfigText } from '../../dist/config/load.js';
import { NodeCounters } from '../../dist/runtime/node-counters.js';
import { nodeInfoOf, nodeStatusOf } from '../../dist/runtime/status-source.js';
import { createZones } from '../../dist/runtime/zone-set.js';
import { createNodeContext } from '../../dist/zones/node.js';
import { createAdminRouter } from './admin-router.js';
import { errorOf, request, serve, type Reply, type Served } from './helpers.js';

const config = parseConfigText(`
http {
    keyval_zone zone=one:1m;
    limit_req_zone $remote_addr zone=a:1m rate=1r/s;
    limit_req_zone $remote_addr zone=b:1m rate=5r/s;
    upstream backend {
        zone backend 64k;
        server 10.0.0.1:8080 weight=3 max_conns=10;
        server 10.0.0.2:8080 backup;
        server 10.0.0.3:8080 down;
    }
    upstream plain { server 10.0.0.9:80; }
    server { listen 127.0.0.1:1; }
}
`);
const { zones } = createZones(config, createNodeContext(7));
const counters = NodeCounters.create([...zones.limitReq.keys()]);
const life = { config: () => config, generation: () => 2, loadedAtMs: () => Date.UTC(2030, 0, 1) };
const status = nodeStatusOf(counters, zones, life);
const keyvals = { http: zones.httpKeyvals, stream: zones.streamKeyvals };

let server: Served;
const rw = (path: string, method = 'GET'): Promise<Reply> => request(server.port, `/api/9${path}`, { method });
const ro = (path: string, method = 'GET'): Promise<Reply> => request(server.port, `/ro/9${path}`, { method });

beforeAll(async () => {
  const write = createAdminRouter({ api: createApiHandler({ keyvals, write: true, status, nodeInfo: nodeInfoOf(life) }) });
  const read = createAdminRouter({ apiPrefix: '/ro', api: createApiHandler({ keyvals, write: false, status, nodeInfo: nodeInfoOf(life) }) });
  server = await serve(async (req, res) => (await read(req, res)) || write(req, res));
});
afterAll(() => server.close());

const SSL_FIELDS = ['handshakes', 'handshakes_failed', 'session_reuses', 'no_common_protocol', 'no_common_cipher', 'handshake_timeout', 'peer_rejected_cert', 'verify_failures'];

/* The fields each object carries, in the reference's order (NGINX Plus API version 9). */
const OBJECTS: [string, string[]][] = [
  ['/nginx', ['version', 'build', 'address', 'generation', 'load_timestamp', 'timestamp', 'pid', 'ppid']],
  ['/processes', ['respawned']],
  ['/connections', ['accepted', 'dropped', 'active', 'idle']],
  ['/http/requests', ['total', 'current']],
  ['/ssl', SSL_FIELDS],
  ['/slabs/one', ['pages', 'slots']],
  ['/http/limit_reqs/a', ['passed', 'delayed', 'rejected', 'delayed_dry_run', 'rejected_dry_run']],
  ['/http/upstreams/backend', ['peers', 'keepalive', 'zombies', 'zone']],
  ['/http/upstreams/plain', ['peers', 'keepalive', 'zombies']],
  ['/workers/0', ['id', 'pid', 'connections', 'http']],
];

/* Collections: their members, and the code of a member that does not exist. */
const COLLECTIONS: [string, string[], string][] = [
  ['/slabs', ['one', 'a', 'b'], 'SlabNotFound'],
  ['/http/limit_reqs', ['a', 'b'], 'LimitReqNotFound'],
  ['/http/upstreams', ['backend', 'plain'], 'UpstreamNotFound'],
  ['/http/server_zones', [], 'ServerZoneNotFound'],
  ['/http/location_zones', [], 'LocationZoneNotFound'],
  ['/http/caches', [], 'CacheNotFound'],
  ['/http/limit_conns', [], 'LimitConnNotFound'],
  ['/stream/server_zones', [], 'ServerZoneNotFound'],
  ['/stream/limit_conns', [], 'LimitConnNotFound'],
  ['/stream/upstreams', [], 'UpstreamNotFound'],
  ['/resolvers', [], 'ResolverZoneNotFound'],
];

describe('status endpoints', () => {
  it('list what exists, in NGINX Plus order', async () => {
    expect((await rw('/')).json).toEqual(['nginx', 'processes', 'connections', 'slabs', 'http', 'stream', 'resolvers', 'ssl', 'workers']);
    expect((await rw('/http/')).json).toEqual(['requests', 'server_zones', 'location_zones', 'caches', 'limit_conns', 'limit_reqs', 'keyvals', 'upstreams']);
    expect((await rw('/stream/')).json).toEqual(['server_zones', 'limit_conns', 'keyvals', 'upstreams']);
  });

  it.each(OBJECTS)('GET %s has the reference fields', async (path, fields) => {
    for (const ask of [rw, ro]) {
      const r = await ask(path);
      expect(r.status).toBe(200);
      expect(Object.keys(r.json as object)).toEqual(fields);
    }
  });

  it.each(COLLECTIONS)('GET %s lists its members; a missing one is 404 %s', async (path, members, code) => {
    const r = await rw(path);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json as object)).toEqual(members);
    expect(errorOf(await rw(`${path}/nope`))).toMatchObject({ status: 404, code });
    expect(errorOf(await rw(`${path}/nope/deeper`))).toMatchObject({ status: 404, code: 'PathNotFound' });
  });

  it('/nginx: the node, the address the request came to, reloads', async () => {
    const body = (await rw('/nginx')).json as Record<string, unknown>;
    expect(body).toMatchObject({ build: 'zonesync', address: '127.0.0.1', generation: 2, load_timestamp: '2030-01-01T00:00:00.000Z', pid: process.pid, ppid: process.pid });
    expect(body['timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('/slabs: pages and slots are the zone allocator\'s own figures', async () => {
    const zone = zones.keyval.get('one')!;
    for (let i = 0; i < 200; i++) zone.set(`key-${i}`, 'v'.repeat(i % 90));
    const stats = zone.stats();
    const slab = (await rw('/slabs/one')).json as { pages: { used: number; free: number }; slots: Record<string, { used: number; free: number; reqs: number; fails: number }> };
    expect(slab.pages).toEqual({ used: stats.pagesTotal - stats.pagesFree, free: stats.pagesFree });
    expect(slab.pages.used).toBeGreaterThan(0);
    expect(Object.keys(slab.slots)).toEqual(stats.classes.map((c) => String(c.sizeBytes)));
    for (const c of stats.classes) {
      expect(slab.slots[String(c.sizeBytes)]).toEqual({ used: c.usedChunks, free: c.totalChunks - c.usedChunks, reqs: c.requests, fails: c.failures });
    }
    const reqs = Object.values(slab.slots).reduce((n, s) => n + s.reqs, 0);
    expect(reqs).toBeGreaterThanOrEqual(200);
  });

  it('/http/upstreams: every upstream block, its servers as peers', async () => {
    const backend = (await rw('/http/upstreams/backend')).json as { peers: Record<string, unknown>[]; zone: string };
    expect(backend.zone).toBe('backend');
    expect(backend.peers.map((p) => [p['id'], p['server'], p['name'], p['weight'], p['backup'], p['state'], p['max_conns']])).toEqual([
      [0, '10.0.0.1:8080', '10.0.0.1:8080', 3, false, 'up', 10],
      [1, '10.0.0.2:8080', '10.0.0.2:8080', 1, true, 'up', undefined],
      [2, '10.0.0.3:8080', '10.0.0.3:8080', 1, false, 'down', undefined],
    ]);
    expect(backend.peers[0]).toMatchObject({
      active: 0, requests: 0, responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, codes: {}, total: 0 },
      sent: 0, received: 0, fails: 0, unavail: 0, health_checks: { checks: 0, fails: 0, unhealthy: 0 }, downtime: 0,
    });
  });

  it('/http/limit_reqs: the shared counts; DELETE of a zone zeroes it alone, under write=on only', async () => {
    const judged = [['a', 'passed'], ['a', 'passed'], ['a', 'delayed'], ['a', 'rejected'], ['b', 'rejected'], ['nope', 'passed']] as const;
    for (const [zone, outcome] of judged) counters.countLimitReq(zone, outcome);
    expect((await rw('/http/limit_reqs')).json).toEqual({
      a: { passed: 2, delayed: 1, rejected: 1, delayed_dry_run: 0, rejected_dry_run: 0 },
      b: { passed: 0, delayed: 0, rejected: 1, delayed_dry_run: 0, rejected_dry_run: 0 },
    });
    expect(errorOf(await ro('/http/limit_reqs/a', 'DELETE'))).toMatchObject({ status: 405, code: 'MethodDisabled' });
    expect((await rw('/http/limit_reqs/a')).json).toMatchObject({ passed: 2 });
    expect((await rw('/http/limit_reqs/a', 'DELETE')).status).toBe(204);
    expect((await rw('/http/limit_reqs/a')).json).toMatchObject({ passed: 0, delayed: 0, rejected: 0 });
    expect((await rw('/http/limit_reqs/b')).json).toMatchObject({ rejected: 1 });
    expect(errorOf(await rw('/http/limit_reqs/nope', 'DELETE'))).toMatchObject({ status: 404, code: 'LimitReqNotFound' });
  });

  it.each([
    ['/processes', 'respawned', 5],
    ['/connections', 'accepted', 0],
    ['/http/requests', 'total', 3],
  ] as const)('DELETE %s zeroes its total', async (path, field, word) => {
    counters.add(word, 4);
    expect(((await rw(path)).json as Record<string, number>)[field]).toBeGreaterThanOrEqual(4);
    expect(errorOf(await ro(path, 'DELETE'))).toMatchObject({ status: 405, code: 'MethodDisabled' });
    expect((await rw(path, 'DELETE')).status).toBe(204);
    expect(((await rw(path)).json as Record<string, number>)[field]).toBe(0);
  });

  it.each([
    ['/slabs/one', 'DELETE'], ['/nginx', 'DELETE'], ['/connections', 'POST'], ['/http/upstreams/backend', 'PATCH'], ['/http/limit_reqs', 'DELETE'],
  ])('%s does not take %s: 405 MethodNotSupported', async (path, method) => {
    const r = await rw(path, method);
    expect(errorOf(r)).toMatchObject({ status: 405, code: 'MethodNotSupported' });
    expect(r.headers['allow']).toMatch(/^GET, HEAD/);
  });

  it('fields: an object keeps the fields asked; a collection keeps its names', async () => {
    expect((await rw('/connections?fields=accepted,idle')).json).toEqual({ accepted: expect.any(Number), idle: expect.any(Number) });
    expect((await rw('/slabs?fields=')).json).toEqual({ one: {}, a: {}, b: {} });
    expect((await rw('/http/upstreams?fields=zone')).json).toEqual({ backend: { zone: 'backend' }, plain: {} });
  });

  it('/workers: the node process, with the node\'s connections and requests', async () => {
    const [worker] = (await rw('/workers')).json as Record<string, unknown>[];
    expect(worker).toMatchObject({ id: 0, pid: process.pid });
    expect(Object.keys(worker!['connections'] as object)).toEqual(['accepted', 'dropped', 'active', 'idle']);
    expect(errorOf(await rw('/workers/1'))).toMatchObject({ status: 404, code: 'WorkerNotFound' });
  });
});
