// The change ring: what producers append is drained whole, once, in order, across wraps;
// a full ring drops (never waits) and says so; real worker threads append concurrently.
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { emptyWireRecord, readEntry } from '../../dist/zones/change-entry.js';
import { ChangeRing, MIN_RING_BYTES, ringEntryBytes } from '../../dist/zones/change-ring.js';

interface Change { key: string; value: string; stampMs: number; logical: number; origin: number; expireAtMs: number; tombstone: boolean }

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function append(ring: ChangeRing, c: Change): boolean {
  const key = encoder.encode(c.key);
  const value = encoder.encode(c.value);
  return ring.append(new DataView(key.buffer), 0, key.length, new DataView(value.buffer), 0, value.length, c);
}

function drain(ring: ChangeRing): Change[] {
  const out: Change[] = [];
  const r = emptyWireRecord();
  ring.drain((bytes, view, offset, length) => {
    expect(readEntry(view, offset, length, r)).toBeNull();
    out.push({
      key: decoder.decode(bytes.subarray(r.keyOffset, r.keyOffset + r.keyLength)),
      value: decoder.decode(bytes.subarray(r.payloadOffset, r.payloadOffset + r.payloadLength)),
      stampMs: r.stampMs, logical: r.stampLogical, origin: r.origin, expireAtMs: r.expireAtMs, tombstone: r.tombstone,
    });
  });
  return out;
}

const change = (i: number, valueBytes = i % 50): Change => ({
  key: `key-${i}`, value: 'v'.repeat(valueBytes), stampMs: 1_700_000_000_000 + i, logical: i % 65536, origin: 0xfffffffe, expireAtMs: i % 3 === 0 ? 0 : 1_800_000_000_000 + i, tombstone: i % 7 === 0,
});

describe('change ring', () => {
  it('refuses a capacity that is not a power of two in range', () => {
    for (const bad of [0, 1000, MIN_RING_BYTES - 1, MIN_RING_BYTES + 4, 2 ** 31]) expect(() => ChangeRing.createBuffer(bad)).toThrow(RangeError);
  });

  it('hands out what was appended, once, in order, across many wraps', () => {
    const ring = new ChangeRing(ChangeRing.createBuffer(MIN_RING_BYTES), 1);
    let next = 0;
    for (let round = 0; round < 200; round++) {
      const batch: Change[] = [];
      for (let n = 0; n < 1 + (round % 13); n++) {
        const c = change(next++, (round * 31 + n * 17) % 400);
        expect(append(ring, c)).toBe(true);
        batch.push(c);
      }
      expect(drain(ring)).toEqual(batch);
      expect(ring.usedBytes()).toBe(0);
    }
    expect(ring.takeOverflow()).toBe(false);
  });

  it('matches a queue model for any sizes and drain points (property)', () => {
    const cap = MIN_RING_BYTES;
    fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.constant(-1)), { maxLength: 300 }), (ops) => {
      const ring = new ChangeRing(ChangeRing.createBuffer(cap), 1);
      const model: Change[] = [];
      // The model's own head and tail (bytes ever appended and drained): an entry that would
      // cross the ring's end starts at 0, the rest of the ring being skipped.
      let head = 0;
      let tail = 0;
      let i = 0;
      for (const op of ops) {
        if (op < 0) {
          expect(drain(ring)).toEqual(model.splice(0));
          tail = head;
          continue;
        }
        const c = change(i++, op);
        const need = ringEntryBytes(c.key.length, op);
        const toEnd = cap - (head % cap);
        const room = need <= cap / 2 && cap - (head - tail) >= (toEnd < need ? toEnd + need : need);
        expect(append(ring, c)).toBe(room);
        if (room) {
          model.push(c);
          head += (toEnd < need ? toEnd : 0) + need;
        } else {
          expect(ring.takeOverflow()).toBe(true);
        }
        expect(ring.usedBytes()).toBe(head - tail);
      }
      expect(drain(ring)).toEqual(model);
    }), { numRuns: 300 });
  });

  it('a full ring drops the change, counts it and raises the overflow flag once until taken', () => {
    const ring = new ChangeRing(ChangeRing.createBuffer(MIN_RING_BYTES), 1);
    let accepted = 0;
    while (append(ring, change(accepted, 100))) accepted++;
    expect(accepted).toBeGreaterThan(10);
    expect(append(ring, change(999, 100))).toBe(false);
    expect(ring.dropped()).toBe(2);
    expect(ring.takeOverflow()).toBe(true);
    expect(ring.takeOverflow()).toBe(false);
    expect(drain(ring).map((c) => c.key)).toEqual(Array.from({ length: accepted }, (_, i) => `key-${i}`));
    expect(append(ring, change(1000, 100))).toBe(true);
  });

  it('a change larger than half the ring is dropped, however empty the ring', () => {
    const ring = new ChangeRing(ChangeRing.createBuffer(MIN_RING_BYTES), 1);
    expect(append(ring, change(1, MIN_RING_BYTES / 2))).toBe(false);
    expect(ring.takeOverflow()).toBe(true);
    expect(drain(ring)).toEqual([]);
  });

  it('reset forgets entries and the flag', () => {
    const ring = new ChangeRing(ChangeRing.createBuffer(MIN_RING_BYTES), 1);
    append(ring, change(1));
    append(ring, change(2, MIN_RING_BYTES));
    ring.reset();
    expect(ring.takeOverflow()).toBe(false);
    expect(drain(ring)).toEqual([]);
  });

  it('forceUnlock opens a lock a dead owner held, and only that owner\'s', () => {
    const buffer = ChangeRing.createBuffer(MIN_RING_BYTES);
    new Int32Array(buffer)[0] = 42; // as a thread 41 that died while appending leaves it
    const ring = new ChangeRing(buffer, 1);
    expect(ring.forceUnlock(41)).toBe(false);
    expect(ring.forceUnlock(42)).toBe(true);
    expect(append(ring, change(1))).toBe(true);
    expect(drain(ring)).toHaveLength(1);
  });

  it('worker threads append concurrently while one consumer drains: every change once, intact', async () => {
    const buffer = ChangeRing.createBuffer(256 * 1024);
    const ring = new ChangeRing(buffer, 1);
    const producers = 4;
    const count = 2000;
    const workers = Array.from({ length: producers }, (_, index) => new Worker(new URL('./workers/ring-producer.mjs', import.meta.url), { workerData: { ring: buffer, index, count } }));
    const done = Promise.all(workers.map((w) => new Promise<{ refused: number }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    })));
    const seen = Array.from({ length: producers }, () => new Set<number>());
    let finished = false;
    void done.then(() => { finished = true; });
    const take = () => {
      for (const c of drain(ring)) {
        const [, p, i] = /^p(\d):(\d+)$/.exec(c.key)!.map(Number) as [number, number, number];
        expect(c.value).toBe(String.fromCharCode(97 + p).repeat(i % 97));
        expect([c.stampMs, c.logical, c.origin, c.tombstone]).toEqual([i, p, 7, i % 5 === 0]);
        expect(seen[p]!.has(i)).toBe(false);
        seen[p]!.add(i);
      }
    };
    while (!finished) {
      take();
      await new Promise((r) => setTimeout(r, 1));
    }
    take();
    await Promise.all(workers.map((w) => w.terminate()));
    for (const s of seen) expect(s.size).toBe(count);
    expect(ring.usedBytes()).toBe(0);
  });
});
