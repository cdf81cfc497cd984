// /readyz on real nodes: a node that starts beside a running peer says it is ready only once
// that peer's snapshot has arrived (before, a load balancer would send it requests it judges
// on empty zones: a deny list without its entries, rate limits without their buckets); a peer
// that is down is not waited for; a snapshot that never comes is waited for no longer than
// the grace (docs/ARCHITECTURE.md, "Readiness").
import { describe, expect, it } from 'vitest';
import { FaultProxy } from '../util/fault-proxy.js';
import { NodeProcess, api, cleanupsAfterEach, freePorts, waitFor, writeConfig } from './cluster-helpers.js';

function config(http: number, sync: number, servers: string[], timings: string): string {
  return `worker_processes 1;
http {
    keyval_zone zone=one:8m timeout=1h sync;
    server {
        listen 127.0.0.1:${http};
        location /api { api write=on; }
        location = /readyz { zonesync_health ready; }
    }
}
stream {
    server {
        listen 127.0.0.1:${sync};
        zone_sync;
        zone_sync_interval 50ms;
        zone_sync_connect_retry_interval 200ms;
        ${timings}
${servers.map((a) => `        zone_sync_server ${a};`).join('\n')}
    }
}
`;
}

const KEYS = 5_000;

async function keyCount(port: number): Promise<number> {
  const r = await api(port, '/api/9/http/keyvals/one');
  if (r.status !== 200) throw new Error(`GET answered ${r.status}`);
  return Object.keys(r.body as object).length;
}

async function readyz(port: number): Promise<{ status: number; text: string }> {
  const r = await api(port, '/readyz');
  return { status: r.status, text: JSON.stringify(r.body) };
}

describe('/readyz waits for the peers\' snapshots (real nodes)', () => {
  const cleanups = cleanupsAfterEach();

  async function start(dir: string, name: string, text: string): Promise<NodeProcess> {
    const n = new NodeProcess(writeConfig(dir, name, text), ['--workers', '1']);
    cleanups.push(() => n.stop());
    await n.ready();
    return n;
  }

  /** A, filled with KEYS keys; B's address as A dials it goes through `toB`, cut for now. */
  async function filledPeerAndCutLink(dir: string, bTimings: string) {
    const [ah, as, bh, bs] = await freePorts(4);
    const toB = await FaultProxy.start(`127.0.0.1:${bs}`);
    cleanups.push(() => toB.close());
    await start(dir, 'a.conf', config(ah!, as!, [`127.0.0.1:${as}`, toB.address], ''));
    const body: Record<string, string> = {};
    for (let k = 0; k < KEYS; k++) body[`key-${k}`] = `value-${k}`;
    const r = await api(ah!, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    toB.partition('cut');
    const bConfig = config(bh!, bs!, [`127.0.0.1:${bs}`, `127.0.0.1:${as}`], bTimings);
    return { bh: bh!, toB, startB: () => start(dir, 'b.conf', bConfig) };
  }

  it('a node is not ready while a peer it reached has not sent its snapshot, and holds every key once ready', async () => {
    const dir = cleanups.tempDir();
    const c = await filledPeerAndCutLink(dir, 'zone_sync_timeout 60s;'); // a grace far beyond the test
    await c.startB();
    // B reaches A, but A cannot reach B, so A's snapshot cannot flow: B must say it waits.
    // B reaches A at once: the wait it names turns from the first connection to A's snapshot.
    await waitFor(async () => /waiting for the snapshot of 127\.0\.0\.1:\d+/.test((await readyz(c.bh)).text), 10_000, () => "B never said it waits for A's snapshot");
    for (let i = 0; i < 10; i++) {
      const r = await readyz(c.bh);
      expect(r.status, r.text).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    c.toB.heal();
    await waitFor(async () => (await readyz(c.bh)).status === 200, 20_000, () => 'B never became ready');
    expect(await keyCount(c.bh)).toBe(KEYS);
  });

  it('a node whose only peer is down is ready without waiting for the grace', async () => {
    const dir = cleanups.tempDir();
    const [bh, bs, nobody] = await freePorts(3);
    await start(dir, 'b.conf', config(bh!, bs!, [`127.0.0.1:${bs}`, `127.0.0.1:${nobody}`], 'zone_sync_timeout 120s;'));
    await waitFor(async () => (await readyz(bh!)).status === 200, 20_000, () => 'B did not become ready though its peer is down');
  });

  it('a snapshot that never comes is waited for no longer than the grace', async () => {
    const dir = cleanups.tempDir();
    const c = await filledPeerAndCutLink(dir, 'zone_sync_timeout 2s; zone_sync_connect_timeout 1s;');
    await c.startB();
    const first = await readyz(c.bh);
    expect(first.status, first.text).toBe(503);
    await waitFor(async () => (await readyz(c.bh)).status === 200, 30_000, () => 'B stayed not ready past the grace');
    expect(await keyCount(c.bh)).toBe(0); // ready on what it has: the grace is for a peer that cannot send
  });
});
