// Simulated nodes for the cluster-wide rate limit: each node a real LimitReqZone and a real
// SyncEngine (its rounds collect what the zone queued, frame it, and the peers' engines
// merge it), over the simulated network, in virtual time. Requests are paced on the virtual
// clock and taken on the zone of the node they go to (some given back at once, the key reset
// at set moments, when a scenario says so); a reference nginx bucket takes the same
// requests, as one nginx would that saw them all.
import { SyncEngine, type SyncOptionsInput } from '../../dist/sync/index.js';
import { LimitReqZone, createNodeContext, type TakeOptions } from '../../dist/zones/index.js';
import { NginxLimitReqModel } from '../zones/nginx-limit-req-model.js';
import { SimNetwork } from './network.js';
import { World } from './world.js';

export interface RateScenario {
  /** Requests per second of the zone. */
  rate: number;
  nodes: number;
  /** Which node the n-th request goes to. */
  targetOf: (n: number) => number;
  /** Requests per second offered, all nodes together. */
  offeredPerSecond: number;
  limit: TakeOptions;
  syncIntervalMs: number;
  windowMs: number;
  /** Network delay, ms (default 1 to 3). */
  maxDelayMs?: number;
  /** Each node's clock offset from true time, ms (default 0). */
  skewMs?: (node: number) => number;
  /** Nodes that cannot reach each other from `fromMs` to `toMs` of the window: two groups. */
  partition?: { fromMs: number; toMs: number; groupOf: (node: number) => number };
  /** Whether the n-th request, once admitted, is given back at once (refund) on its node. */
  refunded?: (n: number) => boolean;
  /** Resets of the key: at `atMs` of the window, on `node`. */
  resets?: Array<{ atMs: number; node: number }>;
  seed?: number;
}

export interface RateOutcome {
  offered: number;
  admitted: number;
  /** What one nginx bucket admits of the same requests. */
  reference: number;
  /** Admitted per node. */
  byNode: number[];
  /** Admitted in each second of the window. */
  perSecond: number[];
  /** The longest delay an admitted request was given, ms. */
  maxDelayMs: number;
  /** The cost of the requests admitted and not given back. */
  netCost: number;
  /** When each admitted request came, ms into the window. */
  admittedAt: number[];
}

const SYNC: SyncOptionsInput = {
  connectRetryIntervalMs: 100, connectTimeoutMs: 1_000, timeoutMs: 5_000, stopGraceMs: 500, snapshotStepRecords: 64,
};

class RateNode {
  readonly zone: LimitReqZone;
  readonly engine: SyncEngine;

  constructor(world: World, net: SimNetwork, readonly id: number, readonly address: string, scenario: RateScenario) {
    const timers = world.timers(scenario.skewMs?.(id - 1) ?? 0);
    const node = createNodeContext(id);
    this.zone = LimitReqZone.create({
      name: 'req', size: '1m', rate: `${scenario.rate}r/s`, sync: true, node, now: timers.wallMs, syncInterval: scenario.syncIntervalMs,
    });
    this.engine = new SyncEngine({
      nodeId: id, nodeName: address, descriptors: [this.zone.handle.descriptor], clockBuffer: node.clockBuffer,
      options: { ...SYNC, intervalMs: scenario.syncIntervalMs, listen: address }, transport: net.transport(address), timers,
    });
  }

  get online(): number {
    return this.engine.readCounters().status.nodes_online;
  }
}

/** Starts the nodes, waits (in virtual time) until every one is connected to every other. */
async function startCluster(world: World, net: SimNetwork, scenario: RateScenario): Promise<RateNode[]> {
  const nodes = Array.from({ length: scenario.nodes }, (_, i) => new RateNode(world, net, i + 1, `node${i}:1`, scenario));
  await Promise.all(nodes.map((n) => n.engine.start()));
  for (const n of nodes) n.engine.setServers(nodes.map((x) => x.address));
  for (let waited = 0; nodes.some((n) => n.online < scenario.nodes - 1); waited += 10) {
    if (waited > 10_000) throw new Error('simulated nodes did not connect');
    await world.runUntil(world.nowMs + 10);
  }
  return nodes;
}

async function stopCluster(world: World, nodes: RateNode[]): Promise<void> {
  let stopped = false;
  const done = Promise.all(nodes.map((n) => n.engine.stop())).then(() => { stopped = true; });
  for (let i = 0; i < 100 && !stopped; i++) await world.runUntil(world.nowMs + 100);
  await done;
}

/** Runs one window of traffic; deterministic for a scenario (and seed). */
export async function runRateScenario(scenario: RateScenario): Promise<RateOutcome> {
  const world = new World(scenario.seed ?? 1);
  const net = new SimNetwork(world, { lossRate: 0, minDelayMs: 1, maxDelayMs: scenario.maxDelayMs ?? 3 });
  const nodes = await startCluster(world, net, scenario);
  const model = new NginxLimitReqModel(nodes[0]!.zone.rateMilliPerSecond);
  const limit = scenario.limit;
  const delayMilli = limit.nodelay ? Infinity : (limit.delay ?? 0) * 1000;
  const start = Math.ceil(world.nowMs);
  const total = Math.round((scenario.offeredPerSecond * scenario.windowMs) / 1000);
  const outcome: RateOutcome = {
    offered: total, admitted: 0, reference: 0, byNode: nodes.map(() => 0),
    perSecond: Array.from({ length: Math.ceil(scenario.windowMs / 1000) }, () => 0), maxDelayMs: 0, netCost: 0, admittedAt: [],
  };
  const resets = [...(scenario.resets ?? [])].sort((a, b) => a.atMs - b.atMs);
  const cost = limit.cost ?? 1;
  const partition = scenario.partition;
  let split = false;
  for (let n = 0; n < total; n++) {
    const offset = Math.floor((n * 1000) / scenario.offeredPerSecond);
    await world.runUntil(start + offset);
    if (partition !== undefined && split !== (offset >= partition.fromMs && offset < partition.toMs)) {
      split = !split;
      if (split) nodes.forEach((x, i) => net.setGroup(x.address, partition.groupOf(i)));
      else net.healAll();
    }
    while (resets.length > 0 && resets[0]!.atMs <= offset) nodes[resets.shift()!.node]!.zone.reset('client');
    const target = scenario.targetOf(n);
    const zone = nodes[target]!.zone;
    const r = zone.take('client', limit);
    if (r.allowed) {
      outcome.admitted++;
      outcome.byNode[target]!++;
      outcome.perSecond[Math.floor(offset / 1000)]!++;
      outcome.maxDelayMs = Math.max(outcome.maxDelayMs, r.delayMs);
      outcome.admittedAt.push(offset);
      outcome.netCost += cost;
      if (scenario.refunded?.(n)) {
        zone.refund('client', cost, limit);
        outcome.netCost -= cost;
      }
    }
    if (!model.request('client', start + offset, { burstMilli: (limit.burst ?? 0) * 1000, delayMilli }).rejected) outcome.reference++;
  }
  await stopCluster(world, nodes);
  return outcome;
}
