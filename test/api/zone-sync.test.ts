import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler, type ZoneSyncStatus } from '../../dist/api/index.js';
import { createAdminRouter } from './admin-router.js';
import { KeyvalZone } from '../../dist/zones/index.js';
import { errorOf, request, serve, type Served } from './helpers.js';

// The NGINX Plus admin guide's example ("Polling Sync Status with the API").
const SEED_TEXT = `{
  "zones" : {
    "zone1" : {
      "records_pending" : 2061,
      "records_total" : 260575
    },
    "zone2" : {
      "records_pending" : 0,
      "records_total" : 14749
    }
  },
  "status" : {
    "bytes_in" : 1364923761,
    "msgs_in" : 337236,
    "msgs_out" : 346717,
    "bytes_out" : 1402765472,
    "nodes_online" : 15
  }
}`;

/** What a sync engine might hand over: the same numbers in another order, plus its own extras. */
function engineStatus(): ZoneSyncStatus & { extra: object } {
  return {
    status: { nodes_online: 15, bytes_out: 1402765472, msgs_out: 346717, msgs_in: 337236, bytes_in: 1364923761 },
    zones: {
      zone1: { records_total: 260575, records_pending: 2061 },
      zone2: { records_total: 14749, records_pending: 0 },
    },
    extra: { rounds: 7 },
  };
}

const keyvals = { http: new Map([['one', KeyvalZone.create({ name: 'one', size: '1m' })]]), stream: new Map() };
let server: Served;
let peers: ZoneSyncStatus['peers'];

beforeAll(async () => {
  const withSync = createAdminRouter({
    api: createApiHandler({ keyvals, write: true, syncStatus: () => ({ ...engineStatus(), ...(peers ? { peers } : {}) }) }),
  });
  const asyncSync = createAdminRouter({ apiPrefix: '/async', api: createApiHandler({ keyvals, write: true, syncStatus: async () => engineStatus() }) });
  const noSync = createAdminRouter({ apiPrefix: '/nosync', api: createApiHandler({ keyvals, write: true }) });
  const failing = createAdminRouter({
    apiPrefix: '/failing',
    api: createApiHandler({ keyvals, write: true, syncStatus: () => { throw new Error('engine gone'); }, onError: (e) => errors.push(e) }),
  });
  server = await serve(async (req, res) => (await noSync(req, res)) || (await asyncSync(req, res)) || (await failing(req, res)) || withSync(req, res));
});
afterAll(() => server.close());
const errors: unknown[] = [];

describe('GET /api/9/stream/zone_sync', () => {
  it('answers the admin guide example exactly, field for field and in its order', async () => {
    peers = undefined;
    for (const path of ['/api/9/stream/zone_sync', '/api/9/stream/zone_sync/', '/async/9/stream/zone_sync']) {
      const r = await request(server.port, path);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.json).toEqual(JSON.parse(SEED_TEXT));
      expect(r.text).toBe(JSON.stringify(JSON.parse(SEED_TEXT)));
    }
  });

  it('adds the peers beside, when the engine gives them', async () => {
    peers = [{ address: '127.0.0.1:12346', state: 'open', rttMs: 1 }];
    const r = await request(server.port, '/api/9/stream/zone_sync');
    expect(r.json).toEqual({ ...JSON.parse(SEED_TEXT), peers: [{ address: '127.0.0.1:12346', state: 'open', rttMs: 1 }] });
    peers = undefined;
  });

  it('fields picks top-level fields', async () => {
    const r = await request(server.port, '/api/9/stream/zone_sync?fields=status');
    expect(r.json).toEqual({ status: JSON.parse(SEED_TEXT).status });
  });

  it('is listed under /9/stream/ and takes only GET', async () => {
    expect((await request(server.port, '/api/9/stream/')).json).toEqual(['keyvals', 'zone_sync']);
    const r = await request(server.port, '/api/9/stream/zone_sync', { method: 'DELETE' });
    expect(r.status).toBe(405);
    expect(errorOf(r).code).toBe('MethodNotSupported');
  });

  it('a node without sync has no zone_sync endpoint', async () => {
    expect((await request(server.port, '/nosync/9/stream/')).json).toEqual(['keyvals']);
    const r = await request(server.port, '/nosync/9/stream/zone_sync');
    expect(r.status).toBe(404);
    expect(errorOf(r).code).toBe('PathNotFound');
  });

  it('a provider that throws is a 500 InternalError, reported to onError, and hides its message', async () => {
    const r = await request(server.port, '/failing/9/stream/zone_sync');
    expect(r.status).toBe(500);
    expect(errorOf(r)).toEqual({ status: 500, code: 'InternalError', text: 'internal error' });
    expect(errors.map((e) => (e as Error).message)).toEqual(['engine gone']);
  });
});
