// N simulated nodes: real zones, real engines, simulated network and clocks (skewed up to
// ±500 ms). A script of random writes, deletes, partitions, cuts and restarts, then a heal,
// then a check that every node holds the same records, each the greatest version written.
import { ShmZone, ZoneCursor } from 'native-free-shm';
import { SharedHybridClock } from '../../dist/shared-clock.js';
import { SyncEngine, type SyncOptionsInput } from '../../dist/sync/index.js';
import { MODULE_KEYVAL, type ZoneDescriptor } from '../../dist/zones/descriptor.js';
import { SimNetwork } from './network.js';
import { World, type Rng } from './world.js';
import { zoneSet } from '../../dist-bench/lib/shm-strings.js';

export interface Version {
  value: string;
  tombstone: boolean;
  origin: number;
  stampMs: number;
  logical: number;
}

const OPTIONS: SyncOptionsInput = {
  intervalMs: 50, connectRetryIntervalMs: 200, connectTimeoutMs: 1_000, timeoutMs: 1_000, stopGraceMs: 500,
  buffers: { count: 2, sizeBytes: 1024 }, snapshotStepRecords: 16,
};

class SimNode {
  readonly zone: ShmZone;
  readonly descriptors: ZoneDescriptor[];
  readonly clockBuffer = SharedHybridClock.createBuffer();
  readonly clock: SharedHybridClock;
  engine: SyncEngine;
  restarting = false;

  constructor(readonly cluster: SimCluster, readonly id: number, readonly address: string, readonly skewMs: number) {
    const timers = cluster.world.timers(skewMs);
    this.zone = ShmZone.create({ sizeBytes: 256 * 1024, shards: 2 }, { now: timers.wallMs });
    this.descriptors = [{ name: 'kv', module: 'keyval', moduleTag: MODULE_KEYVAL, moduleVersion: 1, handle: this.zone.handle, sync: true, originKeySuffix: false, maxSyncedBytes: 0, maxLifetimeMs: 0 }];
    this.clock = new SharedHybridClock(this.clockBuffer, 1, timers.wallMs);
    this.engine = this.newEngine();
  }

  newEngine(): SyncEngine {
    return new SyncEngine({
      nodeId: this.id, nodeName: this.address, descriptors: this.descriptors, clockBuffer: this.clockBuffer,
      options: { ...OPTIONS, listen: this.address }, transport: this.cluster.net.transport(this.address),
      timers: this.cluster.world.timers(this.skewMs),
    });
  }

  async start(): Promise<void> {
    await this.engine.start();
    this.engine.setServers(this.cluster.nodes.map((n) => n.address)); // itself included
  }

  write(key: string, value: string, tombstone: boolean): Version {
    const stamp = this.clock.now();
    zoneSet(this.zone, key, tombstone ? '' : value, 0, tombstone, { stampMs: stamp.ms, logical: stamp.logical, origin: this.id });
    return { value: tombstone ? '' : value, tombstone, origin: this.id, stampMs: stamp.ms, logical: stamp.logical };
  }

  dump(): Map<string, Version> {
    const out = new Map<string, Version>();
    const cursor = new ZoneCursor(this.zone);
    while (!cursor.done) {
      cursor.step(1000, (z, _s, rec) => {
        out.set(z.keyText(rec), { value: z.valueText(rec), tombstone: z.isTombstone(rec), origin: z.origin(rec), stampMs: z.stampMs(rec), logical: z.logical(rec) });
      });
    }
    return out;
  }

  restart(): void {
    if (this.restarting) return;
    this.restarting = true;
    void this.engine.stop().then(async () => {
      this.engine = this.newEngine();
      await this.start();
      this.restarting = false;
    });
  }
}

export function newer(a: Version, b: Version): boolean {
  if (a.stampMs !== b.stampMs) return a.stampMs > b.stampMs;
  if (a.logical !== b.logical) return a.logical > b.logical;
  return a.origin > b.origin;
}

export interface ScenarioResult {
  converged: boolean;
  writes: number;
  problems: string[];
  virtualMs: number;
}

export class SimCluster {
  readonly world: World;
  readonly net: SimNetwork;
  readonly nodes: SimNode[] = [];
  readonly expected = new Map<string, Version>();
  writes = 0;

  constructor(readonly seed: number) {
    this.world = new World(seed);
    const rng = this.world.rng;
    this.net = new SimNetwork(this.world, { lossRate: rng.chance(0.5) ? 0.01 : 0, minDelayMs: 1, maxDelayMs: rng.int(2, 40) });
    const n = rng.int(2, 5);
    for (let i = 0; i < n; i++) this.nodes.push(new SimNode(this, 1 + i * 7, `node${i}:1`, rng.int(-500, 500)));
  }

  get rng(): Rng {
    return this.world.rng;
  }

  async run(chaosMs = 3_000, settleLimitMs = 30_000): Promise<ScenarioResult> {
    for (const node of this.nodes) void node.start();
    const world = this.world;
    const rng = this.rng;
    const keys = rng.int(5, 40);
    // Chaos: one random action every few virtual milliseconds.
    while (world.nowMs < chaosMs) {
      await world.runUntil(world.nowMs + rng.int(1, 30));
      const roll = rng.next();
      const node = rng.pick(this.nodes);
      const key = `k${rng.int(0, keys - 1)}`;
      if (roll < 0.6) {
        this.record(key, node.write(key, `v${this.writes}`, false));
      } else if (roll < 0.75) {
        this.record(key, node.write(key, '', true));
      } else if (roll < 0.8) {
        for (const x of this.nodes) this.net.setGroup(x.address, rng.int(0, 1));
      } else if (roll < 0.85) {
        this.net.healAll();
      } else if (roll < 0.87) {
        node.restart();
      }
    }
    // Heal, stop losing messages, and let the cluster settle.
    this.net.healAll();
    this.net.faults.lossRate = 0;
    const problems: string[] = [];
    for (let t = 0; t < settleLimitMs; t += 250) {
      await world.runUntil(world.nowMs + 250);
      if (this.nodes.some((x) => x.restarting)) continue;
      problems.length = 0;
      this.check(problems);
      if (problems.length === 0) return { converged: true, writes: this.writes, problems, virtualMs: world.nowMs };
    }
    return { converged: false, writes: this.writes, problems, virtualMs: world.nowMs };
  }

  async stop(): Promise<void> {
    const done = Promise.all(this.nodes.map((n) => n.engine.stop()));
    let settled = false;
    void done.then(() => {
      settled = true;
    });
    for (let i = 0; i < 100 && !settled; i++) await this.world.runUntil(this.world.nowMs + 100);
    await done;
  }

  private record(key: string, version: Version): void {
    this.writes++;
    const known = this.expected.get(key);
    if (known === undefined || newer(version, known)) this.expected.set(key, version);
  }

  /** Every node holds exactly the greatest version of every key ever written. */
  check(problems: string[]): void {
    for (const node of this.nodes) {
      const dump = node.dump();
      if (dump.size !== this.expected.size) problems.push(`${node.address}: ${dump.size} keys, expected ${this.expected.size}`);
      for (const [key, want] of this.expected) {
        const got = dump.get(key);
        if (got === undefined || got.stampMs !== want.stampMs || got.logical !== want.logical || got.origin !== want.origin
          || got.value !== want.value || got.tombstone !== want.tombstone) {
          problems.push(`${node.address}: ${key} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
        }
      }
    }
  }
}
