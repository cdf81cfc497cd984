import { ShmAssertionError, assert } from './assert.js';

/**
 * A mutex in one Int32 word of shared memory, after nginx's ngx_shmtx: the word holds the
 * owner's id (never 0), so a lock left by a dead thread can be found and forced open.
 * The next word counts sleepers, so that unlock pays for Atomics.notify only when someone
 * sleeps. Both words sit on a 64-byte line of their own, with the shard's sequence word
 * (see layout.ts, seqlock.ts).
 *
 * Acquire: one compare-and-swap; on failure spin with a doubling backoff (nginx spins up
 * to 2048 with `pause`), re-reading the word between rounds, then sleep in Atomics.wait on
 * the word's current value.
 *
 * Spin policy, as measured (8 threads on 2 cores): skipping the spin when a thread already
 * sleeps on the lock (nginx skips spinning on one CPU) halved the throughput of a single
 * hot lock, because every hand-over then cost a wake-up, and did not help 16 shards; fewer
 * rounds did not help either. V8's Atomics.wait/notify are slow (a process-wide waiter
 * list), so a short spin that usually wins is the better bet.
 */

export interface SpinPolicy {
  /** Spin rounds before sleeping; each round doubles the busy loop (16, 32, 64, ... iterations). */
  spinRounds: number;
}

export const DEFAULT_SPIN_ROUNDS = 8;

let spinSink = 0;

function busyLoop(iterations: number): void {
  // A loop the compiler cannot drop: the result leaks into a module variable.
  let x = spinSink;
  for (let i = 0; i < iterations; i++) x = (x + i) | 0;
  spinSink = x;
}

/** Returns true when the lock was taken without waiting. */
export function lockWord(i32: Int32Array, word: number, ownerId: number, spinRounds: number, waitsWord: number): boolean {
  if (Atomics.compareExchange(i32, word, 0, ownerId) === 0) return true;
  lockSlow(i32, word, ownerId, spinRounds, waitsWord);
  return false;
}

function lockSlow(i32: Int32Array, word: number, ownerId: number, spinRounds: number, waitsWord: number): void {
  const held = Atomics.load(i32, word);
  assert(held !== ownerId, 'mutex: lock is already held by this owner (not reentrant)');
  Atomics.add(i32, waitsWord, 1);
  const sleepers = word + 1;
  for (let round = 0, n = 16; round < spinRounds; round++, n <<= 1) {
    busyLoop(n);
    if (Atomics.load(i32, word) === 0 && Atomics.compareExchange(i32, word, 0, ownerId) === 0) return;
  }
  Atomics.add(i32, sleepers, 1);
  for (;;) {
    const seen = Atomics.load(i32, word);
    if (seen === 0) {
      if (Atomics.compareExchange(i32, word, 0, ownerId) === 0) break;
      continue;
    }
    Atomics.wait(i32, word, seen);
  }
  Atomics.sub(i32, sleepers, 1);
}

export function tryLockWord(i32: Int32Array, word: number, ownerId: number): boolean {
  return Atomics.compareExchange(i32, word, 0, ownerId) === 0;
}

export function unlockWord(i32: Int32Array, word: number, ownerId: number): void {
  const previous = Atomics.compareExchange(i32, word, ownerId, 0);
  // Not assert(): its message would be built on every unlock, the hottest call of all.
  if (previous !== ownerId) throw new ShmAssertionError(`mutex: unlock by ${ownerId} of a lock held by ${previous}`);
  if (Atomics.load(i32, word + 1) > 0) Atomics.notify(i32, word, 1);
}

/** Opens a lock held by `ownerId` (a thread that died holding it). Returns whether it was held. */
export function forceUnlockWord(i32: Int32Array, word: number, ownerId: number): boolean {
  if (Atomics.compareExchange(i32, word, ownerId, 0) !== ownerId) return false;
  Atomics.notify(i32, word, 1);
  return true;
}
