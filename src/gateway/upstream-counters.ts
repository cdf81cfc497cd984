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
const FIXED_WORDS = 12;
/* Then one word per status code from 100 to 599. */
const FIRST_CODE = 100;
const CODES = 500;
const WORDS_PER_PEER = FIXED_WORDS + CODES;
const HEADER_BYTES = 8;

/** A server's counters as read: the API's PeerTraffic, and until when it is left out. */
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

  /** The balancer left the server out after max_fails failures, until `untilMs`. */
  unavailable(peer: number, untilMs: number): void {
    this.locked(() => {
      this.add(peer, UNAVAIL, 1);
      const i = peer * WORDS_PER_PEER + UNAVAILABLE_UNTIL_MS;
      this.words[i] = Math.max(this.words[i]!, untilMs);
    });
  }

  read(peer: number): PeerCounts {
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
      counts = {
        active: w(ACTIVE), requests: w(REQUESTS), codes, sent: w(SENT), received: w(RECEIVED), fails: w(FAILS), unavail: w(UNAVAIL),
        unavailableUntilMs: w(UNAVAILABLE_UNTIL_MS),
        ...(w(SELECTED_MS) > 0 ? { selectedMs: w(SELECTED_MS) } : {}),
        ...(timed > 0 ? { headerTimeMs: w(HEADER_TIME_SUM) / timed, responseTimeMs: w(RESPONSE_TIME_SUM) / timed } : {}),
      };
    });
    return counts;
  }

  /**
   * A reload changed the block's servers: `peer` here takes the totals of `fromPeer` in the
   * block's previous counters (the same server). Not its active requests (those finish on
   * the previous counters) nor its time left out (the balancer starts anew).
   */
  carryOver(peer: number, from: UpstreamCounters, fromPeer: number): void {
    let source!: Float64Array;
    from.locked(() => { source = from.words.slice(fromPeer * WORDS_PER_PEER, (fromPeer + 1) * WORDS_PER_PEER); });
    source[ACTIVE] = 0;
    source[UNAVAILABLE_UNTIL_MS] = 0;
    this.locked(() => this.words.set(source, peer * WORDS_PER_PEER));
  }

  /** DELETE /http/upstreams/NAME: the totals back to 0 (active requests and the balancer's view stay). */
  reset(): void {
    this.locked(() => {
      for (let p = 0; p < this.peers; p++) {
        const base = p * WORDS_PER_PEER;
        for (const word of [REQUESTS, SENT, RECEIVED, FAILS, UNAVAIL, TIMED, HEADER_TIME_SUM, RESPONSE_TIME_SUM]) this.words[base + word] = 0;
        this.words.fill(0, base + FIXED_WORDS, base + WORDS_PER_PEER);
      }
    });
  }
}
