// Bench nodes: zones made here (the "primary"), sync engines in their own worker threads.
import { zoneSet } from '../lib/shm-strings.js';
import { ShmZone } from 'native-free-shm';
import { SharedHybridClock } from '../../dist/shared-clock.js';
import { startSyncThread, type SyncOptionsInput, type SyncThreadHandle } from '../../dist/sync/index.js';
import { MODULE_KEYVAL, type ZoneDescriptor } from '../../dist/zones/descriptor.js';

export const KEY_BYTES = 32;
export const VALUE_BYTES = 64;
/** One keyval record on the wire: 28 fixed bytes, key, value. */
export const WIRE_RECORD_BYTES = 28 + KEY_BYTES + VALUE_BYTES;

export interface BenchNode {
  nodeId: number;
  zone: ShmZone;
  clock: SharedHybridClock;
  descriptors: ZoneDescriptor[];
  clockBuffer: SharedArrayBuffer;
  thread: SyncThreadHandle | null;
}

export function makeNode(nodeId: number, records: number): BenchNode {
  // 256-byte slab blocks per record, with room to spare.
  const sizeBytes = Math.max(8 * 1024 * 1024, Math.ceil(records * 256 * 1.5));
  const zone = ShmZone.create({ sizeBytes, shards: 16, bytesPerBucket: 256 });
  const clockBuffer = SharedHybridClock.createBuffer();
  return {
    nodeId, zone, clockBuffer, clock: new SharedHybridClock(clockBuffer, 1), thread: null,
    descriptors: [{ name: 'kv', module: 'keyval', moduleTag: MODULE_KEYVAL, moduleVersion: 1, handle: zone.handle, sync: true, originKeySuffix: false, maxSyncedBytes: 0, maxLifetimeMs: 0 }],
  };
}

export async function startNode(node: BenchNode, options: SyncOptionsInput): Promise<string> {
  node.thread = await startSyncThread({
    nodeId: node.nodeId, nodeName: `bench-${node.nodeId}`, descriptors: node.descriptors, clockBuffer: node.clockBuffer,
    options: { listen: '127.0.0.1:0', ...options },
  });
  return node.thread.listenAddress!;
}

export async function stopNode(node: BenchNode): Promise<void> {
  await node.thread?.stop();
  node.thread = null;
}

/** A 32-byte key and a 64-byte value for record i. */
export function keyOf(i: number): string {
  return `key-${i.toString().padStart(KEY_BYTES - 4, '0')}`;
}

export const VALUE = 'v'.repeat(VALUE_BYTES);

export function write(node: BenchNode, key: string, value: string): void {
  const stamp = node.clock.now();
  zoneSet(node.zone, key, value, 0, false, { stampMs: stamp.ms, logical: stamp.logical, origin: node.nodeId });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`bench timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Options for throughput: large buffers, a short interval. */
export const FAST_SYNC: SyncOptionsInput = {
  intervalMs: 10, buffers: { count: 16, sizeBytes: 64 * 1024 }, maxPeerBufferedBytes: 64 * 1024 * 1024,
  snapshotStepRecords: 4096, connectRetryIntervalMs: 50,
};
