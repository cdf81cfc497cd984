// The simulator's world: virtual time, one ordered event queue, a seeded PRNG. Nothing in
// here reads the real clock, so a seed replays the same run.
import type { SyncTimers, TimerHandle } from '../../dist/sync/index.js';

/** mulberry32: small, fast, good enough to drive a simulation. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

interface SimEvent {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A binary heap of events ordered by (at, seq). */
export class World {
  nowMs = 0;
  readonly epochMs = 1_700_000_000_000;
  readonly rng: Rng;
  private readonly heap: SimEvent[] = [];
  private seq = 0;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  schedule(delayMs: number, fn: () => void): SimEvent {
    const event: SimEvent = { at: this.nowMs + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.push(event);
    return event;
  }

  /** Runs events until virtual time `untilMs`, yielding to microtasks between events. */
  async runUntil(untilMs: number): Promise<void> {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.at > untilMs) break;
      this.pop();
      if (top.cancelled) continue;
      this.nowMs = top.at;
      top.fn();
      await null;
    }
    this.nowMs = untilMs;
  }

  timers(skewMs: number): SyncTimers {
    return {
      monotonicMs: () => this.nowMs,
      wallMs: () => this.epochMs + this.nowMs + skewMs,
      setTimer: (callback, delayMs) => this.schedule(delayMs, callback),
      clearTimer: (handle: TimerHandle) => {
        (handle as SimEvent).cancelled = true;
      },
      defer: (callback) => this.schedule(0, callback),
      cancelDefer: (handle: TimerHandle) => {
        (handle as SimEvent).cancelled = true;
      },
    };
  }

  private push(event: SimEvent): void {
    const h = this.heap;
    h.push(event);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
