// Relays on three real nodes, every sync link through a fault proxy: the link node 1 dialled
// to node 0 is cut, a key written on node 1 reaches node 2 only, and node 1 is killed with
// SIGKILL. Node 2 relays the records of node 1 it holds when its link from node 1 closes
// (docs/PROTOCOL.md "Relays"): node 0 gets the key over the connection node 2 already has to
// it, with no reconnect between nodes 0 and 2.
import { describe, expect, it } from 'vitest';
import { NodeProcess, api, cleanupsAfterEach, clusterConfigDialling, proxiedMesh, waitFor, writeConfig } from './cluster-helpers.js';

const NODES = 3;

async function keyOn(port: number, key: string): Promise<string | undefined> {
  const body = (await api(port, '/api/9/http/keyvals/denylist')).body as Record<string, string>;
  return body[key];
}

async function metric(port: number, name: string): Promise<number> {
  const text = (await api(port, '/metrics')).body as string;
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  if (match === null) throw new Error(`no ${name} in the metrics`);
  return Number(match[1]);
}

describe('relays on real nodes', () => {
  const cleanups = cleanupsAfterEach();

  it('a key that reached node 2 only reaches node 0 after node 1 is killed, with no reconnect between 0 and 2', async () => {
    const dir = cleanups.tempDir();
    const { ports, proxies, serversOf } = await proxiedMesh(NODES, cleanups);
    const nodes = ports.map((p, i) => {
      const node = new NodeProcess(writeConfig(dir, `n${i}.conf`, clusterConfigDialling(p, serversOf(i))));
      cleanups.push(() => node.stop());
      return node;
    });
    await Promise.all(nodes.map((n) => n.ready()));
    await waitFor(async () => (await Promise.all(ports.map((p) => metric(p.http, 'zonesync_sync_nodes_online')))).every((n) => n === NODES - 1),
      20_000, () => 'the nodes never connected');
    const post = (i: number, body: Record<string, string>) => api(ports[i]!.http, '/api/9/http/keyvals/denylist', {
      method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' },
    });

    expect((await post(1, { '192.0.2.1': 'before' })).status).toBe(201);
    await waitFor(async () => (await keyOn(ports[0]!.http, '192.0.2.1')) === 'before', 10_000, () => 'the first key never reached node 0');

    // Connections accepted so far (dials before a node listened included): none more may come.
    const accepted02 = [proxies[0]![2]!.accepted, proxies[2]![0]!.accepted];
    proxies[1]![0]!.partition('cut'); // node 1's records no longer reach node 0
    expect((await post(1, { '203.0.113.0/24': 'deny' })).status).toBe(201);
    await waitFor(async () => (await keyOn(ports[2]!.http, '203.0.113.0/24')) === 'deny', 10_000, () => 'the key never reached node 2');
    expect(await keyOn(ports[0]!.http, '203.0.113.0/24')).toBeUndefined();

    await nodes[1]!.stop(); // SIGKILL
    await waitFor(async () => (await keyOn(ports[0]!.http, '203.0.113.0/24')) === 'deny', 10_000,
      () => `node 0 never got the key:\n${nodes[0]!.output}\n${nodes[2]!.output}`);
    // The connections between nodes 0 and 2, both ways, are those of before the cut: none reopened.
    expect([proxies[0]![2]!.accepted, proxies[2]![0]!.accepted]).toEqual(accepted02);
    expect(await metric(ports[2]!.http, 'zonesync_sync_relays_total')).toBeGreaterThan(0);
  }, 60_000);
});
