import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register as globalRegistry } from 'prom-client';
import {
  createApiHandler, createHealthHandlers, createMetrics, type ZoneSyncStatus,
} from '../../dist/api/index.js';
import { createAdminRouter } from './admin-router.js';
import { KeyvalZone, LimitReqZone, ZoneFullError } from '../../dist/zones/index.js';
import { errorOf, request, serve, type Served } from './helpers.js';

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Exposition { samples: Sample[]; help: Map<string, string>; type: Map<string, string> }

/** The Prometheus text format, strictly: every line a comment of HELP/TYPE or a sample. */
function parseExposition(text: string): Exposition {
  const out: Exposition = { samples: [], help: new Map(), type: new Map() };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      (meta[1] === 'HELP' ? out.help : out.type).set(meta[2]!, meta[3]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(line);
    if (sample === null) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    out.samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return out;
}

function value(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  return e.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const one = KeyvalZone.create({ name: 'one', size: '1m' });
const tiny = KeyvalZone.create({ name: 'tiny', size: '64k', shards: 1 });
const other = KeyvalZone.create({ name: 'other', size: '1m' });
const limits = LimitReqZone.create({ name: 'limits', size: '1m', rate: '10r/s' });
const keyvals = { http: new Map([['one', one], ['tiny', tiny]]), stream: new Map() };

let syncStatus: ZoneSyncStatus | Error = {
  zones: { one: { records_pending: 2, records_total: 3 } },
  status: { bytes_in: 1364923761, msgs_in: 337236, msgs_out: 346717, bytes_out: 1402765472, nodes_online: 15 },
};
let ready: boolean | Error = false;
let server: Served;
const metrics = createMetrics({
  zones: [...keyvals.http.values(), ...keyvals.stream.values(), limits],
  syncStatus: () => {
    if (syncStatus instanceof Error) throw syncStatus;
    return syncStatus;
  },
});

beforeAll(async () => {
  const health = createHealthHandlers({
    ready: async () => {
      if (ready instanceof Error) throw ready;
      return ready;
    },
  });
  const router = createAdminRouter({ api: createApiHandler({ keyvals, write: true }), health, metrics });
  server = await serve(router);
});
afterAll(() => server.close());

describe('/livez and /readyz', () => {
  it('/livez is 200 while the process serves', async () => {
    const r = await request(server.port, '/livez');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json).toEqual({ status: 'ok' });
  });

  it('/readyz follows the ready() provider: 503 NotReady, then 200; a provider that throws is not ready', async () => {
    ready = false;
    const not = await request(server.port, '/readyz');
    expect(not.status).toBe(503);
    expect(errorOf(not).code).toBe('NotReady');
    ready = true;
    const yes = await request(server.port, '/readyz');
    expect(yes.status).toBe(200);
    expect(yes.json).toEqual({ status: 'ready' });
    ready = new Error('sync thread gone');
    expect((await request(server.port, '/readyz')).status).toBe(503);
  });

  it('only GET and HEAD', async () => {
    const r = await request(server.port, '/livez', { method: 'POST', body: '' });
    expect(r.status).toBe(405);
    expect(errorOf(r).code).toBe('MethodNotSupported');
    expect((await request(server.port, '/readyz', { method: 'DELETE' })).status).toBe(405);
  });
});

describe('/metrics', () => {
  it('is Prometheus text with HELP and TYPE for every metric, and the zones\' counters', async () => {
    one.clear();
    one.set('a', '1');
    one.set('b', '2');
    one.set('c', '3');
    let stored = 0;
    try {
      for (; stored < 2000; stored++) tiny.set(`key${stored}`, 'x'.repeat(100)); // until the zone refuses
    } catch (e) {
      if (!(e instanceof ZoneFullError)) throw e;
    }
    limits.take('10.0.0.1');
    const r = await request(server.port, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const e = parseExposition(r.text);
    for (const s of e.samples) {
      expect(e.help.has(s.name), `HELP of ${s.name}`).toBe(true);
      expect(e.type.has(s.name), `TYPE of ${s.name}`).toBe(true);
    }
    expect(e.type.get('zonesync_zone_records')).toBe('gauge');
    expect(e.type.get('zonesync_zone_evictions_total')).toBe('counter');
    expect(value(e, 'zonesync_zone_records', { zone: 'one' })).toBe(3);
    expect(value(e, 'zonesync_zone_records', { zone: 'limits' })).toBe(1);
    const tinyStats = tiny.stats();
    expect(tinyStats.allocFailures).toBeGreaterThan(0);
    expect(tinyStats.records).toBe(stored); // a keyval zone evicts no live key
    expect(value(e, 'zonesync_zone_alloc_failures_total', { zone: 'tiny' })).toBe(tinyStats.allocFailures);
    expect(value(e, 'zonesync_zone_evictions_total', { zone: 'tiny' })).toBe(tinyStats.evictions);
    expect(value(e, 'zonesync_zone_records', { zone: 'tiny' })).toBe(tinyStats.records);
    expect(value(e, 'zonesync_zone_size_bytes', { zone: 'tiny' })).toBe(tinyStats.sizeBytes);
    for (const name of ['zonesync_zone_records_pending', 'zonesync_zone_alloc_failures_total', 'zonesync_zone_lock_waits_total', 'zonesync_zone_expired_total', 'zonesync_zone_bytes_free']) {
      expect(value(e, name, { zone: 'one' }), name).toBeTypeOf('number');
    }
    expect(value(e, 'zonesync_zone_records', { zone: 'other' })).toBeUndefined();
  });

  it('has the sync counters of the status provider', async () => {
    const e = parseExposition((await request(server.port, '/metrics')).text);
    expect(value(e, 'zonesync_sync_bytes_in_total')).toBe(1364923761);
    expect(value(e, 'zonesync_sync_bytes_out_total')).toBe(1402765472);
    expect(value(e, 'zonesync_sync_msgs_in_total')).toBe(337236);
    expect(value(e, 'zonesync_sync_msgs_out_total')).toBe(346717);
    expect(value(e, 'zonesync_sync_nodes_online')).toBe(15);
    expect(value(e, 'zonesync_sync_zone_records', { zone: 'one' })).toBe(3);
    expect(value(e, 'zonesync_sync_zone_records_pending', { zone: 'one' })).toBe(2);
  });

  it('reads the numbers at every scrape', async () => {
    one.set('d', '4');
    syncStatus = { ...(syncStatus as ZoneSyncStatus), status: { ...(syncStatus as ZoneSyncStatus).status, nodes_online: 2 } };
    const e = parseExposition((await request(server.port, '/metrics')).text);
    expect(value(e, 'zonesync_zone_records', { zone: 'one' })).toBe(4);
    expect(value(e, 'zonesync_sync_nodes_online')).toBe(2);
  });

  it('a sync provider that fails: zone metrics still there, sync samples keep their last values, status_up 0', async () => {
    expect(value(parseExposition(await metrics.scrape()), 'zonesync_sync_status_up')).toBe(1);
    const saved = syncStatus;
    syncStatus = new Error('engine gone');
    const r = await request(server.port, '/metrics');
    expect(r.status).toBe(200);
    const e = parseExposition(r.text);
    expect(value(e, 'zonesync_zone_records', { zone: 'one' })).toBe(4);
    expect(value(e, 'zonesync_sync_status_up')).toBe(0);
    expect(value(e, 'zonesync_sync_nodes_online')).toBe(2);
    expect(value(e, 'zonesync_sync_bytes_in_total')).toBe(1364923761); // a counter never drops to 0
    syncStatus = saved;
    expect(value(parseExposition(await metrics.scrape()), 'zonesync_sync_status_up')).toBe(1);
  });

  it('each Metrics has its own registry, never the global one', async () => {
    const second = createMetrics({ zones: [other] });
    other.set('x', 'y');
    const e = parseExposition(await second.scrape());
    expect(value(e, 'zonesync_zone_records', { zone: 'other' })).toBe(1);
    expect(value(e, 'zonesync_zone_records', { zone: 'one' })).toBeUndefined();
    expect(e.samples.some((s) => s.name.startsWith('zonesync_sync_'))).toBe(false);
    const global = await globalRegistry.getMetricsAsJSON();
    expect(global.filter((m) => m.name.startsWith('zonesync_'))).toEqual([]);
  });
});
