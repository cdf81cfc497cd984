// Counters of a node that several threads add to and the API reads without a message: one
// SharedArrayBuffer of signed 64-bit words, each changed only with Atomics, so that an
// increment from a worker thread and one from the primary never lose each other. The
// primary creates it before any thread starts; each thread attaches to its handle.
//
// Layout (i64 words): NODE_WORDS node-wide words (below), then LIMIT_REQ_WORDS per
// limit_req zone, in the order of the handle's zone names.

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
}

export class NodeCounters {
  readonly handle: NodeCountersHandle;
  private readonly words: BigInt64Array;
  private readonly limitReqBase = new Map<string, number>();

  static create(limitReqZones: readonly string[]): NodeCounters {
    const buffer = new SharedArrayBuffer((NODE_WORDS + LIMIT_REQ_WORDS * limitReqZones.length) * 8);
    return new NodeCounters({ buffer, limitReqZones: [...limitReqZones] });
  }

  static attach(handle: NodeCountersHandle): NodeCounters {
    return new NodeCounters(handle);
  }

  private constructor(handle: NodeCountersHandle) {
    this.handle = handle;
    this.words = new BigInt64Array(handle.buffer);
    handle.limitReqZones.forEach((name, i) => this.limitReqBase.set(name, NODE_WORDS + i * LIMIT_REQ_WORDS));
  }

  add(word: number, by = 1): void {
    Atomics.add(this.words, word, BigInt(by));
  }

  read(word: number): number {
    return Number(Atomics.load(this.words, word));
  }

  clear(word: number): void {
    Atomics.store(this.words, word, 0n);
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
