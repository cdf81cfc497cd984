// Test nodes: zones in SharedArrayBuffers, a shared clock and a SyncEngine each, in this
// process, talking over real sockets on 127.0.0.1.
import { ShmZone, ZoneCursor } from 'native-free-shm';
import { SharedHybridClock } from '../../dist/shared-clock.js';
import { SyncEngine, type SyncLogger, type SyncOptionsInput, type Transport } from '../../dist/sync/index.js';
import { MODULE_COUNTER, MODULE_KEYVAL, MODULE_LIMIT_REQ, MODULE_STICKY, moduleVersionOf, type ModuleName, type ModuleTag, type ZoneDescriptor } from '../../dist/zones/descriptor.js';
import { zoneGet, zoneSet } from '../../dist-bench/lib/shm-strings.js';

export interface ZoneSpec {
  name: string;
  moduleTag?: ModuleTag;
  originKeySuffix?: boolean;
  sizeBytes?: number;
  shards?: number;
}

export const FAST: SyncOptionsInput = {
  intervalMs: 20,
  connectRetryIntervalMs: 100,
  connectTimeoutMs: 2_000,
  timeoutMs: 2_000,
  stopGraceMs: 2_000,
};

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

export function memoryLogger(lines: LogLine[]): SyncLogger {
  return {
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
}

const MODULE_NAMES: Partial<Record<ModuleTag, ModuleName>> = { [MODULE_KEYVAL]: 'keyval', [MODULE_LIMIT_REQ]: 'limit_req', [MODULE_STICKY]: 'sticky', [MODULE_COUNTER]: 'counter' };

export function makeZones(specs: readonly ZoneSpec[]): { zones: Map<string, ShmZone>; descriptors: ZoneDescriptor[] } {
  const zones = new Map<string, ShmZone>();
  const descriptors: ZoneDescriptor[] = [];
  for (const spec of specs) {
    const zone = ShmZone.create({ sizeBytes: spec.sizeBytes ?? 512 * 1024, shards: spec.shards ?? 2 });
    zones.set(spec.name, zone);
    const moduleTag = spec.moduleTag ?? MODULE_KEYVAL;
    descriptors.push({
      name: spec.name, module: MODULE_NAMES[moduleTag] ?? 'keyval', moduleTag, moduleVersion: moduleVersionOf(moduleTag), handle: zone.handle, sync: true,
      originKeySuffix: spec.originKeySuffix ?? false, maxSyncedBytes: 0, maxLifetimeMs: 0,
    });
  }
  return { zones, descriptors };
}

export interface Record_ {
  key: string;
  value: string;
  tombstone: boolean;
  origin: number;
  stampMs: number;
  logical: number;
  expireAtMs: number;
}

export class TestNode {
  readonly nodeId: number;
  readonly zones: Map<string, ShmZone>;
  readonly descriptors: ZoneDescriptor[];
  readonly clockBuffer = SharedHybridClock.createBuffer();
  readonly clock: SharedHybridClock;
  readonly logs: LogLine[] = [];
  engine: SyncEngine;
  private readonly options: SyncOptionsInput;

  /** `transport`: default, the engine's own (TCP, TLS where options ask). */
  constructor(nodeId: number, specs: readonly ZoneSpec[], options: SyncOptionsInput = {}, readonly transport?: Transport) {
    this.nodeId = nodeId;
    const { zones, descriptors } = makeZones(specs);
    this.zones = zones;
    this.descriptors = descriptors;
    this.clock = new SharedHybridClock(this.clockBuffer, 1);
    this.options = { ...FAST, listen: '127.0.0.1:0', ...options };
    this.engine = this.newEngine();
  }

  newEngine(options: SyncOptionsInput = {}): SyncEngine {
    return new SyncEngine({
      nodeId: this.nodeId, nodeName: `node-${this.nodeId}`, descriptors: this.descriptors, clockBuffer: this.clockBuffer,
      options: { ...this.options, ...options }, logger: memoryLogger(this.logs), transport: this.transport,
    });
  }

  get address(): string {
    const a = this.engine.listenAddress;
    if (a === null) throw new Error('node does not listen');
    return a;
  }

  zone(name = 'kv'): ShmZone {
    const z = this.zones.get(name);
    if (z === undefined) throw new Error(`no zone ${name}`);
    return z;
  }

  /** A local write stamped by the node's clock, as a zone module would make it. */
  write(key: string, value: string, opts: { zone?: string; expireAtMs?: number; tombstone?: boolean } = {}): void {
    const zone = this.zone(opts.zone);
    const stamp = this.clock.now();
    zoneSet(zone, key, value, opts.expireAtMs ?? 0, opts.tombstone ?? false, { stampMs: stamp.ms, logical: stamp.logical, origin: this.nodeId });
  }

  remove(key: string, zoneName?: string): void {
    this.write(key, '', { zone: zoneName, tombstone: true });
  }

  get(key: string, zoneName?: string): string | undefined {
    return zoneGet(this.zone(zoneName), key);
  }

  /** Every live record, tombstones included, sorted by key. */
  dump(zoneName?: string): Record_[] {
    return dumpZone(this.zone(zoneName));
  }

  /** Empties every zone (a restart with fresh memory) and makes a new engine. */
  wipe(): void {
    for (const [name, zone] of this.zones) {
      const fresh = ShmZone.create({ sizeBytes: zone.memory.sizeBytes, shards: zone.shardCount });
      this.zones.set(name, fresh);
      const d = this.descriptors.find((x) => x.name === name)!;
      d.handle = fresh.handle;
    }
    this.engine = this.newEngine();
  }
}

export function dumpZone(zone: ShmZone): Record_[] {
  const out: Record_[] = [];
  const cursor = new ZoneCursor(zone);
  while (!cursor.done) {
    cursor.step(1000, (z, _shard, rec) => {
      out.push({
        key: Buffer.from(z.memory.u8.subarray(z.keyOffset(rec), z.keyOffset(rec) + z.keyLen(rec))).toString('latin1'),
        value: z.valueText(rec), tombstone: z.isTombstone(rec), origin: z.origin(rec), stampMs: z.stampMs(rec),
        logical: z.logical(rec), expireAtMs: z.expireAtMs(rec),
      });
    });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Polls until `check` returns true; throws with `what` (and the last detail) after timeoutMs. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000, detail?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for: ${what}${detail === undefined ? '' : `\n${JSON.stringify(detail(), null, 1).slice(0, 4000)}`}`);
    }
    await sleep(15);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts every node, then gives each the full list of addresses (itself included). */
export async function startMesh(nodes: readonly TestNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.engine.start()));
  const all = nodes.map((n) => n.address);
  for (const n of nodes) n.engine.setServers(all);
}

export function sameRecords(nodes: readonly TestNode[], zoneName?: string): boolean {
  const first = JSON.stringify(nodes[0]!.dump(zoneName));
  return nodes.every((n) => JSON.stringify(n.dump(zoneName)) === first);
}

export async function stopAll(nodes: readonly TestNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.engine.stop()));
}
