// The share of the node's gauges each serving worker holds: the connections it has open
// (active, idle) and the requests it is answering. A thread that dies never closes them,
// so each thread also adds its own changes to a slot of its own, and the primary gives a
// dead thread's share back (subtracts it from the node's counters) before a replacement
// takes the slot. Counters that only grow (accepted, total) stay as they are.

import type { TrafficCounters } from './http-traffic.js';
import { N_CONNECTIONS_ACTIVE, N_CONNECTIONS_IDLE, N_REQUESTS_CURRENT, type NodeCounters } from './node-counters.js';

const GAUGES = [N_CONNECTIONS_ACTIVE, N_CONNECTIONS_IDLE, N_REQUESTS_CURRENT] as const;

export class ThreadGauges {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;

  /** One slot per serving worker. */
  static create(slots: number): ThreadGauges {
    return new ThreadGauges(new SharedArrayBuffer(slots * GAUGES.length * 4));
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
        const i = GAUGES.indexOf(word as (typeof GAUGES)[number]);
        if (i >= 0) Atomics.add(this.words, slot * GAUGES.length + i, by);
      },
    };
  }

  /** Gives back what slot `slot`'s thread held (it has exited): the node's gauges drop by its share, the slot is empty again. */
  release(slot: number, counters: NodeCounters): void {
    GAUGES.forEach((word, i) => {
      const held = Atomics.exchange(this.words, slot * GAUGES.length + i, 0);
      if (held !== 0) counters.add(word, -held);
    });
  }
}
