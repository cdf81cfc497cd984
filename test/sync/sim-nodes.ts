// Engines on the simulator's network and virtual clock (test/sim), for tests of what the
// engine does over time: dials, retries, limits. Deterministic: no real socket, no real time.
import { SharedHybridClock } from '../../dist/shared-clock.js';
import { SyncEngine, type SyncOptionsInput } from '../../dist/sync/index.js';
import { SimNetwork } from '../sim/network.js';
import { World } from '../sim/world.js';
import { makeZones, memoryLogger, type LogLine } from './helpers.js';

export const SIM_OPTIONS: SyncOptionsInput = {
  intervalMs: 50, connectRetryIntervalMs: 200, connectTimeoutMs: 1_000, timeoutMs: 1_000, stopGraceMs: 500,
};

export interface SimNode {
  engine: SyncEngine;
  logs: LogLine[];
}

export class SimNet {
  readonly world = new World(1);
  /** No loss, 1 ms per hop. */
  readonly net = new SimNetwork(this.world, { lossRate: 0, minDelayMs: 1, maxDelayMs: 1 });

  /** An engine listening on `address` (its name on the network), started. */
  async node(nodeId: number, address: string, options: SyncOptionsInput = {}): Promise<SimNode> {
    const logs: LogLine[] = [];
    const engine = new SyncEngine({
      nodeId, nodeName: address, descriptors: makeZones([{ name: 'kv' }]).descriptors, clockBuffer: SharedHybridClock.createBuffer(),
      options: { ...SIM_OPTIONS, listen: address, ...options }, transport: this.net.transport(address), timers: this.world.timers(0),
      logger: memoryLogger(logs),
    });
    await engine.start();
    return { engine, logs };
  }

  /** Advances virtual time by `ms`, running everything due. */
  run(ms: number): Promise<void> {
    return this.world.runUntil(this.world.nowMs + ms);
  }

  /** Stops the engines, running virtual time until they have. */
  async stop(nodes: readonly SimNode[]): Promise<void> {
    let stopped = false;
    const done = Promise.all(nodes.map((n) => n.engine.stop())).then(() => {
      stopped = true;
    });
    for (let i = 0; i < 100 && !stopped; i++) await this.run(50);
    await done;
  }
}
