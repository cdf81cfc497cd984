// Simulated nodes of any one synced zone (a keyval, limit_req or sticky zone made by the
// test), for fixed schedules of link cuts and kills: each node a real zone and a real
// SyncEngine over the simulated network, in virtual time. A kill (kill -9) cuts the node off
// first, so that nothing it has not yet sent leaves it, then stops its engine; the node stays
// down. The survivors' connections are counted (connects), so that a test can tell a record
// that came by relay from one a reconnect's snapshot carried.
import { SyncEngine, type SyncOptionsInput, type ZoneSyncCounters } from '../../dist/sync/index.js';
import { createNodeContext, type NodeContext, type ZoneDescriptor } from '../../dist/zones/index.js';
import { SimNetwork } from './network.js';
import { World } from './world.js';

const SYNC: SyncOptionsInput = {
  intervalMs: 50, connectRetryIntervalMs: 100, connectTimeoutMs: 500, timeoutMs: 1_000, stopGraceMs: 200, snapshotStepRecords: 16,
  buffers: { count: 2, sizeBytes: 1024 },
};

export interface SimZone {
  readonly handle: { readonly descriptor: ZoneDescriptor };
}

/** Makes node `id`'s zone on its node context, with the node's wall clock. */
export type ZoneMaker<Z extends SimZone> = (node: NodeContext, now: () => number) => Z;

export class RelaySimCluster<Z extends SimZone> {
  readonly world: World;
  readonly net: SimNetwork;
  readonly zones: Z[] = [];
  private readonly engines: SyncEngine[] = [];
  private readonly addresses: string[] = [];
  private readonly down = new Set<number>();

  constructor(nodes: number, makeZone: ZoneMaker<Z>, seed = 1) {
    this.world = new World(seed);
    this.net = new SimNetwork(this.world, { lossRate: 0, minDelayMs: 1, maxDelayMs: 1 + (seed % 20) });
    for (let i = 0; i < nodes; i++) {
      const timers = this.world.timers(0);
      const node = createNodeContext(i + 1);
      const zone = makeZone(node, timers.wallMs);
      const address = `node${i}:1`;
      this.zones.push(zone);
      this.addresses.push(address);
      this.engines.push(new SyncEngine({
        nodeId: node.nodeId, nodeName: address, descriptors: [zone.handle.descriptor], clockBuffer: node.clockBuffer,
        options: { ...SYNC, listen: address }, transport: this.net.transport(address), timers,
      }));
    }
  }

  /** Starts every node and runs until each is connected to every other. */
  async start(): Promise<void> {
    await Promise.all(this.engines.map((e) => e.start()));
    for (const e of this.engines) e.setServers(this.addresses);
    const all = this.engines.length - 1;
    if (!await this.until(() => this.engines.every((e) => e.readCounters().status.nodes_online === all), 10_000)) throw new Error('the nodes never connected');
  }

  /** Cuts the link between nodes `a` and `b` alone. */
  cut(a: number, b: number): void {
    this.net.cutLink(this.addresses[a]!, this.addresses[b]!);
  }

  /** kill -9 of node `i`: cut off, then its engine stopped; it stays down. */
  async kill(i: number): Promise<void> {
    this.net.setGroup(this.addresses[i]!, -1);
    this.down.add(i);
    await this.settled(this.engines[i]!.stop());
  }

  counters(i: number): ZoneSyncCounters['extra'] {
    return this.engines[i]!.readCounters().extra;
  }

  /** Runs virtual time for `ms`. */
  run(ms: number): Promise<void> {
    return this.world.runUntil(this.world.nowMs + ms);
  }

  /** Runs until `done`, checked every 10 ms, or `limitMs`: whether it came. */
  async until(done: () => boolean, limitMs: number): Promise<boolean> {
    for (let waited = 0; !done(); waited += 10) {
      if (waited > limitMs) return false;
      await this.run(10);
    }
    return true;
  }

  /** Stops every node that is up. */
  stop(): Promise<void> {
    return this.settled(Promise.all(this.engines.filter((_, i) => !this.down.has(i)).map((e) => e.stop())));
  }

  /** Runs virtual time until `work` is done (engines stop on virtual timers). */
  private async settled(work: Promise<unknown>): Promise<void> {
    let done = false;
    void work.then(() => {
      done = true;
    });
    for (let i = 0; i < 100 && !done; i++) await this.run(100);
    await work;
  }
}
