import { zoneSet } from '../lib/shm-strings.js';
import { Worker } from 'node:worker_threads';
import { ShmZone } from 'native-free-shm';
import { KEY_COUNT, ZONE_BYTES, makeKeys, makeValue, type ContentionMode } from './workload.js';
import type { ResultRow } from '../lib/report.js';

function once<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

const ROW_NAMES: Record<ContentionMode, string> = {
  zone: '90% get',
  map: 'thread-local Map (harness ceiling), 90% get',
  hot: 'read-mostly hot keys, get (lock-free path)',
  'hot-locked': 'read-mostly hot keys, get under the lock',
};

/**
 * Aggregate ops/s of `threads` worker threads running `mode`'s loop (contention-worker.ts;
 * by default 90% get / 10% set) on one zone of `shards` shards, over `durationMs`. The clock
 * starts when every thread is ready.
 */
export async function measureContention(threads: number, shards: number, durationMs: number, mode: ContentionMode = 'zone'): Promise<ResultRow> {
  const zone = ShmZone.create({ sizeBytes: ZONE_BYTES, shards });
  const keys = makeKeys();
  for (let i = 0; i < KEY_COUNT; i++) zoneSet(zone, keys[i]!, makeValue(i));
  const control = new SharedArrayBuffer(8);
  const flags = new Int32Array(control);
  const url = new URL('./contention-worker.js', import.meta.url);
  const workers = Array.from({ length: threads }, (_, i) => new Worker(url, { workerData: { handle: zone.handle, control, seed: 0x9e3779b9 ^ (i * 7919), mode } }));
  await Promise.all(workers.map((w) => once(w)));
  const results = workers.map((w) => once<{ ops: number; misses: number }>(w));
  const waitsBefore = zone.stats().lockWaits;
  const t0 = performance.now();
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  await new Promise((r) => setTimeout(r, durationMs));
  Atomics.store(flags, 1, 1);
  const done = await Promise.all(results);
  const elapsedMs = performance.now() - t0;
  await Promise.all(workers.map((w) => w.terminate()));
  const ops = done.reduce((a, r) => a + r.ops, 0);
  const misses = done.reduce((a, r) => a + r.misses, 0);
  if (misses > 0) throw new Error(`${misses} gets missed keys that were never removed`);
  const waits = zone.stats().lockWaits - waitsBefore;
  return {
    name: mode === 'map' ? `${threads} thread(s), ${ROW_NAMES.map}` : `${threads} thread(s), K=${shards}, ${ROW_NAMES[mode]}`,
    opsPerSec: (ops / elapsedMs) * 1000,
    note: `lock waits ${(waits / ops * 100).toFixed(2)}% of ops`,
  };
}
