// What the adapter tests run on: counter zones of in-process nodes synced by real sync engines
// over 127.0.0.1, HTTP servers (a real Express or Fastify app) on worker threads attached to
// a node's zone, and a client that paces requests over every server and counts the answers.
import { Worker } from 'node:worker_threads';
import { afterEach } from 'vitest';
import { SyncEngine } from '../../dist/sync/index.js';
import { CounterZone, createNodeContext } from '../../dist/zones/index.js';
import { waitFor } from '../runtime/cluster-helpers.js';

export const SYNC_INTERVAL_MS = 10;

/** One node: its counter zone and, in a cluster, its sync engine. */
export interface CounterNode {
  zone: CounterZone;
  engine: SyncEngine | null;
}

/** `count` nodes, each with a counter zone named `hits`; more than one are synced as a full mesh. */
export async function startNodes(count: number): Promise<CounterNode[]> {
  const nodes = Array.from({ length: count }, (_, i) => {
    const node = createNodeContext(100 + i);
    const zone = CounterZone.create({ name: 'hits', size: '1m', sync: count > 1, node });
    const engine = count === 1 ? null : new SyncEngine({
      nodeId: node.nodeId, nodeName: `node-${i}`, descriptors: [zone.handle.descriptor], clockBuffer: node.clockBuffer,
      options: { intervalMs: SYNC_INTERVAL_MS, listen: '127.0.0.1:0', connectRetryIntervalMs: 50, connectTimeoutMs: 2_000, timeoutMs: 5_000, stopGraceMs: 1_000 },
    });
    return { zone, engine };
  });
  const engines = nodes.flatMap((n) => (n.engine === null ? [] : [n.engine]));
  await Promise.all(engines.map((e) => e.start()));
  for (const e of engines) e.setServers(engines.map((x) => x.listenAddress!));
  await waitFor(() => engines.every((e) => e.readCounters().status.nodes_online === count - 1), 10_000, () => 'the nodes did not connect');
  return nodes;
}

export async function stopNodes(nodes: CounterNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.engine?.stop()));
}

/** HTTP servers on worker threads: each runs `script` with its node's zone handle and `options`, on a port of its own. */
export interface ServerThreads {
  urls: string[];
  stop(): Promise<void>;
}

export async function startServers(script: string, nodes: CounterNode[], threadsPerNode: number, options: object): Promise<ServerThreads> {
  const workers = nodes.flatMap((node) => Array.from({ length: threadsPerNode }, () => new Worker(new URL(`./workers/${script}`, import.meta.url), {
    workerData: { zone: node.zone.handle, options },
  })));
  const ports = await Promise.all(workers.map((w) => new Promise<number>((resolve, reject) => {
    w.once('message', (m: { port: number }) => resolve(m.port));
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`server thread exited with ${code} before listening`)));
  })));
  return {
    urls: ports.map((p) => `http://127.0.0.1:${p}`),
    stop: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

export interface Answers {
  /** How many requests got each status. */
  byStatus: Map<number, number>;
  /** Status of each request, in the order sent. */
  statuses: number[];
  /** A header of each answer, when asked for. */
  headers: Array<string | null>;
}

/**
 * Sends `total` GET requests to `path`, the n-th to urls[n mod urls.length], one every
 * `spacingMs` (0: as fast as `concurrency` allows), at most `concurrency` at a time.
 */
export async function send(urls: string[], path: string, total: number, o: { spacingMs?: number; concurrency?: number; headers?: Record<string, string>; header?: string } = {}): Promise<Answers> {
  const statuses: number[] = new Array(total);
  const headers: Array<string | null> = new Array(total).fill(null);
  const concurrency = o.concurrency ?? 8;
  const start = Date.now();
  let next = 0;
  async function lane(): Promise<void> {
    for (let n = next++; n < total; n = next++) {
      const due = start + n * (o.spacingMs ?? 0);
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const response = await fetch(`${urls[n % urls.length]}${path}`, { headers: o.headers ?? {} });
      await response.arrayBuffer();
      statuses[n] = response.status;
      if (o.header !== undefined) headers[n] = response.headers.get(o.header);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const byStatus = new Map<number, number>();
  for (const s of statuses) byStatus.set(s, (byStatus.get(s) ?? 0) + 1);
  return { byStatus, statuses, headers };
}

/** A client key whose current window, of `windowMs`, has at least `leftMs` to run, so that a test stays in one window. */
export function clientKeyWithTime(zone: CounterZone, windowMs: number, leftMs: number, prefix = ''): string {
  for (let i = 0; ; i++) {
    const key = `client-${i}`;
    if (zone.get(prefix + key, { window: windowMs }).resetAtMs - Date.now() >= leftMs) return key;
  }
}

/**
 * For a describe block: clusters of `nodeCount` nodes, each with `threadsPerNode` threads
 * running `script` (with `defaults` and a test's options), stopped after each test; each
 * comes with a client key whose window of `windowMs` (its keys prefixed `prefix`) has a
 * minute left.
 */
export function clustersAfterEach(script: string, defaults: object, windowMs: number, prefix: string) {
  let running: Array<{ servers: ServerThreads; nodes: CounterNode[] }> = [];
  afterEach(async () => {
    for (const r of running) {
      await r.servers.stop();
      await stopNodes(r.nodes);
    }
    running = [];
  });
  return async (nodeCount: number, threadsPerNode: number, options: object) => {
    const nodes = await startNodes(nodeCount);
    const servers = await startServers(script, nodes, threadsPerNode, { ...defaults, ...options });
    running.push({ servers, nodes });
    return { nodes, servers, client: clientKeyWithTime(nodes[0]!.zone, windowMs, 60_000, prefix) };
  };
}
