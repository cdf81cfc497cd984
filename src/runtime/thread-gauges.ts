// The share of the node's gauges each serving worker holds: the connections it has open
// (active, idle) and the requests it is answering. A thread that dies never closes them,
// so each thread also adds its own changes to a slot of its own, and the primary gives a
// dead thread's share back (subtracts it from the node's counters) before a replacement
// takes the slot. The node's counters that only grow (accepted, total) stay as they are;
// each slot also counts its own thread's, for /workers, and starts them anew for a
// replacement thread (as a new nginx worker process starts from 0).

import type { TrafficCounters } from './http-traffic.js';
import {
  N_CONNECTIONS_ACCEPTED, N_CONNECTIONS_ACTIVE, N_CONNECTIONS_IDLE, N_REQUESTS_CURRENT, N_REQUESTS_TOTAL, type NodeCounters,
} from './node-counters.js';

const GAUGES = [N_CONNECTIONS_ACTIVE, N_CONNECTIONS_IDLE, N_REQUESTS_CURRENT] as const;
const TOTALS = [N_CONNECTIONS_ACCEPTED, N_REQUESTS_TOTAL] as const;
const COUNTED: readonly number[] = [...GAUGES, ...TOTALS];

/** What one serving thread counted: its connections and requests, as one NGINX Plus worker's. */
export interface ThreadCounts {
  readonly accepted: number;
  readonly active: number;
  readonly idle: number;
  readonly requests: number;
  readonly current: number;
}

export class ThreadGauges {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;

  /** One slot per serving worker. */
  static create(slots: number): ThreadGauges {
    return new ThreadGauges(new SharedArrayBuffer(slots * COUNTED.length * 4));
  }

  static attach(buffer: SharedArrayBuffer): ThreadGauges {
    return new ThreadGauges(buffer);
  }

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
  }

  /** The node's counters as slot `slot`'s thread changes them: every change, and its own share of the gauges. */
  countingFor(slot: number, counters: NodeCounters): TrafficCounters {
    return {
      add: (word, by = 1) => {
        counters.add(word, by);
        const i = COUNTED.indexOf(word);
        if (i >= 0) Atomics.add(this.words, slot * COUNTED.length + i, by);
      },
    };
  }

  /** Gives back what slot `slot`'s thread held (it has exited): the node's gauges drop by its share, the slot is empty again. */
  release(slot: number, counters: NodeCounters): void {
    COUNTED.forEach((word, i) => {
      const held = Atomics.exchange(this.words, slot * COUNTED.length + i, 0);
      if (held !== 0 && (GAUGES as readonly number[]).includes(word)) counters.add(word, -held);
    });
  }

  /** Each slot's counts, slot 0 first. */
  perThread(): ThreadCounts[] {
    const slots = this.words.length / COUNTED.length;
    return Array.from({ length: slots }, (_, slot) => {
      const w = (word: number): number => Atomics.load(this.words, slot * COUNTED.length + COUNTED.indexOf(word));
      return {
        accepted: w(N_CONNECTIONS_ACCEPTED), active: w(N_CONNECTIONS_ACTIVE), idle: w(N_CONNECTIONS_IDLE),
        requests: w(N_REQUESTS_TOTAL), current: w(N_REQUESTS_CURRENT),
      };
    });
  }

  /** DELETE /workers: every slot's totals back to 0 (the gauges stay). */
  resetTotals(): void {
    const slots = this.words.length / COUNTED.length;
    for (let slot = 0; slot < slots; slot++) {
      for (const word of TOTALS) Atomics.store(this.words, slot * COUNTED.length + COUNTED.indexOf(word), 0);
    }
  }
}
