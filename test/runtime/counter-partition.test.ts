// Counter zones on three real nodes, three worker threads each, every sync link through a
// fault proxy: adds from every worker thread of every node while one node is partitioned
// off, then the heal; kill -9 of a node and a new process in its place. Counter zones have
// no state file and a node takes a new id at each start: what a killed node had sent stays
// counted (the survivors hold its count and hand it to the new process), what it had not
// sent is lost. Every node reads the exact sum.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NodeProcess, cleanupsAfterEach, proxiedMesh, syncBlock, waitFor, writeConfig, type NodePorts } from './cluster-helpers.js';

const HANDLER = fileURLToPath(new URL('../fixtures/handlers/counter-add-handler.mjs', import.meta.url));
const NODES = 3;
const KEY = 'client-1';

interface CountState { value: number; worker: number }

function config(self: NodePorts, peers: string[]): string {
  return `worker_processes 3;
http {
    zonesync_counter_zone zone=hits:1m window=1h sync;
    server {
        listen 127.0.0.1:${self.http};
        location / { zonesync_handler ${HANDLER}; }
    }
}
${syncBlock(self.sync, peers)}`;
}

async function call(port: number, path: string): Promise<CountState> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  expect(response.status).toBe(200);
  return response.json() as Promise<CountState>;
}

describe('counter zone on real nodes: partitions and kill -9', () => {
  const cleanups = cleanupsAfterEach();

  it('every node reads the exact sum of the adds of every worker thread after a partition heals; a killed node keeps what it had sent', async () => {
    const dir = cleanups.tempDir();
    const { ports, proxies, serversOf } = await proxiedMesh(NODES, cleanups);
    const configs = ports.map((p, i) => writeConfig(dir, `n${i}.conf`, config(p, serversOf(i))));
    const nodes: NodeProcess[] = [];
    const start = async (i: number): Promise<void> => {
      const node = new NodeProcess(configs[i]!);
      nodes[i] = node;
      cleanups.push(() => node.stop());
      await node.ready();
    };
    await Promise.all(ports.map((_, i) => start(i)));
    /** Sets node i apart (its links in both directions cut) or back. */
    const partition = (i: number, apart: boolean): void => {
      for (let j = 0; j < NODES; j++) {
        if (j === i) continue;
        for (const p of [proxies[i]![j]!, proxies[j]![i]!]) {
          if (apart) p.partition('cut');
          else p.heal();
        }
      }
    };
    const workersSeen = ports.map(() => new Set<number>());
    /** `count` adds of 1..4 to node i, 6 at a time (the node's threads share them); returns their sum. */
    const addOn = async (i: number, count: number): Promise<number> => {
      let sum = 0;
      await Promise.all(Array.from({ length: 6 }, async (_, lane) => {
        for (let k = lane; k < count; k += 6) {
          const n = 1 + (k % 4);
          const state = await call(ports[i]!.http, `/?client=${KEY}&n=${n}`);
          workersSeen[i]!.add(state.worker);
          sum += n;
        }
      }));
      return sum;
    };
    const values = () => Promise.all(ports.map((p) => call(p.http, `/peek?client=${KEY}`).then((s) => s.value)));
    const allRead = async (expected: number[], what: string): Promise<void> => {
      await waitFor(async () => (await values()).every((v, i) => v === expected[i]), 20_000, () => `${what}: expected ${expected.join(', ')}`);
      expect(await values()).toEqual(expected); // and it stays so
    };

    // Connected: the adds of every node, on all.
    let total = 0;
    for (let i = 0; i < NODES; i++) total += await addOn(i, 60);
    await allRead([total, total, total], 'connected');

    // Node 2 apart: each side reads its own adds; after the heal, all read all.
    partition(2, true);
    const side01 = (await addOn(0, 60)) + (await addOn(1, 60));
    const side2 = await addOn(2, 60);
    await allRead([total + side01, total + side01, total + side2], 'partitioned');
    partition(2, false);
    total += side01 + side2;
    await allRead([total, total, total], 'healed');

    // kill -9 of node 2 once its adds are everywhere, a new process in its place: they stay counted.
    await nodes[2]!.stop();
    await start(2);
    await allRead([total, total, total], 'node 2 restarted');
    total += await addOn(2, 30);
    await allRead([total, total, total], 'node 2 restarted, adding');

    // kill -9 of node 2 while apart: what it added then never left it and is lost.
    partition(2, true);
    const lost = await addOn(2, 30);
    expect(lost).toBeGreaterThan(0);
    await allRead([total, total, total + lost], 'node 2 apart, adding');
    await nodes[2]!.stop();
    partition(2, false);
    await start(2);
    await allRead([total, total, total], 'node 2 restarted after adds it never sent');

    for (const seen of workersSeen) expect(seen.size).toBeGreaterThan(1); // adds came from several threads of each node
  }, 120_000);
});
