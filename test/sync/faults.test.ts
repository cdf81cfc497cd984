// Faults injected by a TCP proxy between nodes: partition and heal, a peer that stops
// reading, connections cut mid-stream, a delayed link, a peer refused then available.
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy, freePort } from '../util/fault-proxy.js';
import { TestNode, sameRecords, stopAll, waitFor, type Record_ } from './helpers.js';

let nodes: TestNode[] = [];
let proxies: FaultProxy[] = [];

afterEach(async () => {
  await stopAll(nodes);
  await Promise.all(proxies.map((p) => p.close()));
  nodes = [];
  proxies = [];
});

/** Starts the nodes with a proxy on every dialling direction: proxy[i][j] carries i → j. */
async function proxiedMesh(list: TestNode[]): Promise<FaultProxy[][]> {
  nodes = list;
  await Promise.all(list.map((n) => n.engine.start()));
  const grid: FaultProxy[][] = [];
  for (let i = 0; i < list.length; i++) {
    grid.push([]);
    for (let j = 0; j < list.length; j++) {
      const proxy = i === j ? null : await FaultProxy.start(list[j]!.address);
      if (proxy !== null) proxies.push(proxy);
      grid[i]!.push(proxy as FaultProxy);
    }
  }
  list.forEach((n, i) => n.engine.setServers(grid[i]!.filter((p, j) => j !== i && p !== null).map((p) => p.address)));
  return grid;
}

function online(node: TestNode): number {
  return node.engine.readCounters().status.nodes_online;
}

function version(node: TestNode, key: string): Record_ {
  return node.dump().find((r) => r.key === key)!;
}

function newer(a: Record_, b: Record_): Record_ {
  if (a.stampMs !== b.stampMs) return a.stampMs > b.stampMs ? a : b;
  if (a.logical !== b.logical) return a.logical > b.logical ? a : b;
  return a.origin > b.origin ? a : b;
}

describe('faults between nodes', () => {
  it('partition and heal: the isolated node goes on alone, then all converge', async () => {
    const options = { timeoutMs: 1_000, connectTimeoutMs: 1_000 };
    const [a, b, c] = [new TestNode(11, [{ name: 'kv' }], options), new TestNode(12, [{ name: 'kv' }], options), new TestNode(13, [{ name: 'kv' }], options)];
    const grid = await proxiedMesh([a!, b!, c!]);
    for (let k = 0; k < 30; k++) a!.write(`before${k}`, 'x');
    await waitFor('converged before the partition', () => nodes.every((n) => n.dump().length === 30 && online(n) === 2));
    // Isolate a: its links drop every byte without closing, as a real partition does.
    for (const j of [1, 2]) {
      grid[0]![j]!.partition('blackhole');
      grid[j]![0]!.partition('blackhole');
    }
    await waitFor('a sees nobody, b and c see only each other', () => online(a!) === 0 && online(b!) === 1 && online(c!) === 1);
    // Dropped for silence (zone_sync_timeout) or, when its writes back up first, for not reading.
    const closed = a!.engine.readCounters().extra;
    expect(closed.closed_idle + closed.closed_slow).toBeGreaterThanOrEqual(1);
    a!.write('conflict', 'from-a');
    for (let k = 0; k < 20; k++) a!.write(`a-alone${k}`, 'a');
    b!.write('conflict', 'from-b');
    for (let k = 0; k < 20; k++) c!.write(`c-alone${k}`, 'c');
    b!.remove('before0');
    await waitFor('b and c converge without a', () => b!.dump().length === 51 && sameRecords([b!, c!]));
    expect(a!.get('c-alone3')).toBeUndefined();
    const winner = newer(version(a!, 'conflict'), version(b!, 'conflict'));
    for (const j of [1, 2]) {
      grid[0]![j]!.heal();
      grid[j]![0]!.heal();
    }
    await waitFor('all converge after the heal', () => nodes.every((n) => n.dump().length === 71) && sameRecords(nodes), 20_000,
      () => nodes.map((n) => n.dump().length));
    for (const n of nodes) {
      expect(version(n, 'conflict')).toEqual(winner);
      expect(n.get('before0')).toBeUndefined();
      expect(n.get('a-alone19')).toBe('a');
    }
  });

  it('a peer that stops reading is disconnected; the others are unaffected; it catches up later', async () => {
    const big = { sizeBytes: 32 * 1024 * 1024, shards: 4 };
    const a = new TestNode(21, [{ name: 'kv', ...big }], { timeoutMs: 1_500, maxPeerBufferedBytes: 64 * 1024, buffers: { count: 4, sizeBytes: 4096 } });
    const b = new TestNode(22, [{ name: 'kv', ...big }]);
    const c = new TestNode(23, [{ name: 'kv', ...big }]);
    const grid = await proxiedMesh([a, b, c]);
    await waitFor('online', () => nodes.every((n) => online(n) === 2));
    grid[0]![1]!.stopReading(); // b no longer reads what a sends
    const value = 'v'.repeat(200);
    const count = 30_000;
    for (let k = 0; k < count; k++) a.write(`key-${k}`, value);
    await waitFor('c gets everything while b is stuck', () => c.dump().length === count, 30_000, () => c.dump().length);
    await waitFor('a dropped b', () => {
      const x = a.engine.readCounters().extra;
      return x.closed_slow + x.closed_idle >= 1;
    }, 20_000);
    expect(a.logs.some((l) => l.level === 'warn' && /cannot keep up|does not read|timed out/.test(l.message))).toBe(true);
    expect(a.engine.readCounters().status.bytes_out).toBeGreaterThan(count * 200);
    grid[0]![1]!.resumeReading();
    await waitFor('b catches up by snapshot', () => b.dump().length === count, 30_000, () => b.dump().length);
    expect(sameRecords(nodes)).toBe(true);
  });

  it('connections cut again and again mid-stream: everything arrives in the end', async () => {
    const [a, b] = [new TestNode(31, [{ name: 'kv', sizeBytes: 4 * 1024 * 1024 }]), new TestNode(32, [{ name: 'kv', sizeBytes: 4 * 1024 * 1024 }])];
    const grid = await proxiedMesh([a!, b!]);
    for (let burst = 0; burst < 10; burst++) {
      for (let k = 0; k < 300; k++) a!.write(`k${burst}-${k}`, `v${burst}`);
      for (let k = 0; k < 30; k++) b!.write(`b${burst}-${k}`, `w${burst}`);
      await new Promise((resolve) => setTimeout(resolve, 15));
      grid[0]![1]!.cutAll();
      grid[1]![0]!.cutAll();
    }
    await waitFor('converged after the cuts', () => a!.dump().length === 3300 && sameRecords(nodes), 20_000, () => nodes.map((n) => n.dump().length));
    expect(a!.engine.readCounters().extra.connects).toBeGreaterThan(1);
  });

  it('a delayed link still converges', async () => {
    const [a, b] = [new TestNode(41, [{ name: 'kv' }]), new TestNode(42, [{ name: 'kv' }])];
    const grid = await proxiedMesh([a!, b!]);
    grid[0]![1]!.delayMs = 40;
    grid[1]![0]!.delayMs = 40;
    for (let k = 0; k < 100; k++) (k % 2 ? a! : b!).write(`k${k}`, `v${k}`);
    await waitFor('converged', () => a!.dump().length === 100 && sameRecords(nodes));
    await waitFor('a round trip measured through the delay', () => a!.engine.peers().some((p) => p.direction === 'outbound' && p.rttMs >= 0));
  });

  it('a peer refused, then available: redialled at the retry interval, then synced', async () => {
    const port = await freePort();
    const retryMs = 150;
    const a = new TestNode(51, [{ name: 'kv' }], { connectRetryIntervalMs: retryMs });
    nodes = [a];
    const started = performance.now();
    await a.engine.start();
    a.engine.setServers([`127.0.0.1:${port}`]);
    for (let k = 0; k < 10; k++) a.write(`k${k}`, 'v');
    await waitFor('three refused dials', () => a.engine.readCounters().extra.connect_failures >= 3);
    const failures = a.engine.readCounters().extra.connect_failures;
    // Never more attempts than the interval allows (an upper bound holds on a slow machine too).
    expect(failures).toBeLessThanOrEqual(Math.floor((performance.now() - started) / retryMs) + 2);
    expect(a.engine.peers()[0]!.state === 'idle' || a.engine.peers()[0]!.state === 'connecting').toBe(true);
    const b = new TestNode(52, [{ name: 'kv' }], { listen: `127.0.0.1:${port}` });
    nodes.push(b);
    await b.engine.start();
    await waitFor('b got a\'s records', () => b.dump().length === 10);
    expect(a.engine.peers()[0]).toMatchObject({ state: 'open', nodeId: 52 });
  });
});
