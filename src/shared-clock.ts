import { lockWord, unlockWord } from 'native-free-shm';
import { DEFAULT_MAX_DRIFT_MS, HybridClock, LOGICAL_MAX, STAMP_MS_MAX, wallStampMs, type WallClock } from './clock.js';

/**
 * The node's one hybrid logical clock, shared by every thread of the node (workers stamp
 * local writes, the sync thread observes remote stamps), so that a write that follows an
 * observed remote version in causal order always carries a greater stamp, whichever thread
 * makes it. The state lives in a small SharedArrayBuffer under an owner-id lock; each
 * thread's object runs HybridClock's logic on it inside the lock.
 *
 * Layout (bytes): 0 lock word, 4 waiters, 8 lock waits, 16 ms (f64), 24 logical (i32).
 */
const LOCK = 0;
const LOCK_WAITS = 2;
const MS_F64 = 2;
const LOGICAL = 6;
const SPIN_ROUNDS = 4;

export const SHARED_CLOCK_BYTES = 64;

export class SharedHybridClock extends HybridClock {
  readonly buffer: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly ownerId: number;

  static createBuffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(SHARED_CLOCK_BYTES);
  }

  /** `ownerId`: the thread's id in lock words (threadId + 1), as for zones. */
  constructor(buffer: SharedArrayBuffer, ownerId: number, wallClock: WallClock = Date.now, maxDriftMs = DEFAULT_MAX_DRIFT_MS) {
    super(wallClock, maxDriftMs);
    if (buffer.byteLength < SHARED_CLOCK_BYTES) throw new RangeError('shared clock buffer is too small');
    this.buffer = buffer;
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer, 0, SHARED_CLOCK_BYTES / 8);
    this.ownerId = ownerId;
  }

  override tick(): void {
    this.enter();
    try {
      super.tick();
    } finally {
      this.leave();
    }
  }

  /**
   * tick() with the wall clock read by the caller (`wallMs` from the same clock this object
   * was made with), so that a write reads the clock once, not once for its expiry and again
   * for its stamp. The same rules as HybridClock.tick: strictly greater than any stamp
   * issued or observed by any thread of the node.
   */
  tickAt(wallMs: number): void {
    const wall = wallStampMs(wallMs);
    this.enter();
    try {
      if (wall > this.ms) {
        this.ms = wall;
        this.logical = 0;
      } else if (this.logical < LOGICAL_MAX) {
        this.logical += 1;
      } else {
        this.ms += 1; // the counter is exhausted: borrow the next millisecond
        this.logical = 0;
      }
      if (this.ms > STAMP_MS_MAX) throw new RangeError(`clock passed STAMP_MS_MAX: ${this.ms}`);
    } finally {
      this.leave();
    }
  }

  override observe(ms: number, logical: number): boolean {
    this.enter();
    try {
      return super.observe(ms, logical);
    } finally {
      this.leave();
    }
  }

  private enter(): void {
    lockWord(this.i32, LOCK, this.ownerId, SPIN_ROUNDS, LOCK_WAITS);
    this.ms = this.f64[MS_F64]!;
    this.logical = this.i32[LOGICAL]!;
  }

  private leave(): void {
    this.f64[MS_F64] = this.ms;
    this.i32[LOGICAL] = this.logical;
    unlockWord(this.i32, LOCK, this.ownerId);
  }
}
