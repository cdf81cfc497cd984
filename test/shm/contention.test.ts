import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { ShmZone, checkZone } from 'native-free-shm';
import { zoneGet, zoneRemove, zoneSet } from '../../dist-bench/lib/shm-strings.js';

const workerUrl = (name: string) => new URL(`./workers/${name}`, import.meta.url);

function run(worker: Worker): Promise<any> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before answering`)));
  });
}

function firstMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

describe('zones under real contention', () => {
  for (const shards of [1, 4]) {
    it(`4 threads of random operations on overlapping keys leave a sound zone (K=${shards})`, async () => {
      const data = ShmZone.create({ sizeBytes: 256 * 1024, shards });
      const counter = ShmZone.create({ sizeBytes: 64 * 1024, shards: 1 });
      const threads = 4;
      const increments = 3000;
      const workers = Array.from({ length: threads }, (_, i) => new Worker(workerUrl('random-ops.mjs'), {
        workerData: { dataHandle: data.handle, counterHandle: counter.handle, seed: 1000 + i * 7919, ops: 40_000, keys: 600, increments },
      }));
      const results = await Promise.all(workers.map(run));
      await Promise.all(workers.map((w) => w.terminate()));
      expect(results.every((r) => r.counted === increments)).toBe(true);
      expect(zoneGet(counter, 'counter')).toBe(String(threads * increments));
      expect(checkZone(data)).toEqual([]);
      expect(checkZone(counter)).toEqual([]);
      const s = data.stats();
      expect(s.records).toBeGreaterThan(0);
      expect(s.resets).toBe(0);
    });
  }

  it('a thread terminated while it holds a shard lock is force-unlocked and the others go on', async () => {
    const zone = ShmZone.create({ sizeBytes: 512 * 1024, shards: 4 });
    for (let i = 0; i < 200; i++) zoneSet(zone, `k${i}`, `v${i}`);
    const holder = new Worker(workerUrl('lock-holder.mjs'), { workerData: { handle: zone.handle, shard: 2, midMutation: false } });
    expect(await firstMessage(holder)).toBe('locked');
    const holderOwner = holder.threadId + 1;
    const counter = ShmZone.create({ sizeBytes: 64 * 1024, shards: 1 });
    const others = [0, 1].map((i) => new Worker(workerUrl('random-ops.mjs'), {
      workerData: { dataHandle: zone.handle, counterHandle: counter.handle, seed: 77 + i, ops: 5000, keys: 300, increments: 10 },
    }));
    const done = Promise.all(others.map(run));
    // What the primary does when a worker exits: open whatever it held.
    const opened = new Promise<number>((resolve) => holder.once('exit', () => resolve(zone.forceUnlock(holderOwner))));
    await holder.terminate();
    expect(await opened).toBe(1);
    const results = await done;
    await Promise.all(others.map((w) => w.terminate()));
    expect(results.map((r) => r.counted)).toEqual([10, 10]);
    expect(zone.stats().resets).toBe(0);
    expect(checkZone(zone)).toEqual([]);
  });

  it('a thread that dies in the middle of a change gets its shard reset, never left torn', async () => {
    const zone = ShmZone.create({ sizeBytes: 512 * 1024, shards: 4 });
    const holder = new Worker(workerUrl('lock-holder.mjs'), { workerData: { handle: zone.handle, shard: 1, midMutation: true } });
    expect(await firstMessage(holder)).toBe('locked');
    const owner = holder.threadId + 1;
    await holder.terminate();
    expect(zone.forceUnlock(owner)).toBe(1);
    expect(zone.stats().resets).toBe(1);
    expect(checkZone(zone)).toEqual([]);
  });

  it('threads terminated at arbitrary points of heavy writing leave a sound zone after forced unlocks', async () => {
    const zone = ShmZone.create({ sizeBytes: 512 * 1024, shards: 2 });
    for (let round = 0; round < 6; round++) {
      const writers = [0, 1, 2].map(() => new Worker(workerUrl('heavy-writer.mjs'), { workerData: { handle: zone.handle } }));
      await Promise.all(writers.map(firstMessage));
      await new Promise((r) => setTimeout(r, 20 + round * 15));
      for (const w of writers) {
        const owner = w.threadId + 1;
        await w.terminate();
        zone.forceUnlock(owner);
      }
      expect(checkZone(zone)).toEqual([]);
    }
    // Still usable: empty it through the API, then write and read.
    for (let i = 0; i < 5000; i++) zoneRemove(zone, `w${i}`);
    expect(zone.stats().records).toBe(0);
    expect(zone.stats().pagesFree).toBe(zone.stats().pagesTotal);
    expect(zoneSet(zone, 'still', 'works')).toBe(0);
    expect(zoneGet(zone, 'still')).toBe('works');
  });
});
