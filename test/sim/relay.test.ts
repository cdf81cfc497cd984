// Relays in simulated clusters of three nodes (real zones, real sync engines, simulated
// network and time): node 1's last write reaches node 2 but not node 0 (their link is cut),
// then node 1 is killed and stays down. Node 2 relays what it holds of node 1 when its link
// from node 1 closes, so node 0 reads the write over the connections it already has, for
// every module: a keyval deny-list entry (type=ip), a keyval delete (a tombstone), a
// limit_req share, a sticky session. And the cost bound: a link that flaps makes a walk per
// zone_sync_timeout at most (docs/PROTOCOL.md "Relays").
import { describe, expect, it } from 'vitest';
import { KeyvalZone, LimitReqZone, StickyZone } from '../../dist/zones/index.js';
import { RelaySimCluster, type SimZone, type ZoneMaker } from './relay-cluster.js';

interface Case<Z extends SimZone> {
  name: string;
  make: ZoneMaker<Z>;
  /** Node 1's writes: the first reaches every node, the second node 2 only. */
  first: (zone: Z) => void;
  second: (zone: Z) => void;
  /** What a node reads; node 0 must come to read `expected`. */
  read: (zone: Z) => string;
  expected: string;
}

const LIMIT = { burst: 100, nodelay: true };

const CASES = [
  {
    name: 'keyval type=ip: a deny-list block',
    make: (node, now) => KeyvalZone.create({ name: 'deny', size: '1m', type: 'ip', timeout: '1h', sync: true, node, now }),
    first: (z) => z.set('198.51.100.9', 'deny'),
    second: (z) => z.set('203.0.113.0/24', 'deny'),
    read: (z) => z.match('203.0.113.7') ?? 'none',
    expected: 'deny',
  } satisfies Case<KeyvalZone>,
  {
    name: 'keyval: a delete (tombstone)',
    make: (node, now) => KeyvalZone.create({ name: 'kv', size: '1m', timeout: '1h', sync: true, node, now }),
    first: (z) => z.set('session', 'open'),
    second: (z) => z.delete('session'),
    read: (z) => z.get('session') ?? 'gone',
    expected: 'gone',
  } satisfies Case<KeyvalZone>,
  {
    name: 'limit_req: a share',
    make: (node, now) => LimitReqZone.create({ name: 'req', size: '1m', rate: '1r/m', sync: true, node, now }),
    first: (z) => {
      for (let i = 0; i < 5; i++) z.take('client', LIMIT);
    },
    second: (z) => {
      for (let i = 0; i < 7; i++) z.take('client', LIMIT);
    },
    read: (z) => String(z.peek('client', LIMIT).remaining),
    expected: '89', // after the 12 taken (the first 5 alone leave 96); at one a minute, nothing drains meanwhile
  } satisfies Case<LimitReqZone>,
  {
    name: 'sticky: a session learned',
    make: (node, now) => StickyZone.create({ name: 'sticky', size: '1m', timeout: '1h', sync: true, node, now }),
    first: (z) => z.learn('s1', 'backend-a'),
    second: (z) => z.learn('s2', 'backend-b'),
    read: (z) => z.lookup('s2') ?? 'none',
    expected: 'backend-b',
  } satisfies Case<StickyZone>,
] as Case<SimZone>[];

describe('relays: a killed node\'s last write reaches the survivors that had not received it, with no reconnect', () => {
  it.each(CASES.flatMap((c) => [1, 2, 3].map((seed) => ({ ...c, seed }))))('$name (seed $seed)', async (c) => {
    const cluster = new RelaySimCluster(3, c.make, c.seed);
    await cluster.start();
    c.first(cluster.zones[1]!);
    await cluster.run(300);
    cluster.cut(0, 1);
    c.second(cluster.zones[1]!);
    await cluster.run(300);
    expect(c.read(cluster.zones[2]!)).toBe(c.expected); // node 2 has it
    await cluster.kill(1);
    // Only node 0 is read while waiting: a sticky lookup refreshes the session it finds.
    const reached = await cluster.until(() => c.read(cluster.zones[0]!) === c.expected, 5_000);
    expect(reached ? c.expected : c.read(cluster.zones[0]!)).toBe(c.expected);
    // Each survivor's first two connections only: the write came by relay, not by a snapshot.
    expect(cluster.counters(0).connects).toBe(2);
    expect(cluster.counters(2).connects).toBe(2);
    expect(cluster.counters(2).relays).toBeGreaterThan(0);
    expect(cluster.counters(2).records_relayed).toBeGreaterThan(0);
    await cluster.stop();
  });
});

describe('relays: the cost bound', () => {
  it('a link that keeps closing makes one walk at once, then one per zone_sync_timeout at most', async () => {
    const cluster = new RelaySimCluster(3, CASES[1]!.make);
    await cluster.start();
    const writer = cluster.zones[1] as unknown as KeyvalZone;
    const timeoutMs = 1_000; // the simulator's zone_sync_timeout
    const from = cluster.world.nowMs;
    const connectsBefore = cluster.counters(1).connects;
    for (let flap = 0; flap < 30; flap++) {
      cluster.cut(1, 2);
      writer.set(`k${flap}`, 'v'); // the next round crosses the cut: the link from node 1 closes on node 2
      await cluster.run(60);
      cluster.net.healAll();
      await cluster.until(() => cluster.counters(1).connects > connectsBefore + flap, 1_000);
    }
    const elapsedMs = cluster.world.nowMs - from;
    const flaps = cluster.counters(1).connects - connectsBefore;
    const relays = cluster.counters(2).relays;
    expect(flaps).toBeGreaterThanOrEqual(20);
    expect(relays).toBeGreaterThan(0);
    expect(relays).toBeLessThanOrEqual(Math.ceil(elapsedMs / timeoutMs) + 1);
    await cluster.stop();
  });
});
