// kill -9 under write load, on real node processes: a single node, and a two-node cluster
// whose nodes are all killed at once, again and again. Writes go through the HTTP API
// (POST, PATCH with values, PATCH with null to delete) on keys each written by one client
// lane, in order, so that each key's history is known. After every restart, each key must
// hold the result of its last write acknowledged more than 1 s before the kill, or of a
// later one: nothing older (no lost write, no deleted key back), nothing never written.
// Zone "one" syncs (deletes are tombstones); zone "plain" does not (deletes remove).
import { afterEach, describe, expect, it } from 'vitest';
import { NodeProcess, api, freePorts, tempDir, waitFor, writeConfig, type NodePorts } from './cluster-helpers.js';

/** Acknowledged this long before the kill, a write must survive it (the default fsync policy's promise). */
const DURABLE_AFTER_MS = 1_000;
const ZONES = ['one', 'plain'] as const;
type ZoneName = typeof ZONES[number];
const KEYS_PER_ZONE = 40;
const LANES = 6;

function nodeConfig(dir: string, name: string, self: NodePorts, all: NodePorts[]): string {
  const stream = all.length < 2 ? '' : `
stream {
    server {
        listen 127.0.0.1:${self.sync};
        zone_sync;
        zone_sync_interval 50ms;
        zone_sync_connect_retry_interval 100ms;
${all.map((p) => `        zone_sync_server 127.0.0.1:${p.sync};`).join('\n')}
    }
}`;
  return `worker_processes 2;
http {
    keyval_zone zone=one:4m timeout=1h state=${dir}/${name}-one.keyval sync;
    keyval_zone zone=plain:4m state=${dir}/${name}-plain.keyval;
    server {
        listen 127.0.0.1:${self.http};
        location /api { api write=on; }
    }
}${stream}
`;
}

interface Write {
  /** The value written; null for a delete. */
  value: string | null;
  ackedAt: number | null;
}

/** One key as the test knows it: where it lives, who writes it, and this cycle's writes. */
interface KeyHistory {
  zone: ZoneName;
  key: string;
  /** Index of the node whose API writes it (for "plain", also the only node holding it). */
  node: number;
  /** The value at the start of the cycle (undefined: absent). */
  before: string | undefined;
  writes: Write[];
}

/** A small seeded generator, so that a failing run can be told apart and its seed reported. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

const current = (k: KeyHistory): string | undefined => {
  const last = k.writes.at(-1);
  return last === undefined ? k.before : (last.value ?? undefined);
};

class Cluster {
  readonly nodes: Array<NodeProcess | null>;
  readonly ports: NodePorts[];
  readonly paths: string[];
  readonly keys: KeyHistory[] = [];
  private readonly cleanups: Array<() => Promise<void> | void>;
  private serial = 0;

  constructor(dir: string, ports: NodePorts[], cleanups: Array<() => Promise<void> | void>) {
    this.ports = ports;
    this.paths = ports.map((p, i) => writeConfig(dir, `n${i}.conf`, nodeConfig(dir, `n${i}`, p, ports)));
    this.nodes = ports.map(() => null);
    this.cleanups = cleanups;
    for (const zone of ZONES) {
      for (let i = 0; i < KEYS_PER_ZONE; i++) {
        this.keys.push({ zone, key: `${zone}-key-${i}`, node: i % ports.length, before: undefined, writes: [] });
      }
    }
  }

  async start(i: number): Promise<void> {
    const n = new NodeProcess(this.paths[i]!);
    this.cleanups.push(() => n.stop());
    this.nodes[i] = n;
    await n.ready();
  }

  /** Writes on every key in LANES lanes until `stop()`, each key's writes in order. */
  async load(rand: () => number, stop: () => boolean, failures: string[]): Promise<void> {
    const lane = async (laneIndex: number) => {
      const mine = this.keys.filter((_, i) => i % LANES === laneIndex);
      while (!stop()) {
        const k = mine[Math.floor(rand() * mine.length)]!;
        const present = current(k) !== undefined;
        const value = present && rand() < 0.3 ? null : `v${++this.serial}`;
        const method = present ? 'PATCH' : 'POST';
        const write: Write = { value, ackedAt: null };
        k.writes.push(write);
        let status: number;
        try {
          const r = await fetch(`http://127.0.0.1:${this.ports[k.node]!.http}/api/9/http/keyvals/${k.zone}`, {
            method, body: JSON.stringify({ [k.key]: value }), headers: { 'content-type': 'application/json' },
          });
          await r.text();
          status = r.status;
        } catch {
          return; // the node is gone: this write may or may not have been applied
        }
        if (status === (method === 'POST' ? 201 : 204)) write.ackedAt = Date.now();
        else {
          failures.push(`${method} ${k.zone}/${k.key} answered ${status}`);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));
  }

  killAll(): number {
    const killAt = Date.now();
    for (const n of this.nodes) n?.signal('SIGKILL');
    return killAt;
  }

  async waitExited(): Promise<void> {
    for (const n of this.nodes) await n?.exited;
    this.nodes.fill(null);
  }

  /** The contents of a zone on node i. */
  async contents(i: number, zone: ZoneName): Promise<Record<string, string>> {
    let body: Record<string, string> = {};
    await waitFor(async () => {
      const r = await api(this.ports[i]!.http, `/api/9/http/keyvals/${zone}`);
      body = r.body as Record<string, string>;
      return r.status === 200;
    }, 10_000, () => `node ${i} does not answer GET ${zone}`);
    return body;
  }

  /**
   * Checks node i's contents for the keys `which` selects. Returns the problems, and how
   * many keys had a write old enough to be required (and how many of those were deletes).
   */
  async check(i: number, killAt: number, which: (k: KeyHistory) => boolean): Promise<{ problems: string[]; required: number; deletes: number }> {
    const problems: string[] = [];
    let required = 0;
    let deletes = 0;
    for (const zone of ZONES) {
      const seen = await this.contents(i, zone);
      const known = new Set(this.keys.filter((k) => k.zone === zone).map((k) => k.key));
      for (const key of Object.keys(seen)) if (!known.has(key)) problems.push(`node ${i} ${zone}: unknown key ${key}`);
      for (const k of this.keys) {
        if (k.zone !== zone || !which(k)) continue;
        let from = -1;
        k.writes.forEach((w, at) => { if (w.ackedAt !== null && w.ackedAt <= killAt - DURABLE_AFTER_MS) from = at; });
        const allowed = from < 0 ? [k.before, ...k.writes.map((w) => w.value ?? undefined)] : k.writes.slice(from).map((w) => w.value ?? undefined);
        if (from >= 0) {
          required++;
          if (k.writes[from]!.value === null) deletes++;
        }
        const got = seen[k.key];
        if (!allowed.includes(got)) {
          problems.push(`node ${i} ${zone}/${k.key}: holds ${JSON.stringify(got)}, expected one of ${JSON.stringify(allowed)} (writes: ${JSON.stringify(k.writes.map((w) => [w.value, w.ackedAt === null ? null : killAt - w.ackedAt]))} ms before the kill)`);
        }
      }
    }
    return { problems, required, deletes };
  }

  /** Starts the next cycle from what node `i` holds. */
  async resetHistory(i: number): Promise<void> {
    for (const zone of ZONES) {
      const seenByNode = await Promise.all(this.ports.map((_, n) => (zone === 'plain' || n === i ? this.contents(n, zone) : Promise.resolve(null))));
      for (const k of this.keys) {
        if (k.zone !== zone) continue;
        const seen = seenByNode[zone === 'plain' ? k.node : i]!;
        k.before = seen[k.key];
        k.writes = [];
      }
    }
  }
}

describe('kill -9 under write load (real node processes)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function run(nodeCount: number, cycles: number): Promise<void> {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const flat = await freePorts(nodeCount * 2);
    const ports = Array.from({ length: nodeCount }, (_, i) => ({ http: flat[2 * i]!, sync: flat[2 * i + 1]! }));
    const cluster = new Cluster(dir, ports, cleanups);
    const seed = Date.now() >>> 0;
    const rand = random(seed);
    for (let i = 0; i < nodeCount; i++) await cluster.start(i);
    let required = 0;
    let deletes = 0;
    for (let cycle = 0; cycle < cycles; cycle++) {
      const failures: string[] = [];
      let stopped = false;
      const load = cluster.load(rand, () => stopped, failures);
      // Past the durability horizon, so that some writes must survive; the kill lands at a random point.
      await new Promise((r) => setTimeout(r, DURABLE_AFTER_MS + 100 + Math.floor(rand() * 500)));
      stopped = true;
      const killAt = cluster.killAll();
      await load;
      await cluster.waitExited();
      expect(failures, `seed ${seed}, cycle ${cycle}`).toEqual([]);
      // Each node alone first (in turn), so that its own journal, not a peer, must hold its writes.
      const order = Array.from({ length: nodeCount }, (_, i) => (i + cycle) % nodeCount);
      for (const i of order) {
        await cluster.start(i);
        const alone = await cluster.check(i, killAt, (k) => k.node === i);
        expect(alone.problems, `seed ${seed}, cycle ${cycle}, node ${i} alone`).toEqual([]);
        required += alone.required;
        deletes += alone.deletes;
      }
      if (nodeCount > 1) {
        // Together, once converged: every node holds every key of the synced zone as required.
        await waitFor(async () => {
          const all = await Promise.all(ports.map((_, i) => cluster.contents(i, 'one')));
          return all.every((c) => JSON.stringify(Object.entries(c).sort()) === JSON.stringify(Object.entries(all[0]!).sort()));
        }, 15_000, () => 'the nodes did not converge');
        for (let i = 0; i < nodeCount; i++) {
          const together = await cluster.check(i, killAt, (k) => k.zone === 'one' || k.node === i);
          expect(together.problems, `seed ${seed}, cycle ${cycle}, node ${i} with its peers`).toEqual([]);
        }
      }
      await cluster.resetHistory(order[0]!);
    }
    // The run tested something: writes old enough to be required, deletes among them.
    expect(required).toBeGreaterThanOrEqual(cycles); // a slow machine writes fewer before each kill, but never none
    expect(deletes).toBeGreaterThan(0);
  }

  it('a single node, killed and restarted again and again', async () => {
    await run(1, 6);
  }, 120_000);

  it('a two-node cluster whose nodes are all killed at once, again and again', async () => {
    await run(2, 4);
  }, 120_000);
});
