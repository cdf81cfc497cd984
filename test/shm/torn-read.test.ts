import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { ShmZone, checkZone } from 'native-free-shm';

const workerUrl = (name: string) => new URL(`./workers/${name}`, import.meta.url);

function firstMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before answering`)));
  });
}

interface ReaderResult {
  optimisticValues: number;
  optimisticNulls: number;
  bad: number;
  firstBad: string | null;
}

describe('lock-free reads under real concurrent writers', () => {
  // Writers rewrite, grow, shrink, move, remove and expire records in a zone too small for
  // them (so eviction frees and reuses blocks), while readers read the same keys without the
  // lock. Every value a reader gets must be one whole version of the key it asked for.
  it('never returns a torn value or another key\'s value, and leaves a sound zone', async () => {
    const zone = ShmZone.create({ sizeBytes: 128 * 1024, shards: 2 });
    const keys = 300;
    const control = new SharedArrayBuffer(8);
    const writers = [1, 2].map((i) => new Worker(workerUrl('torn-writer.mjs'), {
      workerData: { handle: zone.handle, control, keys, seed: i * 1_000_003 },
    }));
    const written = writers.map((w) => firstMessage<{ writes: number }>(w));
    // Readers start once the writers are under way, however slowly a loaded machine starts them.
    while (Atomics.load(new Int32Array(control), 1) < 4096) await new Promise((resolve) => setTimeout(resolve, 5));
    const readers = [1, 2].map((i) => new Worker(workerUrl('torn-reader.mjs'), {
      workerData: { handle: zone.handle, keys, reads: 150_000, seed: 0x9e3779b9 ^ (i * 7919) },
    }));
    const results = await Promise.all(readers.map((w) => firstMessage<ReaderResult>(w)));
    Atomics.store(new Int32Array(control), 0, 1);
    const writes = await Promise.all(written);
    await Promise.all([...writers, ...readers].map((w) => w.terminate()));

    expect(results.map((r) => r.firstBad)).toEqual([null, null]);
    expect(results.map((r) => r.bad)).toEqual([0, 0]);
    // The path under test was taken, and so was the fallback.
    expect(results.every((r) => r.optimisticValues > 0 && r.optimisticNulls > 0)).toBe(true);
    expect(writes.every((w) => w.writes > 0)).toBe(true);
    expect(zone.stats().evictions).toBeGreaterThan(0);
    expect(checkZone(zone)).toEqual([]);
  });
});
