// The cluster-wide rate limit with real nodes: `node dist/primary.js` processes synced over
// loopback, the admin guide's `limit_req_zone … rate=100r/s sync;`, real HTTP traffic paced
// from this process over 10 s. The cluster as a whole must admit rate × time + burst.
import { afterAll, describe, expect, it } from 'vitest';
import { NodeProcess, api, clusterConfig, freePorts, tempDir, waitFor, writeConfig, type NodePorts } from './cluster-helpers.js';
import { alternating } from '../util/traffic.js';
import { runPacedLoad, type LoadResult } from './paced-load.js';

const running: NodeProcess[] = [];
const cleanups: Array<() => void> = [];
afterAll(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  cleanups.splice(0).forEach((c) => c());
});

const RATE = 100;
const WINDOW_MS = 10_000;

/** n nodes whose `location /` has `limit_req zone=req <limitArgs>`; resolves once all are meshed. */
async function startCluster(n: number, limitArgs: string): Promise<NodePorts[]> {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const ports = await freePorts(n * 2);
  const nodes: NodePorts[] = Array.from({ length: n }, (_, i) => ({ http: ports[2 * i]!, sync: ports[2 * i + 1]! }));
  const zone = `limit_req_zone $binary_remote_addr zone=req:1m rate=${RATE}r/s sync;`;
  const procs = nodes.map((p, i) => new NodeProcess(writeConfig(dir, `node${i}.conf`,
    clusterConfig(p, nodes, zone).replace('location / { }', `location / { limit_req zone=req${limitArgs === '' ? '' : ` ${limitArgs}`}; }`))));
  running.push(...procs);
  await Promise.all(procs.map((p) => p.ready()));
  for (const p of nodes) {
    await waitFor(async () => (await api(p.http, '/api/9/stream/zone_sync')).body.status.nodes_online === n - 1, 20_000,
      () => `node ${p.http} did not see its ${n - 1} peers`);
  }
  return nodes;
}

function admitted(r: LoadResult): number {
  return r.statuses.get(200) ?? 0;
}

describe('limit_req across real nodes: the cluster as a whole is held to the rate', () => {
  it('2 nodes, traffic alternating between them at 2× the rate, no burst (the admin guide): at most rate × time', async () => {
    const nodes = await startCluster(2, '');
    const r = await runPacedLoad({ ports: nodes.map((p) => p.http), requestsPerSecond: 2 * RATE, durationMs: WINDOW_MS, targetOf: alternating(2) });
    expect(r.statuses.get(0) ?? 0).toBe(0);
    expect(admitted(r) + (r.statuses.get(503) ?? 0)).toBe(r.sent);
    expect(admitted(r)).toBeLessThanOrEqual(1.1 * RATE * (WINDOW_MS / 1000));
  }, 60_000);
});
