import { afterEach, describe, expect, it } from 'vitest';
import { NodeProcess, api, clusterConfig, freePorts, tempDir, waitFor, writeConfig, type NodePorts } from './cluster-helpers.js';

const running: NodeProcess[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  cleanups.splice(0).forEach((c) => c());
});

async function startCluster(n: number) {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const ports = await freePorts(n * 2);
  const nodes: NodePorts[] = Array.from({ length: n }, (_, i) => ({ http: ports[2 * i]!, sync: ports[2 * i + 1]! }));
  const configs = nodes.map((p, i) => writeConfig(dir, `node${i}.conf`, clusterConfig(p, nodes)));
  const procs = configs.map((c) => new NodeProcess(c));
  running.push(...procs);
  await Promise.all(procs.map((p) => p.ready()));
  return { nodes, configs, procs };
}

describe('three nodes from three configuration files', () => {
  it('a key POSTed on one node is read through the API of the others; nodes_online is 2 everywhere', async () => {
    const { nodes } = await startCluster(3);
    for (const p of nodes) {
      await waitFor(async () => (await api(p.http, '/api/9/stream/zone_sync')).body.status.nodes_online === 2, 20_000,
        () => `node ${p.http} never saw both peers`);
    }
    const post = await api(nodes[0]!.http, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify({ greeting: 'hello' }) });
    expect(post.status).toBe(201);
    for (const p of nodes.slice(1)) {
      await waitFor(async () => (await api(p.http, '/api/9/http/keyvals/one')).body.greeting === 'hello', 10_000, () => 'key did not replicate');
    }
    const del = await api(nodes[1]!.http, '/api/9/http/keyvals/one', { method: 'PATCH', body: JSON.stringify({ greeting: null }) });
    expect(del.status).toBe(204);
    await waitFor(async () => (await api(nodes[2]!.http, '/api/9/http/keyvals/one')).body.greeting === undefined, 10_000, () => 'delete did not replicate');
    // A deny-list block added on one node is matched (longest prefix) by the handler of another.
    expect((await fetch(`http://127.0.0.1:${nodes[2]!.http}/`)).status).toBe(200);
    expect((await api(nodes[0]!.http, '/api/9/http/keyvals/denylist', { method: 'POST', body: JSON.stringify({ '127.0.0.0/8': 'blocked' }) })).status).toBe(201);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${nodes[2]!.http}/`)).status === 403, 10_000, () => 'deny list block did not reach the other node');
    const status = await api(nodes[0]!.http, '/api/9/stream/zone_sync');
    expect(Object.keys(status.body.zones).sort()).toEqual(['denylist', 'one']);
    expect(status.body.status.msgs_out).toBeGreaterThan(0);
  });

  it('a node stopped with QUIT and restarted catches up by snapshot', async () => {
    const { nodes, configs, procs } = await startCluster(3);
    await waitFor(async () => (await api(nodes[0]!.http, '/api/9/stream/zone_sync')).body.status.nodes_online === 2, 20_000, () => 'no mesh');
    procs[2]!.signal('SIGQUIT');
    expect(await procs[2]!.exited).toBe(0);
    // The others log one access line for each session with it that ended.
    const sessionLine = () => procs[0]!.output.split('\n').filter((l) => l.includes('"zone_sync session closed"'))
      .map((l) => JSON.parse(l) as { peer: string; bytesIn: number; bytesOut: number; durationMs: number; nodeId: number });
    await waitFor(() => sessionLine().length > 0, 10_000, () => `no session line:\n${procs[0]!.output}`);
    const line = sessionLine()[0]!;
    expect(line.bytesIn).toBeGreaterThan(0);
    expect(line.bytesOut).toBeGreaterThan(0);
    expect(line.durationMs).toBeGreaterThanOrEqual(0);
    expect(line.nodeId).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) {
      expect((await api(nodes[0]!.http, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify({ [`k${i}`]: `v${i}` }) })).status).toBe(201);
    }
    const restarted = new NodeProcess(configs[2]!);
    running.push(restarted);
    await restarted.ready();
    await waitFor(async () => Object.keys((await api(nodes[2]!.http, '/api/9/http/keyvals/one')).body).length === 20, 20_000, () => 'restarted node did not catch up');
    const got = (await api(nodes[2]!.http, '/api/9/http/keyvals/one')).body;
    expect(got.k7).toBe('v7');
  });
});

describe('the built-in handler', () => {
  it('answers which node served, refuses listed clients with 403, and limits the rate with 503', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const [http, sync] = await freePorts(2);
    const self = { http: http!, sync: sync! };
    const config = writeConfig(dir, 'node.conf', clusterConfig(self, [self], `
    limit_req_zone $binary_remote_addr zone=perclient:1m rate=1r/m sync;
    upstream backend { server 10.0.0.1:80; server 10.0.0.2:80; sticky learn create=$upstream_cookie_session lookup=$cookie_session zone=sessions:1m sync; }`)
      .replace('location / { }', 'location / { limit_req zone=perclient burst=3 nodelay; }\n        location /open { }'));
    const node = new NodeProcess(config);
    running.push(node);
    await node.ready();
    const first = await fetch(`http://127.0.0.1:${self.http}/`);
    expect(first.status).toBe(200);
    const body = await first.json() as { server: string; session: string; worker: number };
    expect(['10.0.0.1:80', '10.0.0.2:80']).toContain(body.server);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^session=[0-9a-f]+/);
    // The same session stays on the same server.
    const again = await (await fetch(`http://127.0.0.1:${self.http}/`, { headers: { cookie: cookie.split(';')[0]! } })).json() as { server: string };
    expect(again.server).toBe(body.server);
    // burst=3 at 1r/m: requests 1-4 pass, the 5th is refused with 503.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`http://127.0.0.1:${self.http}/`)).status);
    expect(statuses).toEqual([200, 200, 503]);
    // A deny list entry for the client's address answers 403 (on a location without a limit).
    expect((await fetch(`http://127.0.0.1:${self.http}/open`)).status).toBe(200);
    expect((await api(self.http, '/api/9/http/keyvals/denylist', { method: 'POST', body: JSON.stringify({ '127.0.0.0/8': 'blocked' }) })).status).toBe(201);
    const denied = await api(self.http, '/open');
    expect(denied.status).toBe(403);
    expect(denied.body.reason).toBe('blocked');
  });
});
