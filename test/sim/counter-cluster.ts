// Simulated nodes of a counter zone: each node a real CounterZone written by several writers
// (attachments of the node's zone, as worker threads attach it) and a real SyncEngine, over
// the simulated network, in virtual time. A schedule of adds, resets, partitions, message
// loss, waits across window ends and kills (a node's memory gone, a new node in its place
// now or later, as a restarted process: counter zones have no state file), then a heal;
// each operation is told to a model of the counter's rules (counter-model.ts), and after the
// heal every writer of every node that is up must read the model's value. Rounds send only
// a node's own changes: a killed node's last count that reached some survivors reaches the
// others by relay, when the survivors' links from it close (docs/PROTOCOL.md "Relays"),
// with no connection between survivors reopened.
import { SyncEngine, type SyncOptionsInput } from '../../dist/sync/index.js';
import { CounterZone, createNodeContext } from '../../dist/zones/index.js';
import { compareStamp } from '../../dist/zones/payload-bytes.js';
import { CounterModel } from './counter-model.js';
import { heldCounts, latestResetOf, type HeldCount } from './counter-records.js';
import { SimNetwork } from './network.js';
import { World } from './world.js';

export const WRITERS = 3;
export const KEYS = ['alice', 'bob'] as const;

export type CounterStep =
  | { op: 'add'; node: number; writer: number; key: number; n: number }
  | { op: 'reset'; node: number; writer: number; key: number }
  /** Each node's side: nodes talk only to nodes of the same side. */
  | { op: 'split'; sides: number[] }
  /** The link between two nodes alone cut (each still reaches the others). */
  | { op: 'cut'; a: number; b: number }
  | { op: 'heal' }
  | { op: 'loss'; rate: number }
  | { op: 'wait'; ms: number }
  /**
   * kill -9 of the node and, with `restart`, a new process in its place (a new node id,
   * empty memory); without, the node stays down until a later kill step restarts it. A
   * node that is down takes no adds or resets.
   */
  | { op: 'kill'; node: number; restart: boolean };

export interface CounterSchedule {
  nodes: number;
  /** The zone's window, ms; 0: none. */
  windowMs: number;
  steps: CounterStep[];
  seed: number;
}

export interface CounterOutcome {
  /** Problems found; none when every node reads the model's value. */
  problems: string[];
  /** The model's values at the end, per key: a run where all are 0 proves little. */
  expected: number[];
  /** Each node's counters at the end (null for a node that is down): connects, relays. */
  counters: Array<{ connects: number; relays: number; recordsRelayed: number } | null>;
}

const SYNC: SyncOptionsInput = {
  intervalMs: 50, connectRetryIntervalMs: 100, connectTimeoutMs: 500, timeoutMs: 1_000, stopGraceMs: 200, snapshotStepRecords: 16,
  buffers: { count: 2, sizeBytes: 1024 },
};

/** One process of a node: its zone, the writers attached to it, its sync engine. */
class CounterProcess {
  readonly zone: CounterZone;
  readonly writers: CounterZone[];
  readonly engine: SyncEngine;

  constructor(world: World, net: SimNetwork, readonly id: number, readonly address: string, windowMs: number) {
    const timers = world.timers(0);
    const node = createNodeContext(id);
    this.zone = CounterZone.create({ name: 'hits', size: '1m', window: windowMs, sync: true, node, now: timers.wallMs });
    this.writers = [this.zone, ...Array.from({ length: WRITERS - 1 }, () => CounterZone.attach(this.zone.handle, { now: timers.wallMs }))];
    this.engine = new SyncEngine({
      nodeId: id, nodeName: address, descriptors: [this.zone.handle.descriptor], clockBuffer: node.clockBuffer,
      options: { ...SYNC, listen: address }, transport: net.transport(address), timers,
    });
  }

  counts(key: string, nowMs: number): HeldCount[] {
    return heldCounts(this.zone.shm, key, nowMs);
  }
}

export class CounterSimCluster {
  readonly world: World;
  readonly net: SimNetwork;
  readonly processes: CounterProcess[] = [];
  readonly models = KEYS.map(() => new CounterModel());
  private readonly sides: number[];
  /** Nodes killed and not restarted. */
  private readonly down = new Set<number>();
  private nextId = 1;
  private readonly problems: string[] = [];

  constructor(private readonly schedule: CounterSchedule) {
    this.world = new World(schedule.seed);
    this.net = new SimNetwork(this.world, { lossRate: 0, minDelayMs: 1, maxDelayMs: 1 + (schedule.seed % 20) });
    this.sides = Array.from({ length: schedule.nodes }, () => 0);
    for (let i = 0; i < schedule.nodes; i++) this.processes.push(this.newProcess(i));
  }

  private newProcess(i: number): CounterProcess {
    return new CounterProcess(this.world, this.net, this.nextId++, `node${i}:1`, this.schedule.windowMs);
  }

  private get wallMs(): number {
    return this.world.epochMs + this.world.nowMs;
  }

  /** Runs the schedule, heals, lets the cluster settle and checks every node against the model. */
  async run(settleLimitMs = 20_000): Promise<CounterOutcome> {
    await Promise.all(this.processes.map((p) => this.startProcess(p)));
    await this.until(() => this.processes.every((p) => p.engine.readCounters().status.nodes_online === this.processes.length - 1), 10_000, 'the nodes never connected');
    for (const step of this.schedule.steps) {
      await this.apply(step);
      await this.world.runUntil(this.world.nowMs + 1 + this.world.rng.int(0, 20));
    }
    this.net.healAll();
    this.net.faults.lossRate = 0;
    const settled = await this.settle(settleLimitMs);
    const expected = this.expectedNow();
    if (!settled) this.problems.push(...this.disagreements(expected));
    const counters = this.processes.map((p, i) => {
      if (this.down.has(i)) return null;
      const extra = p.engine.readCounters().extra;
      return { connects: extra.connects, relays: extra.relays, recordsRelayed: extra.records_relayed };
    });
    await this.stop();
    return { problems: this.problems, expected, counters };
  }

  private async apply(step: CounterStep): Promise<void> {
    switch (step.op) {
      case 'add': return this.add(step.node, step.writer, step.key, step.n);
      case 'reset': return this.reset(step.node, step.writer, step.key);
      case 'split':
        step.sides.forEach((side, i) => {
          this.sides[i] = side;
          this.net.setGroup(this.processes[i]!.address, side);
        });
        return;
      case 'cut':
        this.net.cutLink(this.processes[step.a]!.address, this.processes[step.b]!.address);
        return;
      case 'heal':
        this.sides.fill(0);
        this.net.healAll();
        return;
      case 'loss':
        this.net.faults.lossRate = step.rate;
        return;
      case 'wait':
        await this.world.runUntil(this.world.nowMs + step.ms);
        return;
      case 'kill': return this.kill(step.node, step.restart);
    }
  }

  private add(node: number, writer: number, key: number, n: number): void {
    if (this.down.has(node)) return;
    const p = this.processes[node]!;
    const heard = latestResetOf(p.counts(KEYS[key]!, this.wallMs)); // what the node had heard of when it added
    const state = p.writers[writer]!.add(KEYS[key]!, n);
    const windowMs = this.schedule.windowMs;
    this.models[key]!.add({ origin: p.id, n, windowStartMs: windowMs === 0 ? 0 : state.resetAtMs - windowMs, windowEndMs: state.resetAtMs, heard });
  }

  private reset(node: number, writer: number, key: number): void {
    if (this.down.has(node)) return;
    const p = this.processes[node]!;
    if (!p.writers[writer]!.reset(KEYS[key]!)) return; // nothing to reset, as this node saw it: no reset made
    const own = p.counts(KEYS[key]!, this.wallMs).find((c) => c.origin === p.id);
    if (own === undefined) throw new Error(`node ${node}: a reset left no count of its own`);
    this.models[key]!.reset(own.count.resetStamp);
  }

  /**
   * kill -9: the node is cut off first, so that nothing it had not yet sent leaves it (bytes
   * under way are dropped: the network checks the path when it delivers them); its engine is
   * stopped, its zone dropped, and a new process with a new id starts at its address.
   */
  private async kill(node: number, restart: boolean): Promise<void> {
    if (!this.down.has(node)) {
      const dead = this.processes[node]!;
      this.net.setGroup(dead.address, -1);
      this.down.add(node);
      KEYS.forEach((key, k) => {
        const held = this.up().flatMap((p) => p.counts(key, this.wallMs));
        const problem = this.models[k]!.kill(dead.id, latestResetOf(held), (origin) => greatestCopy(held.filter((c) => c.origin === origin)));
        if (problem !== null) this.problems.push(`${key}: ${problem}`);
      });
      await this.stopEngines([dead]);
    }
    if (!restart) return;
    this.down.delete(node);
    const next = this.newProcess(node);
    this.processes[node] = next;
    this.net.setGroup(next.address, this.sides[node]!);
    await this.startProcess(next);
  }

  /** The processes of the nodes that are up. */
  private up(): CounterProcess[] {
    return this.processes.filter((_, i) => !this.down.has(i));
  }

  private async startProcess(p: CounterProcess): Promise<void> {
    await p.engine.start();
    p.engine.setServers(this.processes.map((x) => x.address));
  }

  /** Runs until every writer of every node reads the model's value; false if that never came. */
  private async settle(limitMs: number): Promise<boolean> {
    const from = this.world.nowMs;
    while (this.world.nowMs - from < limitMs) {
      await this.world.runUntil(this.world.nowMs + 100);
      if (this.disagreements(this.expectedNow()).length === 0) return true;
    }
    return false;
  }

  private expectedNow(): number[] {
    const windowMs = this.schedule.windowMs;
    const any = this.up()[0];
    return KEYS.map((key, k) => {
      if (any === undefined) return 0;
      const end = any.zone.get(key).resetAtMs;
      return this.models[k]!.expected(windowMs === 0 ? 0 : end - windowMs, end);
    });
  }

  /** Each writer's value of each key that differs from `expected`. */
  disagreements(expected: number[]): string[] {
    const out: string[] = [];
    KEYS.forEach((key, k) => {
      this.processes.forEach((p, i) => !this.down.has(i) && p.writers.forEach((w, j) => {
        const value = w.get(key).value;
        if (value !== expected[k]) out.push(`node ${i} (id ${p.id}) writer ${j}: ${key} is ${value}, expected ${expected[k]}`);
      }));
    });
    return out;
  }

  private async until(done: () => boolean, limitMs: number, what: string): Promise<void> {
    for (let waited = 0; !done(); waited += 10) {
      if (waited > limitMs) throw new Error(what);
      await this.world.runUntil(this.world.nowMs + 10);
    }
  }

  private async stopEngines(processes: CounterProcess[]): Promise<void> {
    let stopped = false;
    const done = Promise.all(processes.map((p) => p.engine.stop())).then(() => {
      stopped = true;
    });
    for (let i = 0; i < 100 && !stopped; i++) await this.world.runUntil(this.world.nowMs + 100);
    await done;
  }

  private stop(): Promise<void> {
    return this.stopEngines(this.up());
  }
}

/** Of the copies of one origin's count, the one of the greatest version (the one merging keeps). */
function greatestCopy(copies: HeldCount[]): HeldCount | null {
  let best: HeldCount | null = null;
  for (const c of copies) if (best === null || compareStamp(c.version, best.version) > 0) best = c;
  return best;
}
