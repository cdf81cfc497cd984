import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { CounterState, CounterZone } from '../zones/counter/counter-zone.js';
import { counterZoneOf, type CounterZoneInput } from './counter-of.js';

export interface FastifyStoreOptions {
  /** The counter zone that holds the hits: created in one thread, attached (or its handle passed) in the others. */
  zone: CounterZoneInput;
  /** Put before every key, so that several plugins can share one zone; default ''. */
  prefix?: string;
}

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** What a store acts on: the plugin's (or a route's) continueExceeding and exponentialBackoff. */
interface Behaviour {
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
}

/** The plugin's options merged with a route's, as the plugin gives them to child(). */
type RouteParams = Behaviour & { routeInfo?: { method?: string | string[]; url?: string } };

/** The longest block the zone takes, ms. */
const MAX_BLOCK_MS = 2 ** 40;

/**
 * A store for @fastify/rate-limit on a counter zone (`zonesync/fastify-rate-limit`):
 * `store: fastifyRateLimitStore({ zone })` gives the plugin the constructor it instantiates.
 * Every thread of a node, and with a synced zone every node, counts a client's hits
 * together, atomically, in fixed windows of the route's `timeWindow` that every node computes
 * alike (each key has its own offset within the window). Each route with its own rate limit
 * counts apart (`child`, keyed by method and URL). `continueExceeding` and
 * `exponentialBackoff` block the key, for the whole cluster, for the time the plugin's own
 * store would restart its window with.
 */
export function fastifyRateLimitStore(options: FastifyStoreOptions): FastifyRateLimitStoreCtor {
  const zone = counterZoneOf(options?.zone, 'zonesync/fastify-rate-limit');
  const prefix = options.prefix ?? '';
  return class ZonesyncFastifyStore extends ZonesyncRouteStore {
    constructor(params: FastifyRateLimitOptions) {
      super(zone, prefix, params);
    }
  };
}

class ZonesyncRouteStore implements FastifyRateLimitStore {
  private children = 0;

  constructor(private readonly zone: CounterZone, private readonly prefix: string, private readonly behaviour: Behaviour) {}

  incr(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.answer(callback, () => {
      const k = this.prefix + key;
      const state = this.zone.add(k, 1, { window: timeWindow });
      const current = this.current(state, max);
      if (current > max && (this.behaviour.continueExceeding || this.behaviour.exponentialBackoff)) {
        // The plugin's own store restarts the window from now: the key is blocked that long.
        const span = this.behaviour.continueExceeding ? timeWindow : timeWindow * 2 ** (current - max - 1);
        const blocked = this.zone.block(k, Math.max(1, Math.min(MAX_BLOCK_MS, span)), { window: timeWindow });
        return { current, ttl: blocked.blockedUntilMs - this.zone.now() };
      }
      return { current, ttl: this.ttl(state) };
    });
  }

  /** The plugin's `{ increment: false }`: the key's state, changing nothing. */
  read(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.answer(callback, () => {
      const state = this.zone.get(this.prefix + key, { window: timeWindow });
      const current = this.current(state, max);
      return current === 0 ? { current: 0, ttl: 0 } : { current, ttl: this.ttl(state) };
    });
  }

  /**
   * The store of a route with its own rate limit. The plugin passes its options merged with the
   * route's (not the RouteOptions its types name): continueExceeding, exponentialBackoff and
   * routeInfo, the route's method and URL.
   */
  child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
    const params = routeOptions as unknown as RouteParams;
    const route = params.routeInfo;
    // The same routes in the same order on every thread and node: the same keys everywhere.
    const name = route?.url === undefined ? `#${++this.children}` : `${[route.method ?? ''].flat().join(',')} ${route.url}`;
    return new ZonesyncRouteStore(this.zone, `${this.prefix}${name}\n`, params);
  }

  /** A blocked key counts as over the limit, whatever its window holds. */
  private current(state: CounterState, max: number): number {
    return state.blockedUntilMs > 0 ? Math.max(state.value, max + 1) : state.value;
  }

  private ttl(state: CounterState): number {
    const until = state.blockedUntilMs > 0 ? state.blockedUntilMs : state.resetAtMs;
    return until === 0 ? 0 : Math.max(0, until - this.zone.now());
  }

  private answer(callback: Callback, run: () => { current: number; ttl: number }): void {
    let result: { current: number; ttl: number };
    try {
      result = run();
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, result);
  }
}
