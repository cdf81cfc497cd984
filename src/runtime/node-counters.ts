// Counters of a node that several threads add to and the API reads without a message: one
// SharedArrayBuffer of signed 64-bit words, each changed only with Atomics, so that an
// increment from a worker thread and one from the primary never lose each other. The
// primary creates it before any thread starts; each thread attaches to its handle.
//
// Layout (i64 words): replicas of one layout, each a whole number of 64-byte lines: the
// node's own (replica 0: the primary's adds), then one per serving worker slot. A layout:
// NODE_WORDS node-wide words (below), then LIMIT_REQ_WORDS per limit_req zone, in the order
// of the handle's zone names. A thread adds only to its replica, so that the lines several
// threads would add to every request never move between cores; a count is the sum of its
// word in every replica.

import type { ConnectionCounts, HttpRequestCounts } from '../api/node-status.js';
import type { LimitReqCounts } from '../api/limit-reqs.js';

/** HTTP client connections accepted, ever. */
export const N_CONNECTIONS_ACCEPTED = 0;
/** HTTP client connections with a request in progress, or not yet past their first request. */
export const N_CONNECTIONS_ACTIVE = 1;
/** HTTP client connections open between two requests. */
export const N_CONNECTIONS_IDLE = 2;
export const N_REQUESTS_TOTAL = 3;
export const N_REQUESTS_CURRENT = 4;
/** Worker threads that exited abnormally and were replaced. */
export const N_RESPAWNED = 5;
const NODE_WORDS = 8;

/** What a limit_req zone did with a request, one word each, in this order. */
export const LIMIT_REQ_OUTCOMES = ['passed', 'delayed', 'rejected', 'delayed_dry_run', 'rejected_dry_run'] as const;
export type LimitReqOutcome = (typeof LIMIT_REQ_OUTCOMES)[number];
const LIMIT_REQ_WORDS = LIMIT_REQ_OUTCOMES.length;

/** Structured-clonable: what another thread attaches with. */
export interface NodeCountersHandle {
  readonly buffer: SharedArrayBuffer;
  readonly limitReqZones: readonly string[];
  /** Serving worker slots, each with a replica of its own after the node's. */
  readonly slots: number;
}

/** What one serving thread counted: its connections and requests, as one NGINX Plus worker's. */
export interface ThreadCounts {
  readonly accepted: number;
  readonly active: number;
  readonly idle: number;
  readonly requests: number;
  readonly current: number;
}

const WORDS_PER_LINE = 8;
const ONE = 1n;
const MINUS_ONE = -1n;
/** Gauges, which a slot's thread holds while it lives; the other words only grow and outlive it. */
const GAUGES = [N_CONNECTIONS_ACTIVE, N_CONNECTIONS_IDLE, N_REQUESTS_CURRENT] as const;

export class NodeCounters {
  readonly handle: NodeCountersHandle;
  private readonly words: BigInt64Array;
  private readonly limitReqBase = new Map<string, number>();
  /** Words of one replica. */
  private readonly stride: number;
  /** Where this thread's adds go: the first word of its replica. */
  private readonly own: number;

  /** `slots`: serving worker threads that will attach with a slot of their own (attach). */
  static create(limitReqZones: readonly string[], slots = 0): NodeCounters {
    const stride = strideOf(limitReqZones.length);
    const buffer = new SharedArrayBuffer((1 + slots) * stride * 8);
    return new NodeCounters({ buffer, limitReqZones: [...limitReqZones], slots }, null);
  }

  /** `slot`: the serving worker slot whose replica this thread adds to; null: the node's own. */
  static attach(handle: NodeCountersHandle, slot: number | null = null): NodeCounters {
    if (slot !== null && !(Number.isInteger(slot) && slot >= 0 && slot < handle.slots)) throw new RangeError(`no counter slot ${slot} of ${handle.slots}`);
    return new NodeCounters(handle, slot);
  }

  private constructor(handle: NodeCountersHandle, slot: number | null) {
    this.handle = handle;
    this.words = new BigInt64Array(handle.buffer);
    this.stride = strideOf(handle.limitReqZones.length);
    this.own = slot === null ? 0 : (1 + slot) * this.stride;
    handle.limitReqZones.forEach((name, i) => this.limitReqBase.set(name, NODE_WORDS + i * LIMIT_REQ_WORDS));
  }

  add(word: number, by = 1): void {
    // BigInt(by) is a new heap object each time; the ±1 of every request are constants.
    Atomics.add(this.words, this.own + word, by === 1 ? ONE : by === -1 ? MINUS_ONE : BigInt(by));
  }

  /** The count: the word of every replica, summed. */
  read(word: number): number {
    let sum = 0n;
    for (let at = word; at < this.words.length; at += this.stride) sum += Atomics.load(this.words, at);
    return Number(sum);
  }

  /** Zeroes a count: its word in every replica. */
  clear(word: number): void {
    for (let at = word; at < this.words.length; at += this.stride) Atomics.store(this.words, at, 0n);
  }

  /**
   * Gives back what slot `slot`'s thread held (it has exited): its gauges (connections
   * active and idle, requests current) drop out of the node's; what only grows stays in the
   * node's counts but moves to the node's own replica, so that the slot's next thread counts
   * its own from 0 (as a new nginx worker process does, /workers).
   */
  releaseSlot(slot: number): void {
    const base = (1 + slot) * this.stride;
    for (let word = 0; word < this.stride; word++) {
      const held = Atomics.exchange(this.words, base + word, 0n);
      if (held !== 0n && !(GAUGES as readonly number[]).includes(word)) Atomics.add(this.words, word, held);
    }
  }

  /** What each serving worker slot's thread counted, slot 0 first: one NGINX Plus worker's connections and requests. */
  perSlot(): ThreadCounts[] {
    return Array.from({ length: this.handle.slots }, (_, slot) => {
      const base = (1 + slot) * this.stride;
      const w = (word: number): number => Number(Atomics.load(this.words, base + word));
      return {
        accepted: w(N_CONNECTIONS_ACCEPTED), active: w(N_CONNECTIONS_ACTIVE), idle: w(N_CONNECTIONS_IDLE),
        requests: w(N_REQUESTS_TOTAL), current: w(N_REQUESTS_CURRENT),
      };
    });
  }

  /** Counts one request a zone judged; a zone this node does not have is ignored. */
  countLimitReq(zone: string, outcome: LimitReqOutcome): void {
    const word = this.limitReqWord(zone, outcome);
    if (word >= 0) this.add(word);
  }

  /** The word counting `outcome` of `zone` (for add), found once rather than per request; -1: a zone this node does not have. */
  limitReqWord(zone: string, outcome: LimitReqOutcome): number {
    const base = this.limitReqBase.get(zone);
    return base === undefined ? -1 : base + LIMIT_REQ_OUTCOMES.indexOf(outcome);
  }

  /** Every limit_req zone's counts, in the configuration's order. */
  limitReqCounts(): Map<string, LimitReqCounts> {
    const out = new Map<string, LimitReqCounts>();
    for (const [name, base] of this.limitReqBase) {
      const c = Object.fromEntries(LIMIT_REQ_OUTCOMES.map((o, i) => [o, this.read(base + i)])) as unknown as LimitReqCounts;
      out.set(name, c);
    }
    return out;
  }

  /** Zeroes a zone's counts; false when there is no such zone. */
  resetLimitReq(zone: string): boolean {
    const base = this.limitReqBase.get(zone);
    if (base === undefined) return false;
    for (let i = 0; i < LIMIT_REQ_WORDS; i++) this.clear(base + i);
    return true;
  }

  connections(): ConnectionCounts {
    return {
      accepted: this.read(N_CONNECTIONS_ACCEPTED), dropped: 0,
      active: this.read(N_CONNECTIONS_ACTIVE), idle: this.read(N_CONNECTIONS_IDLE),
    };
  }

  httpRequests(): HttpRequestCounts {
    return { total: this.read(N_REQUESTS_TOTAL), current: this.read(N_REQUESTS_CURRENT) };
  }
}

/** Words of one replica: the layout, rounded up to whole 64-byte lines. */
function strideOf(limitReqZones: number): number {
  const words = NODE_WORDS + LIMIT_REQ_WORDS * limitReqZones;
  return Math.ceil(words / WORDS_PER_LINE) * WORDS_PER_LINE;
}
