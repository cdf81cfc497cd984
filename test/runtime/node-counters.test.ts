// The node's shared counters: adds from several real threads at once are never lost, and an
// HTTP server's connections and requests are counted as NGINX Plus counts them (active,
// idle, current), over real sockets.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { TrafficCounting } from '../../dist/runtime/http-traffic.js';
import { NodeCounters } from '../../dist/runtime/node-counters.js';
import { waitFor } from './cluster-helpers.js';

const COUNTERS_URL = new URL('../../dist/runtime/node-counters.js', import.meta.url).href;

/**
 * Threads that attach to the counters, wait at a common start line (so that their adds
 * overlap), then each count `n` outcomes of its zone.
 */
async function countingThreads(handle: unknown, zones: string[], outcome: string, n: number, slots = false): Promise<void> {
  const gate = new Int32Array(new SharedArrayBuffer(8)); // [0]: threads ready, [1]: go
  const source = `
    const { workerData } = require('node:worker_threads');
    import(workerData.url).then(({ NodeCounters }) => {
      const c = NodeCounters.attach(workerData.handle, workerData.slot);
      const gate = new Int32Array(workerData.gate);
      Atomics.add(gate, 0, 1);
      Atomics.wait(gate, 1, 0);
      for (let i = 0; i < workerData.n; i++) c.countLimitReq(workerData.zone, workerData.outcome);
    });`;
  const exits = zones.map((zone, i) => {
    const worker = new Worker(source, { eval: true, workerData: { url: COUNTERS_URL, handle, zone, outcome, n, gate: gate.buffer, slot: slots ? i : null } });
    return new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`thread exited ${code}`))));
    });
  });
  await waitFor(() => Atomics.load(gate, 0) === zones.length, 20_000, () => 'the threads did not start');
  Atomics.store(gate, 1, 1);
  Atomics.notify(gate, 1);
  await Promise.all(exits);
}

describe('NodeCounters across threads', () => {
  it.each([[2, 200_000, false], [4, 100_000, false], [8, 20_000, false], [2, 200_000, true], [8, 20_000, true]])('%i threads counting %i each into two zones lose nothing (each in a slot of its own: %s)', async (threads, n, slots) => {
    const counters = NodeCounters.create(['a', 'b'], threads);
    await countingThreads(counters.handle, Array.from({ length: threads }, (_, i) => (i % 2 === 0 ? 'a' : 'b')), 'rejected', n, slots);
    const counts = counters.limitReqCounts();
    expect(counts.get('a')!.rejected + counts.get('b')!.rejected).toBe(threads * n);
    expect(counts.get('a')!.rejected).toBe(Math.ceil(threads / 2) * n);
    expect(counts.get('a')!.passed).toBe(0);
  });
});

/** A server whose requests `counters` count as the front end counts them: each told on arrival and when its answer closes. */
function countedServer(counters: NodeCounters, handle: http.RequestListener): http.Server {
  const server = http.createServer();
  const traffic = new TrafficCounting(server, counters);
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    traffic.requestArrived(req);
    res.on('close', () => traffic.answerClosed(res));
    handle(req, res);
  });
  return server;
}

describe('TrafficCounting', () => {
  it('counts connections as active, idle between requests, and requests in progress', async () => {
    const counters = NodeCounters.create([]);
    let release: () => void = () => undefined;
    const server = countedServer(counters, (req, res) => {
      if (req.url === '/slow') release = () => res.end('slow');
      else res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) => new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    try {
      expect(await get('/a')).toBe('ok');
      expect(await get('/b')).toBe('ok');
      await waitFor(() => counters.connections().idle === 1, 5_000, () => JSON.stringify(counters.connections()));
      expect(counters.connections()).toEqual({ accepted: 1, dropped: 0, active: 0, idle: 1 });
      expect(counters.httpRequests()).toEqual({ total: 2, current: 0 });

      const slow = get('/slow');
      await waitFor(() => counters.httpRequests().current === 1, 5_000, () => JSON.stringify(counters.httpRequests()));
      expect(counters.connections()).toEqual({ accepted: 1, dropped: 0, active: 1, idle: 0 });
      release();
      expect(await slow).toBe('slow');
      await waitFor(() => counters.connections().idle === 1, 5_000, () => JSON.stringify(counters.connections()));

      agent.destroy();
      await waitFor(() => counters.connections().idle === 0, 5_000, () => JSON.stringify(counters.connections()));
      expect(counters.connections()).toEqual({ accepted: 1, dropped: 0, active: 0, idle: 0 });
      expect(counters.httpRequests()).toEqual({ total: 3, current: 0 });
    } finally {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('a connection closed in the middle of a request leaves no request current and no connection open', async () => {
    const counters = NodeCounters.create([]);
    const server = countedServer(counters, () => { /* never answers */ });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const req = http.get({ host: '127.0.0.1', port, path: '/hang', agent: false });
      req.on('error', () => undefined);
      await waitFor(() => counters.httpRequests().current === 1, 5_000, () => 'the request never arrived');
      req.destroy();
      await waitFor(() => counters.httpRequests().current === 0 && counters.connections().active === 0, 5_000,
        () => JSON.stringify([counters.connections(), counters.httpRequests()]));
      expect(counters.connections()).toEqual({ accepted: 1, dropped: 0, active: 0, idle: 0 });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
