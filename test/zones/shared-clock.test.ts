import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { SharedHybridClock } from '../../dist/shared-clock.js';
import { LOGICAL_MAX } from '../../dist/clock.js';

describe('shared hybrid clock: tickAt (the caller reads the wall clock)', () => {
  it('issues strictly increasing stamps across handles, whatever the wall time passed in', () => {
    const buffer = SharedHybridClock.createBuffer();
    const a = new SharedHybridClock(buffer, 1, () => 0);
    const b = new SharedHybridClock(buffer, 2, () => 0);
    const stamps: Array<[number, number]> = [];
    const walls = [1000, 1000, 999, 1002, 500, 1002, 1003.7, 1003];
    walls.forEach((wall, i) => {
      const c = i % 2 === 0 ? a : b;
      c.tickAt(wall);
      stamps.push([c.ms, c.logical]);
    });
    expect(stamps).toEqual([[1000, 0], [1000, 1], [1000, 2], [1002, 0], [1002, 1], [1002, 2], [1003, 0], [1003, 1]]);
  });

  it('agrees with tick() and borrows the next millisecond when the counter runs out', () => {
    const buffer = SharedHybridClock.createBuffer();
    const viaTick = new SharedHybridClock(SharedHybridClock.createBuffer(), 1, () => 5000);
    const viaTickAt = new SharedHybridClock(buffer, 1, () => { throw new Error('tickAt must not read the clock'); });
    for (let i = 0; i <= LOGICAL_MAX + 1; i++) {
      viaTick.tick();
      viaTickAt.tickAt(5000);
      expect([viaTickAt.ms, viaTickAt.logical]).toEqual([viaTick.ms, viaTick.logical]);
    }
    expect([viaTickAt.ms, viaTickAt.logical]).toEqual([5001, 0]);
    expect(() => viaTickAt.tickAt(Number.NaN)).toThrow(RangeError);
    expect(() => viaTickAt.tickAt(-1)).toThrow(RangeError);
  });

  it('never issues the same stamp twice to four threads ticking at once', async () => {
    const buffer = SharedHybridClock.createBuffer();
    const source = `
      const { parentPort, workerData, threadId } = require('node:worker_threads');
      import(workerData.url).then(({ SharedHybridClock }) => {
        const c = new SharedHybridClock(workerData.buffer, threadId + 1);
        const out = [];
        for (let i = 0; i < 5000; i++) { c.tickAt(Date.now()); out.push([c.ms, c.logical]); }
        parentPort.postMessage(out);
      });`;
    const url = new URL('../../dist/shared-clock.js', import.meta.url).href;
    const workers = Array.from({ length: 4 }, () => new Worker(source, { eval: true, workerData: { buffer, url } }));
    const results = await Promise.all(workers.map((w) => new Promise<Array<[number, number]>>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    })));
    await Promise.all(workers.map((w) => w.terminate()));
    const after = ([ms, logical]: [number, number], [pms, plogical]: [number, number]) => ms > pms || (ms === pms && logical > plogical);
    for (const r of results) for (let i = 1; i < r.length; i++) expect(after(r[i]!, r[i - 1]!)).toBe(true);
    const all = results.flat().map(([ms, logical]) => `${ms}:${logical}`);
    expect(new Set(all).size).toBe(all.length);
  });
});
