// What a counter key's value must be, from what was done to it, by the documented rules
// (docs/PROTOCOL.md "Payloads", counter): the sum of the adds made in the current window by
// nodes that had heard of the key's latest reset of that window (a reset wins over the adds
// made where it had not yet arrived), every add counted once. A reset made before the
// window began concerns none of its counts: with no block to keep them, the records that
// carry it end with its window. A node killed takes with it the adds it had not sent:
// what the surviving nodes hold of its count, a prefix of its adds, stays.
import { compareStamp, type Stamp } from '../../dist/zones/payload-bytes.js';
import type { HeldCount } from './counter-records.js';

export interface ModelAdd {
  origin: number;
  n: number;
  windowStartMs: number;
  windowEndMs: number;
  /** The latest reset the node had heard of when it added. */
  heard: Stamp;
}

const NONE: Stamp = { ms: 0, logical: 0 };

/** The reset that concerns a count of the window starting at `windowStartMs`: none if it came before the window. */
export function resetInWindow(reset: Stamp, windowStartMs: number): Stamp {
  return reset.ms >= windowStartMs ? reset : NONE;
}

export class CounterModel {
  private readonly adds: ModelAdd[] = [];
  private readonly resets: Stamp[] = [];
  /** Origins that are gone (a node killed), with what the survivors held of their count. */
  private readonly gone = new Map<number, HeldCount | null>();

  add(add: ModelAdd): void {
    this.adds.push(add);
  }

  reset(stamp: Stamp): void {
    this.resets.push(stamp);
  }

  /**
   * `origin`'s node is killed. `heldBySurvivors`: what the surviving nodes hold of an
   * origin's count (the copy of the greatest version, or null); `heardBySurvivors`: the
   * latest reset they hold, so that a reset made where nobody heard of it is forgotten.
   * Returns a problem, or null: a count the survivors hold must be the sum of a prefix of
   * the adds of its window and reset.
   */
  kill(origin: number, heardBySurvivors: Stamp, heldBySurvivors: (o: number) => HeldCount | null): string | null {
    this.gone.set(origin, null);
    for (const o of this.gone.keys()) this.gone.set(o, heldBySurvivors(o)); // a gone node's count held only by the killed one is gone too
    for (let i = this.resets.length - 1; i >= 0; i--) if (compareStamp(this.resets[i]!, heardBySurvivors) > 0) this.resets.splice(i, 1);
    const kept = this.gone.get(origin) ?? null;
    if (kept === null) return null;
    const sums = [0];
    for (const a of this.adds) if (a.origin === origin && this.sameCount(a, kept)) sums.push(sums[sums.length - 1]! + a.n);
    const value = kept.count.added - kept.count.taken;
    return sums.includes(value) ? null : `the survivors hold ${value} of killed node ${origin}, not the sum of a prefix of its adds (${sums.join(', ')})`;
  }

  /** The value every node must read at a time in the window [startMs, endMs). */
  expected(windowStartMs: number, windowEndMs: number): number {
    let latest = NONE;
    for (const r of this.resets) if (compareStamp(r, latest) > 0) latest = r;
    const reset = resetInWindow(latest, windowStartMs);
    let sum = 0;
    for (const a of this.adds) {
      if (this.gone.has(a.origin) || a.windowStartMs !== windowStartMs || a.windowEndMs !== windowEndMs) continue;
      if (compareStamp(resetInWindow(a.heard, windowStartMs), reset) === 0) sum += a.n;
    }
    for (const held of this.gone.values()) {
      if (held === null) continue;
      const c = held.count;
      if (c.windowStartMs === windowStartMs && c.windowEndMs === windowEndMs && compareStamp(resetInWindow(c.resetStamp, windowStartMs), reset) === 0) sum += c.added - c.taken;
    }
    return sum;
  }

  /** Whether add `a` went into the count `held` (same window, same reset of that window). */
  private sameCount(a: ModelAdd, held: HeldCount): boolean {
    const c = held.count;
    return a.windowStartMs === c.windowStartMs && a.windowEndMs === c.windowEndMs
      && compareStamp(resetInWindow(a.heard, a.windowStartMs), resetInWindow(c.resetStamp, c.windowStartMs)) === 0;
  }
}
