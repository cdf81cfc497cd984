/**
 * What each server of an upstream block did, for the whole node: the counters of the NGINX
 * Plus API's /http/upstreams/ (requests, responses by status code, active requests, bytes,
 * failures, times it became unavailable) and until when the balancer leaves it out. One
 * SharedArrayBuffer per upstream block, made by the primary; every serving thread adds to it
 * under its lock word, and the thread that answers the API reads it.
 */

import type { PeerTraffic } from '../api/upstreams.js';
import { withLock } from './shared-lock.js';

/* Per peer, f64 words. */
const REQUESTS = 0;
const ACTIVE = 1;
const SENT = 2;
const RECEIVED = 3;
const FAILS = 4;
const UNAVAIL = 5;
/** ms since the epoch until which the balancer leaves the server out (max_fails reached). */
const UNAVAILABLE_UNTIL_MS = 6;
/** When the server was last chosen, ms since the epoch. */
const SELECTED_MS = 7;
/** Answers timed, and the sums of their times to the header and to the end, in ms. */
const TIMED = 8;
const HEADER_TIME_SUM = 9;
const RESPONSE_TIME_SUM = 10;
/**
 * The server's time left out ("unavail"), as NGINX Plus's downtime and downstart: when the
 * latest period began (0: none yet), and the length of the periods before it. A period ends
 * at UNAVAILABLE_UNTIL_MS; a failure within it extends it rather than starting another.
 */
const DOWN_START_MS = 11;
const DOWNTIME_BEFORE_MS = 12;
const FIXED_WORDS = 13;
/* Then one word per status code from 100 to 599. */
const FIRST_CODE = 100;
const CODES = 500;
const WORDS_PER_PEER = FIXED_WORDS + CODES;
const HEADER_BYTES = 8;

/** A server's counters as read at one time: the API's PeerTraffic, and until when it is left out. */
export interface PeerCounts extends PeerTraffic {
  readonly unavailableUntilMs: number;
}

/** How long an answer took: to its header, and to its end. */
export interface AnswerTimes {
  readonly headerMs: number;
  readonly responseMs: number;
}

export class UpstreamCounters {
  private readonly words: Float64Array;
  private readonly lockWord: Int32Array;
  readonly peers: number;

  /** A new buffer for an upstream block of `peers` servers. */
  static create(peers: number): SharedArrayBuffer {
    return new SharedArrayBuffer(HEADER_BYTES + Math.max(1, peers) * WORDS_PER_PEER * 8);
  }

  constructor(buffer: SharedArrayBuffer) {
    this.lockWord = new Int32Array(buffer, 0, 1);
    this.words = new Float64Array(buffer, HEADER_BYTES);
    this.peers = Math.floor(this.words.length / WORDS_PER_PEER);
  }

  private locked(change: () => void): void {
    withLock(this.lockWord, change);
  }

  private add(peer: number, word: number, n: number): void {
    this.words[peer * WORDS_PER_PEER + word]! += n;
  }

  /** A try of a request starts on the server. */
  started(peer: number): void {
    this.locked(() => {
      this.add(peer, REQUESTS, 1);
      this.add(peer, ACTIVE, 1);
      this.words[peer * WORDS_PER_PEER + SELECTED_MS] = Date.now();
    });
  }

  /** The try ended: `status` the answer's (0: none), the bytes that went each way, whether it failed, how long a whole answer took. */
  finished(peer: number, status: number, sent: number, received: number, failed: boolean, times: AnswerTimes | null): void {
    this.locked(() => {
      this.add(peer, ACTIVE, -1);
      if (times !== null) {
        this.add(peer, TIMED, 1);
        this.add(peer, HEADER_TIME_SUM, times.headerMs);
        this.add(peer, RESPONSE_TIME_SUM, times.responseMs);
      }
      this.add(peer, SENT, sent);
      this.add(peer, RECEIVED, received);
      if (failed) this.add(peer, FAILS, 1);
      if (status >= FIRST_CODE && status < FIRST_CODE + CODES) this.add(peer, FIXED_WORDS + status - FIRST_CODE, 1);
    });
  }

  /** The balancer left the server out after max_fails failures, from `nowMs` until `untilMs`. */
  unavailable(peer: number, untilMs: number, nowMs = Date.now()): void {
    this.locked(() => {
      const base = peer * WORDS_PER_PEER;
      this.add(peer, UNAVAIL, 1);
      const until = this.words[base + UNAVAILABLE_UNTIL_MS]!;
      const start = this.words[base + DOWN_START_MS]!;
      if (start === 0 || until <= nowMs) {
        if (start > 0) this.words[base + DOWNTIME_BEFORE_MS]! += Math.max(0, until - start);
        this.words[base + DOWN_START_MS] = nowMs;
      }
      this.words[base + UNAVAILABLE_UNTIL_MS] = Math.max(until, untilMs);
    });
  }

  read(peer: number, nowMs = Date.now()): PeerCounts {
    const base = peer * WORDS_PER_PEER;
    let counts!: PeerCounts;
    this.locked(() => {
      const codes = new Map<number, number>();
      for (let c = 0; c < CODES; c++) {
        const n = this.words[base + FIXED_WORDS + c]!;
        if (n > 0) codes.set(FIRST_CODE + c, n);
      }
      const w = (word: number): number => this.words[base + word]!;
      const timed = w(TIMED);
      const start = w(DOWN_START_MS);
      const down = start > 0 && w(UNAVAILABLE_UNTIL_MS) > nowMs;
      const latest = start === 0 ? 0 : Math.max(0, Math.min(nowMs, w(UNAVAILABLE_UNTIL_MS)) - start);
      counts = {
        active: w(ACTIVE), requests: w(REQUESTS), codes, sent: w(SENT), received: w(RECEIVED), fails: w(FAILS), unavail: w(UNAVAIL),
        unavailableUntilMs: w(UNAVAILABLE_UNTIL_MS), downtimeMs: w(DOWNTIME_BEFORE_MS) + latest,
        ...(down ? { downStartMs: start } : {}),
        ...(w(SELECTED_MS) > 0 ? { selectedMs: w(SELECTED_MS) } : {}),
        ...(timed > 0 ? { headerTimeMs: w(HEADER_TIME_SUM) / timed, responseTimeMs: w(RESPONSE_TIME_SUM) / timed } : {}),
      };
    });
    return counts;
  }

  /**
   * A reload changed the block's servers: `peer` here takes the totals of `fromPeer` in the
   * block's previous counters (the same server), its downtime included. Not its active
   * requests (those finish on the previous counters) nor its time left out (the balancer
   * starts anew): a period left out ends at the reload (`nowMs`), no downstart then.
   */
  carryOver(peer: number, from: UpstreamCounters, fromPeer: number, nowMs = Date.now()): void {
    let source!: Float64Array;
    from.locked(() => { source = from.words.slice(fromPeer * WORDS_PER_PEER, (fromPeer + 1) * WORDS_PER_PEER); });
    const start = source[DOWN_START_MS]!;
    if (start > 0) source[DOWNTIME_BEFORE_MS]! += Math.max(0, Math.min(nowMs, source[UNAVAILABLE_UNTIL_MS]!) - start);
    source[DOWN_START_MS] = 0;
    source[ACTIVE] = 0;
    source[UNAVAILABLE_UNTIL_MS] = 0;
    this.locked(() => this.words.set(source, peer * WORDS_PER_PEER));
  }

  /** DELETE /http/upstreams/NAME: the totals back to 0 (active requests and the balancer's view stay; a period left out goes on from now). */
  reset(nowMs = Date.now()): void {
    this.locked(() => {
      for (let p = 0; p < this.peers; p++) {
        const base = p * WORDS_PER_PEER;
        for (const word of [REQUESTS, SENT, RECEIVED, FAILS, UNAVAIL, TIMED, HEADER_TIME_SUM, RESPONSE_TIME_SUM, DOWNTIME_BEFORE_MS]) this.words[base + word] = 0;
        const down = this.words[base + UNAVAILABLE_UNTIL_MS]! > nowMs;
        this.words[base + DOWN_START_MS] = down ? nowMs : 0;
        this.words.fill(0, base + FIXED_WORDS, base + WORDS_PER_PEER);
      }
    });
  }
}
