// Links stay up whatever zone_sync_interval is: keep-alive follows zone_sync_timeout, not
// the round interval (docs/PROTOCOL.md "PING and PONG"). Two real node processes per
// interval, zone_sync_timeout at its 5 s default: over a window of three timeouts no
// connection closes or reconnects (no new snapshot), and a write still arrives after one
// interval.
import { afterEach, describe, expect, it } from 'vitest';
import { NodeProcess, api, clusterConfig, freePorts, tempDir, waitFor, writeConfig, type NodePorts } from './cluster-helpers.js';

const running: NodeProcess[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  cleanups.splice(0).forEach((c) => c());
});

/** zone_sync_timeout's default. */
const TIMEOUT_MS = 5000;
/** How long the links are watched: three timeouts. */
const WATCH_MS = 3 * TIMEOUT_MS;

interface PeerView { address: string; direction: string; state: string; connectedSinceMs: number }

async function peers(http: number): Promise<PeerView[]> {
  return (await api(http, '/api/9/stream/zone_sync')).body.peers as PeerView[];
}

/** "connected since" of every open connection of the node, by direction and address. */
async function openSince(http: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of await peers(http)) if (p.state === 'open') out[`${p.direction} ${p.address}`] = p.connectedSinceMs;
  return out;
}

function count(node: NodeProcess, message: string): number {
  return node.output.split('\n').filter((line) => line.includes(`"msg":"${message}"`)).length;
}

/** Two nodes syncing every `interval`; resolves once both have their outbound and inbound link open. */
async function pair(interval: string): Promise<{ nodes: NodePorts[]; procs: NodeProcess[] }> {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const ports = await freePorts(4);
  const nodes: NodePorts[] = [{ http: ports[0]!, sync: ports[1]! }, { http: ports[2]!, sync: ports[3]! }];
  const procs = nodes.map((p, i) => new NodeProcess(writeConfig(dir, `n${i}.conf`, clusterConfig(p, nodes)
    .replace('worker_processes 2;', 'worker_processes 1;')
    .replace('zone_sync_interval 50ms;', `zone_sync_interval ${interval};`))));
  running.push(...procs);
  await Promise.all(procs.map((p) => p.ready()));
  for (const p of nodes) {
    await waitFor(async () => Object.keys(await openSince(p.http)).length === 2, 20_000, () => `links of ${p.http} never opened`);
  }
  return { nodes, procs };
}

async function watchLinks(interval: string, intervalMs: number): Promise<void> {
  const { nodes, procs } = await pair(interval);
  const since = await Promise.all(nodes.map((p) => openSince(p.http)));
  const snapshots = procs.map((p) => count(p, 'zone_sync snapshot sent'));
  const connects = procs.map((p) => count(p, 'zone_sync connected'));
  expect(snapshots).toEqual([1, 1]);

  // A write arrives after about one interval (the bound here is loose: the machine is noisy).
  const post = await api(nodes[0]!.http, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify({ [`k${intervalMs}`]: 'v' }) });
  expect(post.status).toBe(201);
  await waitFor(async () => (await api(nodes[1]!.http, '/api/9/http/keyvals/one')).body[`k${intervalMs}`] === 'v',
    2 * intervalMs + TIMEOUT_MS, () => `the write did not arrive (interval ${interval})`);

  // Over three timeouts, no link closes: the same connections, no new snapshot or connect.
  const until = Date.now() + WATCH_MS;
  while (Date.now() < until) {
    const now = await Promise.all(nodes.map((p) => openSince(p.http)));
    expect(now, `interval ${interval}: a link reconnected\n${procs.map((p) => p.output).join('\n')}`).toEqual(since);
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(procs.map((p) => count(p, 'zone_sync snapshot sent'))).toEqual(snapshots);
  expect(procs.map((p) => count(p, 'zone_sync connected'))).toEqual(connects);
  for (const p of procs) expect(p.output).not.toContain('zone_sync connection timed out');
}

describe('keep-alive at any zone_sync_interval (zone_sync_timeout 5s)', () => {
  it('interval 5s and 10s: links stay up over three timeouts, and a write arrives after one interval', async () => {
    await Promise.all([watchLinks('5s', 5000), watchLinks('10s', 10_000)]);
  }, 90_000);
});
