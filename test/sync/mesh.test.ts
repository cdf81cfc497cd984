// Nodes over real sockets on 127.0.0.1 converge: full mesh, snapshots, tombstones, expiry.
import { afterEach, describe, expect, it } from 'vitest';
import { MODULE_LIMIT_REQ } from '../../dist/zones/descriptor.js';
import { SHARE_BYTES } from '../../dist/zones/limit-req/share-codec.js';
import { TestNode, sameRecords, startMesh, stopAll, waitFor } from './helpers.js';
import { RecordVersion } from 'native-free-shm';

const KV = [{ name: 'kv' }];
let nodes: TestNode[] = [];

afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

function makeNodes(n: number, specs = KV, options = {}): TestNode[] {
  nodes = Array.from({ length: n }, (_, i) => new TestNode(101 + i, specs, options));
  return nodes;
}

describe('a full mesh over TCP converges', () => {
  for (const n of [2, 3, 5]) {
    it(`${n} nodes, writes on every node`, async () => {
      makeNodes(n);
      await startMesh(nodes);
      await waitFor('every node online with the others', () => nodes.every((x) => x.engine.readCounters().status.nodes_online === n - 1));
      const perNode = 40;
      nodes.forEach((node, i) => {
        for (let k = 0; k < perNode; k++) node.write(`n${i}-k${k}`, `v${i}-${k}`);
        node.write('shared', `from-${i}`); // one key written everywhere: one winner
      });
      await waitFor('identical zones', () => nodes.every((x) => x.dump().length === n * perNode + 1) && sameRecords(nodes),
        15_000, () => nodes.map((x) => x.dump().length));
      const dump = nodes[0]!.dump();
      expect(dump.filter((r) => r.key.startsWith('n')).length).toBe(n * perNode);
      for (const node of nodes) expect(node.get(`n${n - 1}-k7`)).toBe(`v${n - 1}-7`);
      // The shared key holds the version with the greatest (stamp, origin) of all writes.
      const shared = dump.find((r) => r.key === 'shared')!;
      expect(shared.value).toBe(`from-${nodes.findIndex((x) => x.nodeId === shared.origin)}`);
      for (const node of nodes) {
        const c = node.engine.readCounters();
        expect(c.extra.self_detected).toBe(1); // each node listed itself and skipped it
        expect(c.status.nodes_online).toBe(n - 1);
        expect(c.status.bytes_out).toBeGreaterThan(0);
        expect(c.status.msgs_in).toBeGreaterThan(0);
        expect(c.zones.kv).toEqual({ records_total: n * perNode + 1, records_pending: 0 });
        expect(c.extra.malformed).toBe(0);
      }
    });
  }

  it('updates of one key converge to the last write', async () => {
    makeNodes(3);
    await startMesh(nodes);
    await waitFor('online', () => nodes.every((x) => x.engine.readCounters().status.nodes_online === 2));
    for (let round = 0; round < 5; round++) {
      nodes[round % 3]!.write('counter', `v${round}`);
      await waitFor(`round ${round} seen everywhere`, () => nodes.every((x) => x.get('counter') === `v${round}`));
    }
    expect(sameRecords(nodes)).toBe(true);
  });

  it('a node started late receives everything by snapshot, including records learnt from others', async () => {
    const [a, b, c] = makeNodes(3);
    await Promise.all([a!.engine.start(), b!.engine.start()]);
    a!.engine.setServers([a!.address, b!.address]);
    b!.engine.setServers([a!.address, b!.address]);
    for (let k = 0; k < 300; k++) a!.write(`a${k}`, `x${k}`);
    for (let k = 0; k < 200; k++) b!.write(`b${k}`, `y${k}`);
    await waitFor('a and b agree', () => a!.dump().length === 500 && sameRecords([a!, b!]));
    await c!.engine.start();
    // Only c dials, and only a: c must learn b's records through a's snapshot.
    c!.engine.setServers([a!.address]);
    a!.engine.setServers([a!.address, b!.address, c!.address]);
    await waitFor('c has all 500 records', () => c!.dump().length === 500 && sameRecords([a!, c!]), 15_000, () => c!.dump().length);
    expect(c!.get('b199')).toBe('y199');
    await waitFor('a counted its snapshot to c', () => a!.engine.peers().some((p) => p.address === c!.address && p.snapshot.state === 'done'));
    const status = a!.engine.peers().find((p) => p.address === c!.address)!;
    expect(status.snapshot.records).toBe(500);
    expect(status.nodeId).toBe(c!.nodeId);
    const inbound = c!.engine.peers().find((p) => p.direction === 'inbound' && p.nodeId === a!.nodeId)!;
    expect(inbound.snapshot.state).toBe('done');
    expect(inbound.snapshot.records).toBe(500);
  });

  it('a node restarted with empty zones gets everything back', async () => {
    const [a, b] = makeNodes(2);
    await startMesh(nodes);
    for (let k = 0; k < 100; k++) a!.write(`a${k}`, `x${k}`);
    for (let k = 0; k < 100; k++) b!.write(`b${k}`, `y${k}`);
    await waitFor('converged', () => a!.dump().length === 200 && sameRecords(nodes));
    const address = b!.address;
    await b!.engine.stop();
    b!.wipe();
    expect(b!.dump()).toEqual([]);
    b!.engine = b!.newEngine({ listen: address });
    await b!.engine.start();
    b!.engine.setServers([a!.address, address]);
    await waitFor('b has everything again', () => b!.dump().length === 200 && sameRecords(nodes), 15_000, () => b!.dump().length);
    // b's own records came back from a, with b as their origin.
    expect(b!.dump().find((r) => r.key === 'b5')!.origin).toBe(b!.nodeId);
  });

  it('tombstones propagate and win over older versions', async () => {
    const [a, b, c] = makeNodes(3);
    await startMesh(nodes);
    for (let k = 0; k < 20; k++) a!.write(`k${k}`, `v${k}`);
    await waitFor('written everywhere', () => nodes.every((x) => x.dump().length === 20));
    b!.remove('k3');
    c!.remove('k4');
    await waitFor('deleted everywhere', () => nodes.every((x) => x.get('k3') === undefined && x.get('k4') === undefined));
    expect(sameRecords(nodes)).toBe(true);
    const k3 = a!.dump().find((r) => r.key === 'k3')!;
    expect(k3.tombstone).toBe(true);
    expect(k3.origin).toBe(b!.nodeId);
    expect(a!.get('k5')).toBe('v5');
  });

  it('expired records are not sent, and expiry holds on every node', async () => {
    const [a, b] = makeNodes(2);
    await startMesh(nodes);
    await waitFor('online', () => nodes.every((x) => x.engine.readCounters().status.nodes_online === 1));
    const now = Date.now();
    a!.write('gone', 'x', { expireAtMs: now - 1 });
    a!.write('soon', 'y', { expireAtMs: now + 1_500 });
    a!.write('stays', 'z');
    await waitFor('b got the live ones', () => b!.get('stays') === 'z' && b!.get('soon') === 'y');
    expect(a!.engine.readCounters().extra.records_out).toBe(2); // 'gone' left the queue unsent
    expect(b!.engine.readCounters().extra.records_in).toBe(2);
    expect(b!.dump().find((r) => r.key === 'soon')!.expireAtMs).toBe(now + 1_500);
    await waitFor('soon expired on b', () => b!.get('soon') === undefined, 10_000);
    expect(b!.get('stays')).toBe('z');
  });

  it('limit_req shares: one record per (key, origin), the origin suffix stays off the wire', async () => {
    const specs = [{ name: 'lr', moduleTag: MODULE_LIMIT_REQ, originKeySuffix: true }];
    const [a, b] = makeNodes(2, specs);
    await startMesh(nodes);
    // A share: wire key "ip1", origin suffix in memory, payload level u32, last u64, then the counters and the reset.
    const share = (node: TestNode, excess: number) => {
      const z = node.zone('lr');
      const payload = new Uint8Array(SHARE_BYTES);
      const view = new DataView(payload.buffer);
      view.setUint32(0, excess);
      view.setUint32(8, 12345);
      z.setKey('ip1');
      z.appendKeyU32(node.nodeId);
      const shard = z.shardOfKey();
      const stamp = node.clock.now();
      const version = Object.assign(new RecordVersion(), { stampMs: stamp.ms, logical: stamp.logical, origin: node.nodeId });
      z.lock(shard);
      const rec = z.writeLocked(shard, z.findLocked(shard, Date.now()), SHARE_BYTES, version, true);
      z.memory.u8.set(payload, z.valueOffset(rec));
      z.unlock(shard);
    };
    share(a!, 1000);
    share(b!, 2000);
    await waitFor('both shares on both nodes', () => nodes.every((x) => x.dump('lr').length === 2));
    expect(sameRecords(nodes, 'lr')).toBe(true);
    const keys = a!.dump('lr').map((r) => Buffer.from(r.key, 'latin1').toString('hex'));
    expect(keys.sort()).toEqual([
      Buffer.concat([Buffer.from('ip1'), Buffer.from([0, 0, 0, a!.nodeId])]).toString('hex'),
      Buffer.concat([Buffer.from('ip1'), Buffer.from([0, 0, 0, b!.nodeId])]).toString('hex'),
    ].sort());
  });

  it('frames of a zone the receiver lacks are skipped and counted; the others sync', async () => {
    nodes = [new TestNode(1, [{ name: 'kv' }, { name: 'extra' }]), new TestNode(2, [{ name: 'kv' }])];
    const [a, b] = nodes;
    await startMesh(nodes);
    a!.write('e1', 'x', { zone: 'extra' });
    a!.write('k1', 'y');
    await waitFor('kv synced', () => b!.get('k1') === 'y');
    await waitFor('unknown frame counted', () => b!.engine.readCounters().extra.frames_unknown >= 1);
    expect(b!.engine.readCounters().extra.malformed).toBe(0);
  });

  it('a record larger than one zone_sync buffer is logged, counted and skipped', async () => {
    const [a, b] = makeNodes(2, KV, { buffers: { count: 2, sizeBytes: 512 } });
    await startMesh(nodes);
    a!.write('big', 'x'.repeat(600));
    a!.write('small', 'ok');
    await waitFor('small synced', () => b!.get('small') === 'ok');
    expect(b!.get('big')).toBeUndefined();
    expect(a!.engine.readCounters().extra.records_too_large).toBeGreaterThanOrEqual(1);
    const line = a!.logs.find((l) => l.level === 'error' && l.fields.zone === 'kv')!;
    expect(line.fields.keyLength).toBe(3);
    expect(line.message).toContain('3-byte key');
  });

  it('more changes than the buffers hold in one round are all delivered', async () => {
    const [a, b] = makeNodes(2, [{ name: 'kv', sizeBytes: 4 * 1024 * 1024 }], { buffers: { count: 2, sizeBytes: 1024 } });
    await startMesh(nodes);
    await waitFor('online', () => a!.engine.readCounters().status.nodes_online === 1);
    for (let k = 0; k < 5000; k++) a!.write(`key-${k}`, `value-${k}`);
    await waitFor('all 5000 on b', () => b!.dump().length === 5000, 20_000, () => b!.dump().length);
    expect(a!.engine.readCounters().zones.kv!.records_pending).toBe(0);
    // Rounds go out from reused round buffers: none was rewritten while a socket still held it.
    expect(sameRecords([a!, b!])).toBe(true);
  });

  it('graceful stop flushes what is still queued', async () => {
    const [a, b] = makeNodes(2, KV, { intervalMs: 60_000 }); // rounds would never come in time
    await startMesh(nodes);
    await waitFor('online', () => a!.engine.readCounters().status.nodes_online === 1);
    await waitFor('snapshots done', () => a!.engine.peers().some((p) => p.direction === 'outbound' && p.snapshot.state === 'done'));
    for (let k = 0; k < 50; k++) a!.write(`late${k}`, 'v');
    expect(a!.engine.readCounters().zones.kv!.records_pending).toBe(50);
    await a!.engine.stop();
    await waitFor('b got the flushed records', () => b!.dump().length === 50);
    expect(a!.engine.readCounters().extra.state).toBe(3);
  });

  it('peer status reports node ids, states and a measured round trip', async () => {
    const [a, b] = makeNodes(2);
    await startMesh(nodes);
    await waitFor('rtt measured', () => a!.engine.peers().some((p) => p.direction === 'outbound' && p.state === 'open' && p.rttMs >= 0));
    const peers = a!.engine.peers();
    const self = peers.find((p) => p.address === a!.address)!;
    expect(self.state).toBe('self');
    const out = peers.find((p) => p.address === b!.address)!;
    expect(out).toMatchObject({ direction: 'outbound', state: 'open', nodeId: b!.nodeId, nodeName: `node-${b!.nodeId}` });
    expect(out.connectedSinceMs).toBeGreaterThan(0);
    expect(out.lastMessageAgeMs).toBeGreaterThanOrEqual(0);
    const inbound = peers.filter((p) => p.direction === 'inbound' && p.state === 'open');
    expect(inbound.map((p) => p.nodeId)).toEqual([b!.nodeId]);
  });
});
