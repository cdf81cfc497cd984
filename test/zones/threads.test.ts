import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { checkZone } from 'native-free-shm';
import { KeyvalZone, LimitReqZone, StickyZone } from '../../dist/zones/index.js';

describe('zones shared by worker threads', () => {
  it('every thread attached from a handle sees and changes the same zones', async () => {
    const keyval = KeyvalZone.create({ name: 'kv', size: '1m', sync: true, timeout: '1h' });
    const limit = LimitReqZone.create({ name: 'req', size: '1m', rate: '1r/m' });
    const sticky = StickyZone.create({ name: 'st', size: '1m' });
    keyval.set('from-main', 'hello');
    sticky.learn('session-main', 'main:80');
    const threads = 4;
    const workers = Array.from({ length: threads }, (_, index) => new Worker(new URL('./workers/zone-user.mjs', import.meta.url), {
      workerData: { keyval: keyval.handle, limit: limit.handle, sticky: sticky.handle, index, writes: 500, takes: 400 },
    }));
    const results = await Promise.all(workers.map((w) => new Promise<any>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    })));
    await Promise.all(workers.map((w) => w.terminate()));
    expect(results.map((r) => r.seen)).toEqual(['hello', 'hello', 'hello', 'hello']);
    expect(results.map((r) => r.lookup)).toEqual(['main:80', 'main:80', 'main:80', 'main:80']);
    for (let w = 0; w < threads; w++) for (const i of [0, 250, 499]) expect(keyval.get(`w${w}:${i}`)).toBe(String(i));
    // One bucket for all threads: burst 1000 at 1r/m admits 1001 of the 1600 requests, whoever sends them.
    expect(results.reduce((a, r) => a + r.allowed, 0)).toBe(1001);
    for (let w = 0; w < threads; w++) expect(sticky.lookup(`session-${w}`)).toBe(`backend${w}:80`);
    expect(keyval.stats().pending).toBe(1 + threads * 500);
    for (const z of [keyval, limit, sticky]) expect(checkZone(z.shm)).toEqual([]);
  });

  it('a limit_req zone\'s setRate in one thread is the rate every attached thread judges by from its next call', async () => {
    const limit = LimitReqZone.create({ name: 'req', size: '1m', rate: '1r/s' });
    const worker = new Worker(new URL('./workers/rate-reader.mjs', import.meta.url), { workerData: { limit: limit.handle } });
    const ask = (key: string) => new Promise<{ rate: number; retryAfterMs: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage(key);
    });
    try {
      for (const [rate, milli] of [[null, 1000], ['50r/s', 50_000], ['30r/m', 500], [4, 4000]] as const) {
        if (rate !== null) limit.setRate(rate);
        const seen = await ask(`k${milli}`);
        expect(seen.rate).toBe(milli);
        // A full bucket of one request: room again in 1000 milli-requests at the new rate (the clock may move a little).
        expect(seen.retryAfterMs).toBeLessThanOrEqual(Math.ceil(1e6 / milli));
        expect(seen.retryAfterMs).toBeGreaterThan(Math.ceil(1e6 / milli) / 2);
      }
    } finally {
      await worker.terminate();
    }
  });
});
