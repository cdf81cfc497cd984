// The counter zone: adds atomic across threads, counts per (key, node) summed across nodes,
// fixed windows every node computes alike, resets and blocks that reach the whole cluster.
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkZone } from 'native-free-shm';
import { CounterZone, ZoneArgumentError, createNodeContext } from '../../dist/zones/index.js';
import { windowStartAt } from '../../dist/zones/counter/window.js';
import { exchange, expectSound } from './exchange.js';

const NOW = 1_700_000_000_000;

function node(id: number, t: { now: number }, window: string | number = 0) {
  return CounterZone.create({ name: 'hits', size: '1m', sync: true, window, node: createNodeContext(id), now: () => t.now });
}

/** Every node's pending counts to every other node, as a sync round would. */
function syncAll(nodes: CounterZone[]): void {
  nodes.forEach((z, i) => exchange(z, nodes.filter((_, j) => j !== i)));
}

describe('counter zone: one node', () => {
  it('no increment is lost when 4 threads add to one key', async () => {
    const counter = CounterZone.create({ name: 'hits', size: '1m' });
    const adds = 20_000;
    const workers = [0, 1, 2, 3].map((index) => new Worker(new URL('./workers/counter-adder.mjs', import.meta.url), {
      workerData: { counter: counter.handle, adds, index },
    }));
    await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    })));
    await Promise.all(workers.map((w) => w.terminate()));
    expect(counter.get('hits').value).toBe(4 * adds);
    for (let i = 0; i < 4; i++) expect(counter.get(`thread-${i}`, { window: '1h' }).value).toBe(2 * adds);
    expect(checkZone(counter.shm)).toEqual([]);
  });

  it('adds, takes away, stops a decrement at min, and resets', () => {
    const t = { now: NOW };
    const c = node(1, t);
    expect(c.add('k')).toEqual({ value: 1, resetAtMs: 0, blockedUntilMs: 0 });
    expect(c.add('k', 4).value).toBe(5);
    expect(c.add('k', -2).value).toBe(3);
    expect(c.add('k', -10, { min: 0 }).value).toBe(0);
    expect(c.add('k', -1, { min: 0 }).value).toBe(0); // at min already: nothing taken
    expect(c.add('k', -1).value).toBe(-1); // without min a count may go below 0
    expect(c.get('other')).toEqual({ value: 0, resetAtMs: 0, blockedUntilMs: 0 });
    expect(c.reset('k')).toBe(true);
    expect(c.get('k').value).toBe(0);
    expect(c.reset('k')).toBe(false); // nothing left to reset
    expect(c.add('k', 2).value).toBe(2);
  });

  it('counts in fixed windows: a window\'s count lapses at its end, and every key has its own offset', () => {
    const t = { now: NOW };
    const c = node(1, t, '1m');
    const first = c.add('client');
    expect(first.resetAtMs).toBeGreaterThan(NOW);
    expect(first.resetAtMs).toBeLessThanOrEqual(NOW + 60_000);
    c.add('client', 2);
    t.now = first.resetAtMs - 1;
    expect(c.get('client').value).toBe(3);
    t.now = first.resetAtMs;
    expect(c.get('client')).toEqual({ value: 0, resetAtMs: first.resetAtMs + 60_000, blockedUntilMs: 0 });
    expect(c.add('client').value).toBe(1);
    // A window given per call: another length, another count.
    expect(c.add('client', 1, { window: '10s' }).value).toBe(1);
    expect(c.get('client', { window: 10_000 }).value).toBe(1);
    // Window ends of many keys are spread over the window, not all at one moment.
    const ends = new Set(Array.from({ length: 50 }, (_, i) => c.add(`key-${i}`).resetAtMs));
    expect(ends.size).toBeGreaterThan(40);
  });

  it('a window always holds the time it is computed for, and is the same for every time inside it', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 45 }), fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(),
      (now, windowMs, hash, into) => {
        const start = windowStartAt(now, windowMs, hash);
        expect(start).toBeLessThanOrEqual(now);
        expect(now).toBeLessThan(start + windowMs);
        expect(((start % windowMs) + windowMs) % windowMs).toBe(hash % windowMs);
        expect(windowStartAt(start + (into % windowMs), windowMs, hash)).toBe(start);
      }));
  });

  it('blocks a key until a time; a reset lifts the block', () => {
    const t = { now: NOW };
    const c = node(1, t, '1m');
    expect(c.block('k', '30s').blockedUntilMs).toBe(NOW + 30_000);
    expect(c.add('k').blockedUntilMs).toBe(NOW + 30_000);
    t.now += 30_000;
    expect(c.get('k').blockedUntilMs).toBe(0);
    c.block('k', 5000);
    expect(c.reset('k')).toBe(true);
    expect(c.get('k')).toMatchObject({ value: 0, blockedUntilMs: 0 });
    expect(c.block('k', 1000).blockedUntilMs).toBe(t.now + 1000); // a block after the reset holds
  });

  it('an add that does not count while blocked; a block that resets the key in the same write', () => {
    const t = { now: NOW };
    const c = node(1, t, '1h');
    c.add('k', 5);
    expect(c.block('k', 1000, { reset: true })).toEqual({ value: 0, resetAtMs: expect.any(Number), blockedUntilMs: NOW + 1000 });
    expect(c.add('k', 2, { countWhileBlocked: false }).value).toBe(0);
    expect(c.add('k', 2).value).toBe(2); // counted: the default
    t.now += 1000;
    expect(c.add('k', 1, { countWhileBlocked: false })).toMatchObject({ value: 3, blockedUntilMs: 0 });
  });

  it('counts as a counter would, for any sequence of adds, resets and blocks on one node', () => {
    fc.assert(fc.property(fc.array(fc.record({
      op: fc.constantFrom('add', 'add', 'sub', 'reset', 'block', 'wait'), n: fc.integer({ min: 1, max: 50 }), key: fc.constantFrom('a', 'b'),
    }), { maxLength: 60 }), (ops) => {
      const t = { now: NOW };
      const c = node(1, t, '1m');
      const model = new Map<string, { value: number; window: number; blockedUntil: number }>();
      const windowOf = (key: string) => c.get(key).resetAtMs;
      for (const o of ops) {
        if (o.op === 'wait') {
          t.now += o.n * 1000;
          continue;
        }
        const m = model.get(o.key);
        const current = m !== undefined && m.window === windowOf(o.key) ? m : { value: 0, window: windowOf(o.key), blockedUntil: m?.blockedUntil ?? 0 };
        model.set(o.key, current);
        if (o.op === 'add') current.value += o.n;
        else if (o.op === 'sub') current.value -= o.n;
        else if (o.op === 'reset') {
          current.value = 0;
          current.blockedUntil = 0;
        } else current.blockedUntil = Math.max(current.blockedUntil > t.now ? current.blockedUntil : 0, t.now + o.n);
        const state = o.op === 'add' ? c.add(o.key, o.n) : o.op === 'sub' ? c.add(o.key, -o.n) : o.op === 'block' ? c.block(o.key, o.n) : (c.reset(o.key), c.get(o.key));
        expect(state).toEqual({ value: current.value, resetAtMs: current.window, blockedUntilMs: current.blockedUntil > t.now ? current.blockedUntil : 0 });
      }
      expect(checkZone(c.shm)).toEqual([]);
    }), { numRuns: 300 });
  });

  it('refuses bad amounts, windows and blocks with clear errors, changing nothing', () => {
    const t = { now: NOW };
    const c = node(1, t);
    expect(() => c.add('k', 1.5)).toThrow(ZoneArgumentError);
    expect(() => c.add('k', Number.NaN)).toThrow(/whole number/);
    expect(() => c.add('k', -1, { min: 0.5 })).toThrow(/min must be a whole number/);
    expect(() => c.add('k', 1, { window: 'soon' })).toThrow(/window "soon" is not a time/);
    expect(() => c.add('k', 1, { window: 2 ** 41 })).toThrow(/up to 2\^40/);
    expect(() => c.block('k', 0)).toThrow(/from 1/);
    expect(() => c.add('x'.repeat(300))).toThrow(/longer than the zone's limit/);
    expect(() => CounterZone.create({ name: 'bad', size: '1m', window: -1 })).toThrow(ZoneArgumentError);
    expect(c.get('k').value).toBe(0);
    expect(c.shm.stats().records).toBe(0);
  });
});

describe('counter zone: a cluster (counts exchanged as the sync thread would)', () => {
  it('the value is the sum of every node\'s adds: 1,000 adds on each of 2 nodes make 2,000 on both', () => {
    const t = { now: NOW };
    const [a, b] = [node(1, t), node(2, t)];
    for (let i = 0; i < 1000; i++) {
      a.add('k');
      b.add('k');
      if (i % 97 === 0) syncAll([a, b]); // rounds come between adds
    }
    syncAll([a, b]);
    expect(a.get('k').value).toBe(2000);
    expect(b.get('k').value).toBe(2000);
    for (const z of [a, b]) expect(expectSound(z)).toEqual([]);
  });

  it('converges to the same value on every node whatever the order and repetition of rounds', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ node: fc.nat(2), op: fc.constantFrom('add', 'sub', 'reset', 'sync'), n: fc.integer({ min: 1, max: 9 }), key: fc.constantFrom('a', 'b') }), { maxLength: 60 }),
      (ops) => {
        const t = { now: NOW };
        const nodes = [node(1, t), node(2, t), node(3, t)];
        for (const o of ops) {
          t.now += 1;
          const z = nodes[o.node]!;
          if (o.op === 'add') z.add(o.key, o.n);
          else if (o.op === 'sub') z.add(o.key, -o.n);
          else if (o.op === 'reset') z.reset(o.key);
          else exchange(z, nodes.filter((x) => x !== z));
        }
        syncAll(nodes);
        for (const key of ['a', 'b']) {
          const values = nodes.map((z) => z.get(key).value);
          expect(new Set(values).size).toBe(1);
        }
      }), { numRuns: 200 });
  });

  it('a reset reaches every node and wins over adds made before a node heard of it; adds after it count', () => {
    const t = { now: NOW };
    const [a, b, c] = [node(1, t), node(2, t), node(3, t)];
    a.add('k', 5);
    b.add('k', 7);
    syncAll([a, b, c]);
    expect(c.get('k').value).toBe(12);
    c.add('k', 3); // not yet sent when a resets: dropped with the rest
    t.now += 1;
    a.reset('k');
    expect(a.get('k').value).toBe(0);
    syncAll([a, b, c]);
    for (const z of [a, b, c]) expect(z.get('k').value).toBe(0);
    c.add('k', 2); // c has heard of the reset: this counts
    b.add('k', 1);
    syncAll([a, b, c]);
    for (const z of [a, b, c]) expect(z.get('k').value).toBe(3);
    // Resets on two nodes at once: the key is at 0, not below.
    a.reset('k');
    b.reset('k');
    syncAll([a, b, c]);
    for (const z of [a, b, c]) expect(z.get('k').value).toBe(0);
    c.add('k');
    syncAll([a, b, c]);
    for (const z of [a, b, c]) expect(z.get('k').value).toBe(1);
  });

  it('a block made anywhere holds everywhere, and a reset anywhere lifts the blocks made before it', () => {
    const t = { now: NOW };
    const [a, b] = [node(1, t, '1m'), node(2, t, '1m')];
    a.block('k', '10s');
    syncAll([a, b]);
    expect(b.add('k').blockedUntilMs).toBe(NOW + 10_000);
    t.now += 1;
    b.reset('k');
    syncAll([a, b]);
    expect(a.get('k').blockedUntilMs).toBe(0);
    t.now += 1;
    a.block('k', '5s'); // made after a heard of the reset: it holds
    syncAll([a, b]);
    expect(b.get('k').blockedUntilMs).toBe(t.now + 5000);
  });

  it('nodes agree on windows without a message: counts of a window lapse on every node at once', () => {
    const t = { now: NOW };
    const [a, b] = [node(1, t, '10s'), node(2, t, '10s')];
    t.now = a.get('k').resetAtMs; // the start of a window
    const end = a.add('k', 4).resetAtMs;
    expect(end).toBe(t.now + 10_000);
    t.now += 3000;
    b.add('k', 6);
    syncAll([a, b]);
    t.now = end - 1;
    expect([a.get('k').value, b.get('k').value]).toEqual([10, 10]);
    t.now = end;
    b.add('k');
    syncAll([a, b]);
    expect([a.get('k').value, b.get('k').value]).toEqual([1, 1]);
  });
});
