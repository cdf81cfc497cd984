/**
 * The changing state of an upstream group's servers, as nginx's round-robin balancer keeps
 * it per peer: current and effective weight, failures and their times, connections. An
 * upstream without `zone` keeps it per thread (nginx: per worker process); one with `zone`
 * keeps it in a SharedArrayBuffer that every serving thread of the node attaches, under a
 * lock word (nginx: the zone's shared memory and its lock).
 */

import { withLock } from './shared-lock.js';

/* Per peer, f64 words. */
const CURRENT_WEIGHT = 0;
const EFFECTIVE_WEIGHT = 1;
const FAILS = 2;
/** When the peer's failure window started (nginx's `checked`), ms since the epoch. */
const CHECKED_MS = 3;
/** When the peer last failed (nginx's `accessed`). */
const ACCESSED_MS = 4;
const CONNS = 5;
const WORDS_PER_PEER = 8;

/* The lock word lives in the first 8 bytes of a shared buffer; the peers follow. */
const HEADER_BYTES = 8;

export interface PeerStateField {
  currentWeight: number;
  effectiveWeight: number;
  fails: number;
  checkedMs: number;
  accessedMs: number;
  conns: number;
}

export class PeerState {
  private readonly words: Float64Array;
  private readonly lockWord: Int32Array | null;

  /** Bytes of a shared buffer for `peers` servers. */
  static sharedBytes(peers: number): number {
    return HEADER_BYTES + peers * WORDS_PER_PEER * 8;
  }

  /** A state only this thread sees; `weights` are the servers' configured weights. */
  static local(weights: readonly number[]): PeerState {
    const state = new PeerState(new ArrayBuffer(PeerState.sharedBytes(weights.length)), false);
    state.initialize(weights);
    return state;
  }

  /** A new shared state, to be attached in other threads with `attach`. */
  static createShared(weights: readonly number[]): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(PeerState.sharedBytes(weights.length));
    new PeerState(buffer, true).initialize(weights);
    return buffer;
  }

  static attach(buffer: SharedArrayBuffer): PeerState {
    return new PeerState(buffer, true);
  }

  private constructor(buffer: ArrayBuffer | SharedArrayBuffer, shared: boolean) {
    this.words = new Float64Array(buffer, HEADER_BYTES);
    this.lockWord = shared ? new Int32Array(buffer, 0, 1) : null;
  }

  private initialize(weights: readonly number[]): void {
    weights.forEach((weight, i) => {
      this.words[i * WORDS_PER_PEER + EFFECTIVE_WEIGHT] = weight;
    });
  }

  /** Runs `change` with the state to itself: under the lock when shared. `change` must not throw midway. */
  locked<T>(change: () => T): T {
    return this.lockWord === null ? change() : withLock(this.lockWord, change);
  }

  get(peer: number, field: keyof PeerStateField): number {
    return this.words[peer * WORDS_PER_PEER + OFFSET[field]]!;
  }

  set(peer: number, field: keyof PeerStateField, value: number): void {
    this.words[peer * WORDS_PER_PEER + OFFSET[field]] = value;
  }
}

const OFFSET: Readonly<Record<keyof PeerStateField, number>> = {
  currentWeight: CURRENT_WEIGHT, effectiveWeight: EFFECTIVE_WEIGHT, fails: FAILS, checkedMs: CHECKED_MS, accessedMs: ACCESSED_MS, conns: CONNS,
};
