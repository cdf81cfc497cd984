// zonesync_counter_zone on real nodes: a handler on the worker threads of two nodes counts in
// one zone, and each node reads the sum of both nodes' counts.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NodeProcess, cleanupsAfterEach, freePorts, syncBlock, waitFor, writeConfig } from './cluster-helpers.js';

const HANDLER = fileURLToPath(new URL('../fixtures/handlers/counter-handler.mjs', import.meta.url));

interface Ports { http: number; sync: number }

function config(self: Ports, all: Ports[]): string {
  return `worker_processes 2;
http {
    zonesync_counter_zone zone=hits:1m window=1h sync;
    server {
        listen 127.0.0.1:${self.http};
        location /api { api; }
        location = /metrics { zonesync_metrics; }
        location / { zonesync_handler ${HANDLER}; }
    }
}
${syncBlock(self.sync, all.map((p) => `127.0.0.1:${p.sync}`))}`;
}

async function count(port: number, path: string, client: string): Promise<{ value: number; resetAtMs: number }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}?client=${client}`);
  expect(response.status).toBe(200);
  return response.json() as Promise<{ value: number; resetAtMs: number }>;
}

describe('zonesync_counter_zone (real nodes)', () => {
  const cleanups = cleanupsAfterEach();

  it('two nodes count one key together, every worker thread of each', async () => {
    const dir = cleanups.tempDir();
    const [ah, as, bh, bs] = await freePorts(4);
    const a = { http: ah!, sync: as! };
    const b = { http: bh!, sync: bs! };
    const nodeA = new NodeProcess(writeConfig(dir, 'a.conf', config(a, [a, b])));
    const nodeB = new NodeProcess(writeConfig(dir, 'b.conf', config(b, [a, b])));
    cleanups.push(() => nodeA.stop(), () => nodeB.stop());
    await Promise.all([nodeA.ready(), nodeB.ready()]);

    const adds = 100;
    await Promise.all(Array.from({ length: 4 }, async (_, lane) => {
      for (let i = lane; i < adds; i += 4) await count(i % 2 === 0 ? ah! : bh!, '/', 'client');
    }));
    const sums = async () => Promise.all([count(ah!, '/peek', 'client'), count(bh!, '/peek', 'client')]);
    await waitFor(async () => (await sums()).every((s) => s.value === adds), 10_000, () => 'the nodes never agreed on the sum');
    const [sa, sb] = await sums();
    expect(sa!.resetAtMs).toBe(sb!.resetAtMs); // the same window on both nodes
    // The node lists the zone with the others: its own status, the metrics, the sync counts.
    const status = await (await fetch(`http://127.0.0.1:${ah}/api/9/zonesync`)).json() as { zones: Record<string, { type: string; sync: boolean }> };
    expect(status.zones.hits).toMatchObject({ type: 'counter', sync: true });
    const metrics = await (await fetch(`http://127.0.0.1:${ah}/metrics`)).text();
    expect(metrics).toMatch(/zonesync_sync_zone_records\{zone="hits"\} 2/); // a count of each node
  });
});
