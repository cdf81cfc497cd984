// Deletes stay deleted, on real nodes: a key deleted on A while B is partitioned (or stopped,
// its state file holding the key) must not come back when B returns, even after A's copy of
// the key would have expired. A tombstone lives the zone's timeout past its own stamp, so it
// outlives every older version of the key (docs/PROTOCOL.md "Tombstones").
import { describe, expect, it } from 'vitest';
import { FaultProxy } from '../util/fault-proxy.js';
import { NodeProcess, api, cleanupsAfterEach, freePorts, syncBlock, waitFor, writeConfig } from './cluster-helpers.js';

interface Ports { http: number; sync: number }

/** Node config whose zone_sync_server list is itself and `peer` (a proxy in front of the other node). */
function config(self: Ports, peer: string, stateFile: string | null): string {
  return `worker_processes 1;
http {
    keyval_zone zone=one:1m timeout=1h sync${stateFile === null ? '' : ` state=${stateFile}`};
    server {
        listen 127.0.0.1:${self.http};
        location /api { api write=on; }
    }
}
${syncBlock(self.sync, [`127.0.0.1:${self.sync}`, peer])}`;
}

const KEYS = '/api/9/http/keyvals/one';

async function keyOf(port: number): Promise<string | undefined> {
  const r = await api(port, `${KEYS}?key=k`);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET answered ${r.status}`);
  return (r.body as Record<string, string>).k;
}

async function send(port: number, method: string, body: unknown, expected: number): Promise<void> {
  const r = await api(port, KEYS, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (r.status !== expected) throw new Error(`${method} answered ${r.status}: ${JSON.stringify(r.body)}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('deletes stay deleted (real nodes)', () => {
  const cleanups = cleanupsAfterEach();

  async function cluster(withState: boolean) {
    const dir = cleanups.tempDir();
    const [ah, as, bh, bs] = await freePorts(4);
    const a: Ports = { http: ah!, sync: as! };
    const b: Ports = { http: bh!, sync: bs! };
    const toB = await FaultProxy.start(`127.0.0.1:${b.sync}`);
    const toA = await FaultProxy.start(`127.0.0.1:${a.sync}`);
    cleanups.push(() => toB.close(), () => toA.close());
    const aPath = writeConfig(dir, 'a.conf', config(a, toB.address, withState ? `${dir}/a.state` : null));
    const bPath = writeConfig(dir, 'b.conf', config(b, toA.address, withState ? `${dir}/b.state` : null));
    const start = async (path: string) => {
      const n = new NodeProcess(path);
      cleanups.push(() => n.stop());
      await n.ready();
      return n;
    };
    return { a, b, toA, toB, aNode: await start(aPath), bNode: await start(bPath), bPath, start };
  }

  it('a key deleted on A during a partition stays deleted after it heals, though B held a copy that expires later', async () => {
    const c = await cluster(false);
    await send(c.a.http, 'POST', { k: { value: 'v', expire: 20_000 } }, 201);
    await waitFor(async () => (await keyOf(c.b.http)) === 'v', 10_000, () => 'B never got the key');
    c.toA.partition('cut');
    c.toB.partition('cut');
    await send(c.a.http, 'PATCH', { k: { expire: 1_000 } }, 204); // A's copy now expires in 1 s, B's in 20 s
    await send(c.a.http, 'PATCH', { k: null }, 204);
    await sleep(1_500); // past the expiry of A's copy of the key
    c.toA.heal();
    c.toB.heal();
    // Both links back (each side's snapshot sent), then the key must be gone on both.
    await waitFor(async () => {
      const s = await api(c.a.http, '/api/9/stream/zone_sync');
      return s.body.status.nodes_online === 1 && (await keyOf(c.a.http)) === undefined && (await keyOf(c.b.http)) === undefined;
    }, 15_000, () => 'the deleted key is still (or again) somewhere');
    await sleep(500); // a few more rounds: nothing brings it back
    expect(await keyOf(c.a.http)).toBeUndefined();
    expect(await keyOf(c.b.http)).toBeUndefined();
  });

  it('a key deleted while B was stopped does not come back from B\'s state file', async () => {
    const c = await cluster(true);
    await send(c.a.http, 'POST', { k: { value: 'v', expire: 20_000 } }, 201);
    await waitFor(async () => (await keyOf(c.b.http)) === 'v', 10_000, () => 'B never got the key');
    c.bNode.signal('SIGQUIT'); // graceful: B's state file now holds k, expiring in 20 s
    expect(await c.bNode.exited).toBe(0);
    await send(c.a.http, 'PATCH', { k: { expire: 1_000 } }, 204);
    await send(c.a.http, 'PATCH', { k: null }, 204);
    await sleep(1_500);
    const b2 = await c.start(c.bPath);
    await waitFor(async () => {
      const s = await api(c.b.http, '/api/9/stream/zone_sync');
      return s.body.status.nodes_online === 1 && (await keyOf(c.a.http)) === undefined && (await keyOf(c.b.http)) === undefined;
    }, 15_000, () => `the deleted key came back:\n${b2.output}`);
    await sleep(500);
    expect(await keyOf(c.a.http)).toBeUndefined();
    expect(await keyOf(c.b.http)).toBeUndefined();
  });
});
