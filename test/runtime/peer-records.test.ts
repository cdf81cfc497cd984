// Records a peer pushes are held to what the API itself would accept, on a real node: an empty
// key, or a key of a type=ip zone that is not an address or block in canonical form, is refused
// and counted, the rest of the frame stream goes on, and nothing lands that the API could not
// then read or remove.
import { describe, expect, it } from 'vitest';
import { RawPeer, helloFrame, keyvalFrame } from '../util/raw-peer.js';
import { NodeProcess, api, cleanupsAfterEach, clusterConfig, freePorts, waitFor, writeConfig } from './cluster-helpers.js';

describe('records from a peer are validated as the API validates them (real node)', () => {
  const cleanups = cleanupsAfterEach();

  it('refuses an empty key and malformed addresses, merges the valid records around them', async () => {
    const dir = cleanups.tempDir();
    const [h, s] = await freePorts(2);
    const self = { http: h!, sync: s! };
    const node = new NodeProcess(writeConfig(dir, 'n.conf', clusterConfig(self, [self])));
    cleanups.push(() => node.stop());
    await node.ready();

    const peer = await RawPeer.open(`127.0.0.1:${s}`);
    cleanups.push(() => peer.destroy());
    const zones = [{ name: 'one', moduleTag: 1, moduleVersion: 1 }, { name: 'denylist', moduleTag: 1, moduleVersion: 1 }];
    peer.send(helloFrame(0x7eed, 'raw', zones));
    peer.send(keyvalFrame('one', '', 'empty key', 0x7eed));
    peer.send(keyvalFrame('denylist', 'not-an-address', 'x', 0x7eed));
    peer.send(keyvalFrame('denylist', '10.1.2.3/8', 'not canonical', 0x7eed)); // the API stores it as 10.0.0.0/8
    peer.send(keyvalFrame('denylist', '::ffff:1.2.3.4:5', 'x', 0x7eed));
    peer.send(keyvalFrame('denylist', '10.0.0.0/8', 'ok', 0x7eed));
    peer.send(keyvalFrame('one', 'good', 'v', 0x7eed));

    await waitFor(async () => (await api(h!, '/api/9/http/keyvals/one')).body.good === 'v', 10_000, () => `the valid record never landed:\n${node.output}`);
    expect((await api(h!, '/api/9/http/keyvals/one')).body).toEqual({ good: 'v' });
    expect((await api(h!, '/api/9/http/keyvals/denylist')).body).toEqual({ '10.0.0.0/8': 'ok' });
    const metrics = (await api(h!, '/metrics')).body as string;
    expect(metrics).toMatch(/^zonesync_sync_records_invalid_total 4$/m);
    const status = await api(h!, '/api/9/stream/zone_sync');
    const raw = (status.body.peers as Array<Record<string, any>>).find((p) => p.nodeId === 0x7eed);
    expect(raw?.recordsRefused).toEqual({ future: 0, invalid: 4, noRoom: 0, skipped: 0 });
    expect(raw?.recordsIn).toBe(6);
  });

  it('refuses records stamped beyond the clock guard from a peer whose clock runs an hour ahead; the nodes whose clocks agree converge', async () => {
    const dir = cleanups.tempDir();
    const [bh, bs, ch, cs] = await freePorts(4);
    const all = [{ http: bh!, sync: bs! }, { http: ch!, sync: cs! }];
    const nodes = all.map((p, i) => new NodeProcess(writeConfig(dir, `n${i}.conf`, clusterConfig(p, all))));
    for (const n of nodes) cleanups.push(() => n.stop());
    await Promise.all(nodes.map((n) => n.ready()));

    // A node whose clock is an hour ahead pushes a record to B only.
    const hourAhead = Date.now() + 3_600_000;
    const skewed = await RawPeer.open(`127.0.0.1:${bs}`);
    cleanups.push(() => skewed.destroy());
    skewed.send(helloFrame(0x5ce4, 'skewed', [{ name: 'one', moduleTag: 1, moduleVersion: 1 }], hourAhead));
    skewed.send(keyvalFrame('one', 'k', 'from the future', 0x5ce4, hourAhead));
    skewed.send(keyvalFrame('one', 'marker', 'm', 0x5ce4)); // stamped now: shows the frames before it were read
    await waitFor(async () => (await api(bh!, '/api/9/http/keyvals/one?key=marker')).status === 200, 10_000, () => 'B never read the skewed peer');

    // C, whose clock agrees with B's, writes the key: B must take C's version.
    const posted = await api(ch!, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify({ k: 'from C' }), headers: { 'content-type': 'application/json' } });
    expect(posted.status).toBe(201);
    await waitFor(async () => (await api(bh!, '/api/9/http/keyvals/one?key=k')).body?.k === 'from C', 10_000, () => 'B kept the record from the future');

    const status = await api(bh!, '/api/9/stream/zone_sync');
    const peer = (status.body.peers as Array<Record<string, any>>).find((p) => p.nodeId === 0x5ce4);
    expect(peer, JSON.stringify(status.body.peers)).toBeDefined();
    expect(peer!.recordsRefused.future).toBe(1);
    expect(peer!.clockOffsetMs).toBeGreaterThan(3_500_000);
    expect(nodes[0]!.output).toMatch(/clock is 36\d\d s ahead/);
  });
});
