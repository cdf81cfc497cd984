// A synced keyval zone filled through the API, on real nodes: every write past capacity is
// refused with 507 KeyvalZoneFull and changes nothing, no acknowledged key is lost, and the
// nodes end with the same keys. A value too large to ever be synced is refused with 400.
import { describe, expect, it } from 'vitest';
import { NodeProcess, api, cleanupsAfterEach, clusterConfig, freePorts, waitFor, writeConfig } from './cluster-helpers.js';

const ZONE = '/api/9/http/keyvals/small';

async function keys(port: number): Promise<string[]> {
  const r = await api(port, ZONE);
  expect(r.status).toBe(200);
  return Object.keys(r.body as object).sort();
}

function post(port: number, body: unknown) {
  return api(port, ZONE, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

describe('a full synced keyval zone (real nodes)', () => {
  const cleanups = cleanupsAfterEach();

  it('refuses writes past capacity with 507, loses no acknowledged key, and the nodes stay identical', async () => {
    const dir = cleanups.tempDir();
    const [ah, as, bh, bs] = await freePorts(4);
    const all = [{ http: ah!, sync: as! }, { http: bh!, sync: bs! }];
    const extra = 'keyval_zone zone=small:64k timeout=1h sync;';
    const nodes = all.map((p, i) => new NodeProcess(writeConfig(dir, `n${i}.conf`, clusterConfig(p, all, extra))));
    for (const n of nodes) cleanups.push(() => n.stop());
    await Promise.all(nodes.map((n) => n.ready()));

    const acknowledged: string[] = [];
    let refused = 0;
    for (let i = 0; i < 3000 && refused < 20; i++) {
      const key = `key-${String(i).padStart(5, '0')}`;
      const r = await post(ah!, { [key]: 'v'.repeat(100) });
      if (r.status === 201) acknowledged.push(key);
      else {
        expect(r.status).toBe(507);
        expect(r.body.error.code).toBe('KeyvalZoneFull');
        expect(r.body.error.status).toBe(507);
        refused++;
      }
    }
    expect(refused).toBe(20);
    expect(acknowledged.length).toBeGreaterThan(100);
    acknowledged.sort();
    expect(await keys(ah!)).toEqual(acknowledged); // nothing acknowledged was evicted, nothing refused was stored
    await waitFor(async () => (await keys(bh!)).length === acknowledged.length, 15_000, () => 'B did not converge');
    expect(await keys(bh!)).toEqual(acknowledged);
  });

  it('refuses a value too large for one zone_sync_buffers buffer with 400, and stores nothing', async () => {
    const dir = cleanups.tempDir();
    const [h, s] = await freePorts(2);
    const self = { http: h!, sync: s! };
    const extra = 'keyval_zone zone=small:1m timeout=1h sync;';
    const node = new NodeProcess(writeConfig(dir, 'n.conf', clusterConfig(self, [self], extra, 'zone_sync_buffers 4 1k;')));
    cleanups.push(() => node.stop());
    await node.ready();
    const fits = await post(h!, { ok: 'v'.repeat(900) });
    expect(fits.status).toBe(201);
    const tooLarge = await post(h!, { big: 'v'.repeat(1000) });
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.body.error.code).toBe('KeyvalFormatError');
    expect(tooLarge.body.error.text).toMatch(/zone_sync_buffers/);
    expect(await keys(h!)).toEqual(['ok']);
  });

  it('refuses an expire past 2^53 - 1 ms from now, or beyond the synced zone\'s timeout, with 400, and the state file still saves', async () => {
    const dir = cleanups.tempDir();
    const [h, s] = await freePorts(2);
    const self = { http: h!, sync: s! };
    const extra = `keyval_zone zone=small:1m timeout=1h sync state=${dir}/small.json;`;
    const node = new NodeProcess(writeConfig(dir, 'n.conf', clusterConfig(self, [self], extra)));
    cleanups.push(() => node.stop());
    await node.ready();
    for (const expire of [Number.MAX_SAFE_INTEGER, 2 ** 60, 3_600_001, 0]) {
      const r = await post(h!, { k: { value: 'v', expire } });
      expect(r.status, `expire ${expire}`).toBe(400);
      expect(r.body.error.code).toBe('KeyvalFormatError');
    }
    expect((await post(h!, { k: { value: 'v', expire: 3_600_000 } })).status).toBe(201);
    node.signal('SIGQUIT');
    expect(await node.exited).toBe(0);
    expect(node.output).not.toMatch(/"level":(50|60)/); // no error saving the state file
    const again = new NodeProcess(writeConfig(dir, 'n.conf', clusterConfig(self, [self], extra)));
    cleanups.push(() => again.stop());
    await again.ready();
    expect(await keys(h!)).toEqual(['k']);
  });
});
