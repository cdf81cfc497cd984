import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import type { CounterZone } from '../zones/counter/counter-zone.js';
import { counterZoneOf, type CounterZoneInput } from './counter-of.js';

export interface ZonesyncStoreOptions {
  /** The counter zone that holds the hits: created in one thread, attached (or its handle passed) in the others. */
  zone: CounterZoneInput;
  /** Put before every key, so that several limiters can share one zone; default ''. */
  prefix?: string;
}

/**
 * An express-rate-limit `Store` on a counter zone (`zonesync/express-rate-limit`): every thread
 * of a node, and with a synced zone every node, counts a client's hits together, atomically.
 * A client's hits are counted in fixed windows of the limiter's `windowMs`, which every node
 * computes alike (each key has its own offset within the window), so `resetTime` is the end
 * of the current window rather than `windowMs` after the client's first hit. `decrement`
 * (skipSuccessfulRequests, skipFailedRequests) never takes a count below 0; `resetKey` and
 * `resetAll` reach every node.
 */
export class ZonesyncStore implements Store {
  readonly zone: CounterZone;
  readonly prefix: string;
  /** Hits counted here are seen by every other instance on the same zone: not local. */
  readonly localKeys = false;
  private windowMs = 60_000;

  constructor(options: ZonesyncStoreOptions) {
    this.zone = counterZoneOf(options?.zone, 'zonesync/express-rate-limit');
    this.prefix = options.prefix ?? '';
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  get(key: string): ClientRateLimitInfo | undefined {
    const state = this.zone.get(this.prefix + key, { window: this.windowMs });
    return state.value > 0 ? { totalHits: state.value, resetTime: new Date(state.resetAtMs) } : undefined;
  }

  increment(key: string): IncrementResponse {
    const state = this.zone.add(this.prefix + key, 1, { window: this.windowMs });
    // At least this hit: other nodes' decrements can leave the sum a step behind, and the limiter wants a positive count.
    return { totalHits: Math.max(1, state.value), resetTime: new Date(state.resetAtMs) };
  }

  decrement(key: string): void {
    this.zone.add(this.prefix + key, -1, { window: this.windowMs, min: 0 });
  }

  resetKey(key: string): void {
    this.zone.reset(this.prefix + key, { window: this.windowMs });
  }

  resetAll(): void {
    for (const key of this.zone.keys(this.prefix)) this.zone.reset(key, { window: this.windowMs });
  }
}
