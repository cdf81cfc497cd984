// Hybrid logical clock (HLC), one per node (docs/ARCHITECTURE.md "How a merge decides").
//
// A stamp is (ms, logical): ms = wall-clock milliseconds since the Unix epoch,
// logical = a 16-bit counter that orders stamps issued within one millisecond.
// On the wire a stamp is the u64 `ms * 65536 + logical` (docs/PROTOCOL.md "Record"). That
// value exceeds 2^53, so it never lives in one JS number: it is split into two
// u32 words, hi = floor(ms / 65536) and lo = (ms % 65536) * 65536 + logical.
//
// Invariants of a HybridClock:
// - (ms, logical) is the greatest stamp this clock has issued or observed;
// - tick() moves (ms, logical) strictly forward, whatever the wall clock does;
// - so a stamp issued after observing a remote stamp is greater than it.
//
// No allocation per stamp: tick() writes the new stamp into the clock's own
// `ms` and `logical` fields; read them right after the call.

/** Largest logical counter; one more moves the stamp to the next millisecond. */
export const LOGICAL_MAX = 0xffff;
/** Largest ms whose stamp fits a u64: ms * 65536 + 65535 < 2^64. */
export const STAMP_MS_MAX = 2 ** 48 - 1;
/**
 * Default bound on how far a remote stamp may lie ahead of our wall clock
 * and still move our clock: one minute. NTP keeps healthy nodes within
 * milliseconds and the simulator skews by at most ±500 ms, so a stamp a
 * minute ahead means a broken clock, which must not drag the cluster along.
 */
export const DEFAULT_MAX_DRIFT_MS = 60_000;

const TWO_POW_16 = 0x10000;

/** A wall-clock reading as a stamp's ms: whole, and in the range a stamp can carry. */
export function wallStampMs(wallMs: number): number {
  const ms = Math.floor(wallMs);
  if (!(ms >= 0 && ms <= STAMP_MS_MAX)) throw new RangeError(`wall clock out of range: ${ms}`);
  return ms;
}

/** A stamp as two numbers; the clock itself is one (see HybridClock.now). */
export interface StampView {
  readonly ms: number;
  readonly logical: number;
}

export type WallClock = () => number;

export class HybridClock implements StampView {
  /** Milliseconds of the greatest stamp issued or observed. */
  ms = 0;
  /** Logical counter of the greatest stamp issued or observed. */
  logical = 0;
  /** Remote stamps refused by observe() for lying too far ahead. */
  refusedObservations = 0;
  private readonly wallClock: WallClock;
  private readonly maxDriftMs: number;

  /**
   * @param wallClock milliseconds since the epoch; injected by tests and the simulator.
   * @param maxDriftMs how far ahead of the wall clock observe() may move the clock;
   *   Infinity disables the guard.
   */
  constructor(wallClock: WallClock = Date.now, maxDriftMs: number = DEFAULT_MAX_DRIFT_MS) {
    if (!(maxDriftMs >= 0)) throw new RangeError(`maxDriftMs must be >= 0, got ${maxDriftMs}`);
    this.wallClock = wallClock;
    this.maxDriftMs = maxDriftMs;
  }

  /** Issues a new stamp into `this.ms` / `this.logical`, strictly greater than any before. */
  tick(): void {
    const wallMs = this.readWallMs();
    if (wallMs > this.ms) {
      this.ms = wallMs;
      this.logical = 0;
    } else if (this.logical < LOGICAL_MAX) {
      this.logical += 1;
    } else {
      // The counter is exhausted: borrow the next millisecond.
      this.ms += 1;
      this.logical = 0;
    }
    if (this.ms > STAMP_MS_MAX) throw new RangeError(`clock passed STAMP_MS_MAX: ${this.ms}`);
  }

  /**
   * tick() and return the clock itself as the stamp: no allocation. The view
   * changes on the next tick() or observe(); copy the two fields to keep it.
   */
  now(): StampView {
    this.tick();
    return this;
  }

  /**
   * HLC receive: the next tick() will issue a stamp greater than (ms, logical).
   * Returns false, and leaves the clock alone, when the remote stamp would
   * move the clock and lies more than maxDriftMs ahead of the wall clock; the
   * caller decides what to log. A stamp not ahead of the clock is always
   * accepted and reads no wall clock. Observing does not issue a stamp, so a
   * snapshot of a million records does not burn a million logical ticks.
   */
  observe(ms: number, logical: number): boolean {
    assertStamp(ms, logical);
    if (ms < this.ms || (ms === this.ms && logical <= this.logical)) return true;
    if (ms - this.readWallMs() > this.maxDriftMs) {
      this.refusedObservations += 1;
      return false;
    }
    this.ms = ms;
    this.logical = logical;
    return true;
  }

  private readWallMs(): number {
    return wallStampMs(this.wallClock());
  }
}

/** Total order of record versions: stamp first, then origin, so every node picks the same winner. */
export function compareStamps(
  aMs: number,
  aLogical: number,
  aOrigin: number,
  bMs: number,
  bLogical: number,
  bOrigin: number,
): -1 | 0 | 1 {
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aLogical !== bLogical) return aLogical < bLogical ? -1 : 1;
  if (aOrigin !== bOrigin) return aOrigin < bOrigin ? -1 : 1;
  return 0;
}

export function assertStamp(ms: number, logical: number): void {
  if (!(Number.isInteger(ms) && ms >= 0 && ms <= STAMP_MS_MAX)) throw new RangeError(`stamp ms out of range: ${ms}`);
  if (!(Number.isInteger(logical) && logical >= 0 && logical <= LOGICAL_MAX)) {
    throw new RangeError(`stamp logical out of range: ${logical}`);
  }
}

/** High u32 word of the u64 stamp. */
export function stampHighWord(ms: number): number {
  return Math.floor(ms / TWO_POW_16);
}

/** Low u32 word of the u64 stamp. */
export function stampLowWord(ms: number, logical: number): number {
  return (ms % TWO_POW_16) * TWO_POW_16 + logical;
}

export function stampMsFromWords(highWord: number, lowWord: number): number {
  return highWord * TWO_POW_16 + (lowWord >>> 16);
}

export function stampLogicalFromWords(lowWord: number): number {
  return lowWord & 0xffff;
}

/** Writes the stamp as a big-endian u64 at `offset`. */
export function writeStamp(view: DataView, offset: number, ms: number, logical: number): void {
  assertStamp(ms, logical);
  view.setUint32(offset, stampHighWord(ms));
  view.setUint32(offset + 4, stampLowWord(ms, logical));
}

/** Reads the ms part of the big-endian u64 stamp at `offset`; every u64 yields a valid ms. */
export function readStampMs(view: DataView, offset: number): number {
  return stampMsFromWords(view.getUint32(offset), view.getUint32(offset + 4));
}

export function readStampLogical(view: DataView, offset: number): number {
  return stampLogicalFromWords(view.getUint32(offset + 4));
}
