import { Writable } from 'node:stream';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConfigError, startNode } from 'zonesync';
import { freePorts, waitFor } from './cluster-helpers.js';

const zone = { kind: 'keyval' as const, name: 'one', sizeBytes: 1 << 20, timeoutMs: 3_600_000, sync: true };

/** Zones and a sync listener, no HTTP: what a service embedding zonesync for its state needs. */
const zonesOnly = (sync: number, peers: number[] = [sync]) => ({
  zones: [zone],
  stream: { sync: { listen: [`127.0.0.1:${sync}`], peers: peers.map((p) => `127.0.0.1:${p}`), intervalMs: 50, connectRetryIntervalMs: 100 } },
});

async function refusal(run: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('accepted');
}

describe('a node embedded in a service, configured in code', () => {
  it('two nodes started from configuration objects sync a key, and stop cleanly', async () => {
    const [h1, s1, h2, s2] = await freePorts(4);
    const config = (http: number, sync: number) => ({
      workerProcesses: 1,
      zones: [zone],
      http: { servers: [{ listen: [`127.0.0.1:${http}`], locations: [{ pattern: '/api', api: { write: true } }] }] },
      stream: { sync: { listen: [`127.0.0.1:${sync}`], peers: [`127.0.0.1:${s1}`, `127.0.0.1:${s2}`], intervalMs: 50, connectRetryIntervalMs: 100 } },
    });
    const a = await startNode(config(h1!, s1!));
    const b = await startNode(config(h2!, s2!));
    try {
      expect(a.httpAddresses).toEqual([`127.0.0.1:${h1}`]);
      a.zones.keyval.get('one')!.set('embedded', 'yes');
      await waitFor(() => b.zones.keyval.get('one')!.get('embedded') === 'yes', 15_000, () => 'the key never reached the other node');
      const r = await fetch(`http://127.0.0.1:${h2}/api/9/http/keyvals/one`);
      expect(await r.json()).toEqual({ embedded: 'yes' });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('refuses a configuration object with the same errors as a file', async () => {
    await expect(startNode({ zones: [{ kind: 'keyval', name: 'z', sizeBytes: 1 << 20, sync: true }] })).rejects.toThrow(/timeout/);
    const misspelt = await refusal(() => startNode({ stream: { sync: { listen: ['127.0.0.1:1'], interval: 100 } } } as never));
    expect(misspelt.message).toBe('unknown setting "stream.sync.interval" (did you mean "intervalMs"?)');
  });

  it('runs a limit_req zone without a key expression, taken from code; a location cannot use one', async () => {
    const keyless = { kind: 'limit_req' as const, name: 'per-client', sizeBytes: 1 << 20, rate: '1r/s' };
    const node = await startNode({ zones: [keyless] });
    try {
      const zone = node.zones.limitReq.get('per-client')!;
      expect(zone.take('client-a', { burst: 1 }).allowed).toBe(true);
      expect(zone.take('client-a', { burst: 1 }).allowed).toBe(true);
      expect(zone.take('client-a', { burst: 1 }).allowed).toBe(false);
      expect(zone.take('client-b', { burst: 1 }).allowed).toBe(true);
    } finally {
      await node.stop();
    }
    const [http] = await freePorts(1);
    const used = await refusal(() => startNode({
      zones: [keyless],
      http: { servers: [{ listen: [`127.0.0.1:${http}`], locations: [{ pattern: '/', settings: { limitReqs: [{ zone: 'per-client', burst: 0, delay: 0 }] } }] }] },
    }));
    expect(used.message).toMatch(/^zone "per-client" has no "key" in "limit_req" directive/);
  });

  it('starts no worker pool when no location runs a handler (API only, or no HTTP at all)', async () => {
    const [h1, s1, s2] = await freePorts(3);
    const api = await startNode({ ...zonesOnly(s1!), workerProcesses: 4, http: { servers: [{ listen: [`127.0.0.1:${h1}`], locations: [{ pattern: '/api', api: { write: true } }] }] } });
    const bare = await startNode(zonesOnly(s2!));
    try {
      expect(api.serving.workers).toBe(0);
      expect(bare.serving.workers).toBe(0);
      expect(api.serving.path).toBe('primary');
      const r = await fetch(`http://127.0.0.1:${h1}/api/9/http/keyvals/one`, { method: 'POST', body: '{"k":"v"}' });
      expect(r.status).toBe(201);
      expect(api.zones.keyval.get('one')!.get('k')).toBe('v');
    } finally {
      await Promise.all([api.stop(), bare.stop()]);
    }
  });

  it('starts the pool of worker_processes when a location runs a handler, and the pool asked for otherwise', async () => {
    const [h1, s1, s2] = await freePorts(3);
    const handlers = (http: number) => ({ workerProcesses: 2, http: { servers: [{ listen: [`127.0.0.1:${http}`], locations: [{ pattern: '/' }] }] } });
    const configured = await startNode({ ...zonesOnly(s1!), ...handlers(h1!) });
    const asked = await startNode(zonesOnly(s2!), { workers: 1 });
    try {
      expect(configured.serving.workers).toBe(2);
      expect(asked.serving.workers).toBe(1);
      const r = await fetch(`http://127.0.0.1:${h1}/`);
      expect(r.status).toBe(200);
      await r.text();
    } finally {
      await Promise.all([configured.stop(), asked.stop()]);
    }
  });

  it.each<[string, () => Promise<unknown>, string]>([
    ['no worker thread for a handler location', () => startNode({ http: { servers: [{ listen: ['127.0.0.1:1'], locations: [{ pattern: '/api', api: { write: false } }, { pattern: '/app', locations: [{ pattern: '/app/x' }] }] }] } }, { workers: 0 }),
      'location "/app" runs a handler on the worker threads: a node with no worker thread serves only api, zonesync_health and zonesync_metrics locations'],
    ['a misspelt option', () => startNode({}, { worker: 2 } as never), 'unknown setting "options.worker" (did you mean "workers"?)'],
    ['a negative worker count', () => startNode({}, { workers: -1 }), 'invalid value "-1" of "options.workers", it must be a whole number'],
    ['a logger without methods', () => startNode({}, { logger: { log: () => {} } as never }), '"options.logger" must be a logger with info, warn, error methods (pino\'s, fastify.log), it has no info, warn, error'],
  ])('refuses %s with a ConfigError', async (_, run, message) => {
    expect((await refusal(run)).message).toBe(message);
  });

  it('logs through the service\'s own pino logger', async () => {
    const [s1, s2] = await freePorts(2);
    const lines: { msg: string; peer?: string }[] = [];
    const sink = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
    const logger = pino({ level: 'info' }, sink);
    const a = await startNode(zonesOnly(s1!, [s1!, s2!]), { logger });
    const b = await startNode(zonesOnly(s2!, [s1!, s2!]));
    try {
      await waitFor(() => lines.some((l) => l.msg === 'zone_sync snapshot sent' && l.peer === `127.0.0.1:${s2}`), 15_000, () => JSON.stringify(lines));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it.each<[string, (http: number, sync: number) => Parameters<typeof startNode>, string]>([
    ['zones and sync only', (_, sync) => [zonesOnly(sync), {}], 'no HTTP server: the node runs its zones and sync thread, and no worker thread'],
    ['the API, no handler', (http, sync) => [{ ...zonesOnly(sync), http: { servers: [{ listen: [`127.0.0.1:${http}`], locations: [{ pattern: '/api', api: { write: false } }] }] } }, {}],
      'HTTP is served by the primary thread; no location runs a handler, so no worker thread is started'],
    ['a handler location, served by the primary', (http, sync) => [{ ...zonesOnly(sync), http: { servers: [{ listen: [`127.0.0.1:${http}`], locations: [{ pattern: '/' }] }] } }, { workers: 1, frontEnd: 'primary' }],
      'HTTP is served by the primary thread, handlers on the worker pool'],
  ])('says at start how it serves: %s', async (_, args, message) => {
    const [http, sync] = await freePorts(2);
    const lines: { msg: string }[] = [];
    const sink = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
    const [config, options] = args(http!, sync!);
    const node = await startNode(config, { ...options, logger: pino({ level: 'info' }, sink) });
    try {
      await waitFor(() => lines.some((l) => l.msg === message), 10_000, () => JSON.stringify(lines));
      expect(lines.filter((l) => /served by|HTTP server/.test(l.msg)).map((l) => l.msg)).toEqual([message]);
    } finally {
      await node.stop();
    }
  });

  it('adds its metrics to the service\'s prom-client registry, fresh at every scrape', async () => {
    const [s1] = await freePorts(1);
    const node = await startNode(zonesOnly(s1!));
    const registry = new Registry();
    const own = new Counter({ name: 'app_requests_total', help: 'The service\'s own metric.', registers: [registry] });
    try {
      node.metrics.registerIn(registry);
      own.inc(3);
      const kv = node.zones.keyval.get('one')!;
      kv.set('a', '1');
      expect(await registry.metrics()).toMatch(/^zonesync_zone_records\{zone="one"\} 1$/m);
      kv.set('b', '2');
      kv.set('c', '3');
      const text = await registry.metrics();
      expect(text).toMatch(/^zonesync_zone_records\{zone="one"\} 3$/m);
      expect(text).toMatch(/^zonesync_sync_status_up 1$/m);
      expect(text).toMatch(/^app_requests_total 3$/m);
      expect(await node.metrics.registry.metrics()).toMatch(/^zonesync_zone_records\{zone="one"\} 3$/m);
      expect(await node.metrics.registry.metrics()).not.toMatch(/app_requests_total/);
    } finally {
      await node.stop();
    }
  });
});
