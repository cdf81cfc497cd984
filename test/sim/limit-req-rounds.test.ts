// How soon a limit_req share reaches the other node, against a keyval record written at the
// same instant, in simulated nodes (real zones and sync engines, simulated network and time):
// limit_req zones are collected in rounds of their own, at most 100 ms apart whatever
// zone_sync_interval, and every other zone every zone_sync_interval.
import { describe, expect, it } from 'vitest';
import { SyncEngine } from '../../dist/sync/index.js';
import { KeyvalZone, LimitReqZone, createNodeContext } from '../../dist/zones/index.js';
import { SimNetwork } from './network.js';
import { World } from './world.js';

const OPTIONS = { connectRetryIntervalMs: 100, connectTimeoutMs: 1_000, timeoutMs: 5_000, stopGraceMs: 500, snapshotStepRecords: 64 };

function startNode(world: World, net: SimNetwork, id: number, intervalMs: number) {
  const timers = world.timers(0);
  const node = createNodeContext(id);
  const limit = LimitReqZone.create({ name: 'req', size: '1m', rate: '1r/s', sync: true, node, now: timers.wallMs, syncInterval: intervalMs });
  const kv = KeyvalZone.create({ name: 'kv', size: '1m', timeout: '1h', sync: true, node, now: timers.wallMs });
  const address = `node${id}:1`;
  const engine = new SyncEngine({
    nodeId: id, nodeName: address, descriptors: [limit.handle.descriptor, kv.handle.descriptor], clockBuffer: node.clockBuffer,
    options: { ...OPTIONS, intervalMs, listen: address }, transport: net.transport(address), timers,
  });
  return { limit, kv, engine, address };
}

/** Writes a keyval record and takes a limit_req request on node 1; returns when each reached node 2, ms after. */
async function arrivals(intervalMs: number, offsetMs: number): Promise<{ limitReqMs: number; keyvalMs: number }> {
  const world = new World(1);
  const net = new SimNetwork(world, { lossRate: 0, minDelayMs: 1, maxDelayMs: 3 });
  const nodes = [startNode(world, net, 1, intervalMs), startNode(world, net, 2, intervalMs)];
  await Promise.all(nodes.map((n) => n.engine.start()));
  for (const n of nodes) n.engine.setServers(nodes.map((x) => x.address));
  while (nodes.some((n) => n.engine.readCounters().status.nodes_online < 1)) await world.runUntil(world.nowMs + 10);
  await world.runUntil(world.nowMs + offsetMs);
  const [one, two] = nodes as [typeof nodes[0], typeof nodes[0]];
  const start = world.nowMs;
  expect(one.limit.take('client').allowed).toBe(true);
  one.kv.set('client', 'seen');
  const out = { limitReqMs: Infinity, keyvalMs: Infinity };
  for (let t = 0; t <= 3 * intervalMs && (out.limitReqMs === Infinity || out.keyvalMs === Infinity); t++) {
    await world.runUntil(start + t);
    // Node 2's view holds node 1's request once its share is here: at 1r/s and no burst, refused.
    if (out.limitReqMs === Infinity && !two.limit.peek('client').allowed) out.limitReqMs = t;
    if (out.keyvalMs === Infinity && two.kv.get('client') === 'seen') out.keyvalMs = t;
  }
  let stopped = false;
  const done = Promise.all(nodes.map((n) => n.engine.stop())).then(() => { stopped = true; });
  while (!stopped) await world.runUntil(world.nowMs + 100);
  await done;
  return out;
}

describe('limit_req shares travel at most 100 ms apart, whatever zone_sync_interval', () => {
  it.each([
    { intervalMs: 1_000, offsetMs: 0 }, { intervalMs: 1_000, offsetMs: 437 }, { intervalMs: 250, offsetMs: 10 }, { intervalMs: 5_000, offsetMs: 1_234 },
  ])('zone_sync_interval $intervalMs ms, written $offsetMs ms into the run: the share within 100 ms and the network delay, keyval at the interval', async ({ intervalMs, offsetMs }) => {
    const { limitReqMs, keyvalMs } = await arrivals(intervalMs, offsetMs);
    expect(limitReqMs).toBeLessThanOrEqual(100 + 3);
    // The other zones keep zone_sync_interval: the keyval record waits for the interval's round.
    expect(keyvalMs).toBeGreaterThan(limitReqMs);
    expect(keyvalMs).toBeLessThanOrEqual(intervalMs + 3);
  });

  it('at 50 ms (not above 100 ms) every zone goes every round, as before', async () => {
    const { limitReqMs, keyvalMs } = await arrivals(50, 20);
    expect(limitReqMs).toBeLessThanOrEqual(50 + 3);
    expect(keyvalMs).toBeLessThanOrEqual(50 + 3);
  });
});
