import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_DRIFT_MS,
  HybridClock,
  LOGICAL_MAX,
  STAMP_MS_MAX,
  compareStamps,
  readStampLogical,
  readStampMs,
  stampHighWord,
  stampLowWord,
  writeStamp,
} from '../../dist/clock.js';

/** A wall clock the test moves by hand. */
function fakeWall(startMs: number) {
  const wall = { nowMs: startMs, read: () => wall.nowMs };
  return wall;
}

function stampOf(clock: HybridClock): [number, number] {
  return [clock.ms, clock.logical];
}

function hexOf(view: DataView, offset: number): string {
  return Array.from(new Uint8Array(view.buffer, offset, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

describe('HybridClock.tick', () => {
  it('follows the wall clock while it moves forward', () => {
    const wall = fakeWall(1000);
    const clock = new HybridClock(wall.read);
    clock.tick();
    expect(stampOf(clock)).toEqual([1000, 0]);
    wall.nowMs = 1005;
    clock.tick();
    expect(stampOf(clock)).toEqual([1005, 0]);
  });

  it('counts within a millisecond', () => {
    const clock = new HybridClock(() => 1000);
    clock.tick();
    clock.tick();
    clock.tick();
    expect(stampOf(clock)).toEqual([1000, 2]);
  });

  it('stays monotonic when the wall clock goes backwards', () => {
    const wall = fakeWall(5000);
    const clock = new HybridClock(wall.read);
    clock.tick();
    wall.nowMs = 4000;
    clock.tick();
    expect(stampOf(clock)).toEqual([5000, 1]);
    wall.nowMs = 5000;
    clock.tick();
    expect(stampOf(clock)).toEqual([5000, 2]);
    wall.nowMs = 5001;
    clock.tick();
    expect(stampOf(clock)).toEqual([5001, 0]);
  });

  it('moves to the next millisecond when the logical counter would overflow', () => {
    const clock = new HybridClock(() => 7);
    for (let i = 0; i <= LOGICAL_MAX; i++) clock.tick();
    expect(stampOf(clock)).toEqual([7, 65535]);
    clock.tick();
    expect(stampOf(clock)).toEqual([8, 0]);
    clock.tick();
    expect(stampOf(clock)).toEqual([8, 1]);
  });

  it('floors a fractional wall clock and refuses a negative or NaN one', () => {
    expect((() => { const c = new HybridClock(() => 12.9); c.tick(); return c.ms; })()).toBe(12);
    expect(() => new HybridClock(() => -1).tick()).toThrow(RangeError);
    expect(() => new HybridClock(() => Number.NaN).tick()).toThrow(RangeError);
  });

  it('now() returns the clock itself, without allocating a stamp', () => {
    const clock = new HybridClock(() => 42);
    const stamp = clock.now();
    expect(stamp).toBe(clock);
    expect([stamp.ms, stamp.logical]).toEqual([42, 0]);
    expect(clock.now().logical).toBe(1);
  });

  it('uses Date.now by default', () => {
    const before = Date.now();
    const clock = new HybridClock();
    clock.tick();
    expect(clock.ms).toBeGreaterThanOrEqual(before);
    expect(clock.ms).toBeLessThanOrEqual(Date.now());
  });
});

describe('HybridClock.observe', () => {
  it('the next stamp passes a remote stamp from the future', () => {
    const clock = new HybridClock(() => 1000);
    clock.tick();
    expect(clock.observe(1200, 5)).toBe(true);
    clock.tick();
    expect(stampOf(clock)).toEqual([1200, 6]);
  });

  it('a remote stamp in the same millisecond with a greater counter', () => {
    const clock = new HybridClock(() => 1000);
    clock.tick();
    clock.tick(); // (1000, 1)
    clock.observe(1000, 9);
    clock.tick();
    expect(stampOf(clock)).toEqual([1000, 10]);
  });

  it('an older remote stamp changes nothing', () => {
    const clock = new HybridClock(() => 1000);
    clock.tick();
    clock.tick();
    expect(clock.observe(999, 65535)).toBe(true);
    expect(clock.observe(1000, 0)).toBe(true);
    expect(stampOf(clock)).toEqual([1000, 1]);
  });

  it('observing a stamp at LOGICAL_MAX then ticking borrows the next millisecond', () => {
    const clock = new HybridClock(() => 0);
    clock.observe(50, LOGICAL_MAX);
    clock.tick();
    expect(stampOf(clock)).toEqual([51, 0]);
  });

  it('observing does not issue stamps: many observes of old stamps leave the counter alone', () => {
    const clock = new HybridClock(() => 1000);
    clock.tick();
    for (let i = 0; i < 100_000; i++) clock.observe(900, i % 65536);
    clock.tick();
    expect(stampOf(clock)).toEqual([1000, 1]);
  });

  it('refuses a stamp more than maxDriftMs ahead of the wall clock', () => {
    const clock = new HybridClock(() => 1_000_000, 500);
    clock.tick();
    expect(clock.observe(1_000_500, 3)).toBe(true); // exactly at the bound: accepted
    expect(clock.observe(1_000_501, 0)).toBe(false);
    expect(clock.refusedObservations).toBe(1);
    clock.tick();
    expect(stampOf(clock)).toEqual([1_000_500, 4]);
  });

  it('a far-future stamp not ahead of the clock is accepted, as it moves nothing', () => {
    const wall = fakeWall(10_000);
    const clock = new HybridClock(wall.read, 100);
    expect(clock.observe(10_100, 0)).toBe(true);
    wall.nowMs = 0; // the wall clock steps back
    expect(clock.observe(10_100, 0)).toBe(true);
    expect(clock.observe(10_100, 1)).toBe(false);
    expect(clock.refusedObservations).toBe(1);
  });

  it('the default guard is one minute; Infinity disables it', () => {
    expect(DEFAULT_MAX_DRIFT_MS).toBe(60_000);
    expect(new HybridClock(() => 0).observe(60_001, 0)).toBe(false);
    expect(new HybridClock(() => 0).observe(60_000, 0)).toBe(true);
    expect(new HybridClock(() => 0, Infinity).observe(STAMP_MS_MAX, LOGICAL_MAX)).toBe(true);
    expect(() => new HybridClock(() => 0, -1)).toThrow(RangeError);
  });

  it('rejects stamps the wire cannot carry', () => {
    const clock = new HybridClock(() => 0, Infinity);
    expect(() => clock.observe(STAMP_MS_MAX + 1, 0)).toThrow(RangeError);
    expect(() => clock.observe(1, 65536)).toThrow(RangeError);
    expect(() => clock.observe(1.5, 0)).toThrow(RangeError);
  });

  it('property: stamps strictly increase and pass every accepted remote stamp, whatever the wall clock does', () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant('tick' as const), wallMs: fc.integer({ min: 0, max: 10_000 }) }),
      fc.record({
        op: fc.constant('observe' as const),
        wallMs: fc.integer({ min: 0, max: 10_000 }),
        ms: fc.integer({ min: 0, max: 12_000 }),
        logical: fc.integer({ min: 0, max: LOGICAL_MAX }),
      }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const wall = fakeWall(0);
        const clock = new HybridClock(wall.read, 1000);
        let last: [number, number] = [-1, 0];
        let greatestObserved: [number, number] = [-1, 0];
        for (const s of steps) {
          wall.nowMs = s.wallMs;
          if (s.op === 'observe') {
            const notAhead = compareStamps(s.ms, s.logical, 0, clock.ms, clock.logical, 0) <= 0;
            const accepted = clock.observe(s.ms, s.logical);
            expect(accepted).toBe(notAhead || s.ms - s.wallMs <= 1000);
            if (accepted && compareStamps(s.ms, s.logical, 0, ...greatestObserved, 0) > 0) greatestObserved = [s.ms, s.logical];
            continue;
          }
          clock.tick();
          expect(compareStamps(clock.ms, clock.logical, 0, ...last, 0)).toBe(1);
          expect(compareStamps(clock.ms, clock.logical, 0, ...greatestObserved, 0)).toBe(1);
          expect(clock.ms).toBeGreaterThanOrEqual(s.wallMs);
          last = [clock.ms, clock.logical];
        }
      }),
    );
  });
});

describe('compareStamps', () => {
  it('orders by ms, then logical, then origin', () => {
    expect(compareStamps(1, 9, 9, 2, 0, 0)).toBe(-1);
    expect(compareStamps(2, 0, 0, 1, 9, 9)).toBe(1);
    expect(compareStamps(5, 1, 9, 5, 2, 0)).toBe(-1);
    expect(compareStamps(5, 2, 0, 5, 1, 9)).toBe(1);
    expect(compareStamps(5, 2, 3, 5, 2, 4)).toBe(-1);
    expect(compareStamps(5, 2, 4, 5, 2, 3)).toBe(1);
    expect(compareStamps(5, 2, 4, 5, 2, 4)).toBe(0);
    expect(compareStamps(5, 2, 0xffffffff, 5, 2, 0)).toBe(1);
  });

  it('property: antisymmetric, and agrees with the u64 order then origin', () => {
    const stamp = fc.tuple(fc.integer({ min: 0, max: STAMP_MS_MAX }), fc.integer({ min: 0, max: LOGICAL_MAX }), fc.integer({ min: 0, max: 3 }));
    fc.assert(
      fc.property(stamp, stamp, ([am, al, ao], [bm, bl, bo]) => {
        const result = compareStamps(am, al, ao, bm, bl, bo);
        expect(compareStamps(bm, bl, bo, am, al, ao)).toBe(-result || 0);
        const a = BigInt(am) * 65536n + BigInt(al);
        const b = BigInt(bm) * 65536n + BigInt(bl);
        const expected = a !== b ? (a < b ? -1 : 1) : ao !== bo ? (ao < bo ? -1 : 1) : 0;
        expect(result).toBe(expected);
      }),
    );
  });
});

describe('stamp as u64 on the wire', () => {
  it('encodes a real stamp exactly', () => {
    const view = new DataView(new ArrayBuffer(10));
    writeStamp(view, 1, 1_700_000_000_000, 0x1234);
    expect(hexOf(view, 1)).toBe('01 8b cf e5 68 00 12 34');
    expect(readStampMs(view, 1)).toBe(1_700_000_000_000);
    expect(readStampLogical(view, 1)).toBe(0x1234);
  });

  it('encodes the extremes exactly', () => {
    const view = new DataView(new ArrayBuffer(8));
    writeStamp(view, 0, STAMP_MS_MAX, LOGICAL_MAX);
    expect(hexOf(view, 0)).toBe('ff ff ff ff ff ff ff ff');
    expect([readStampMs(view, 0), readStampLogical(view, 0)]).toEqual([STAMP_MS_MAX, LOGICAL_MAX]);
    writeStamp(view, 0, 0, 0);
    expect(hexOf(view, 0)).toBe('00 00 00 00 00 00 00 00');
    writeStamp(view, 0, 65536, 1); // carries into the high word
    expect(hexOf(view, 0)).toBe('00 00 00 01 00 00 00 01');
    expect(stampHighWord(65536)).toBe(1);
    expect(stampLowWord(65535, 65535)).toBe(0xffffffff);
  });

  it('property: matches ms * 65536 + logical computed with BigInt, and reads back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: STAMP_MS_MAX }), fc.integer({ min: 0, max: LOGICAL_MAX }), (ms, logical) => {
        const view = new DataView(new ArrayBuffer(8));
        writeStamp(view, 0, ms, logical);
        expect(view.getBigUint64(0)).toBe(BigInt(ms) * 65536n + BigInt(logical));
        expect(readStampMs(view, 0)).toBe(ms);
        expect(readStampLogical(view, 0)).toBe(logical);
      }),
    );
  });

  it('property: every u64 reads as a valid stamp', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (value) => {
        const view = new DataView(new ArrayBuffer(8));
        view.setBigUint64(0, value);
        const ms = readStampMs(view, 0);
        const logical = readStampLogical(view, 0);
        expect(BigInt(ms) * 65536n + BigInt(logical)).toBe(value);
        expect(ms).toBeLessThanOrEqual(STAMP_MS_MAX);
      }),
    );
  });

  it('writeStamp refuses values out of range', () => {
    const view = new DataView(new ArrayBuffer(8));
    expect(() => writeStamp(view, 0, STAMP_MS_MAX + 1, 0)).toThrow(RangeError);
    expect(() => writeStamp(view, 0, -1, 0)).toThrow(RangeError);
    expect(() => writeStamp(view, 0, 0, LOGICAL_MAX + 1)).toThrow(RangeError);
  });
});
