import { createRequire } from 'node:module';
import type { RateLimiterAbstract as RateLimiterAbstractClass, RateLimiterRes as RateLimiterResClass } from 'rate-limiter-flexible';
import type { CounterState, CounterZone } from '../zones/counter/counter-zone.js';
import { counterZoneOf, type CounterZoneInput } from './counter-of.js';

// rate-limiter-flexible is CommonJS, and its index does not export RateLimiterAbstract, the
// base class its limiters extend and its wrappers (RateLimiterUnion, RLWrapperBlackAndWhite,
// insurance limiters) check for: it is taken from the file the index's own limiters load.
const require = createRequire(import.meta.url);
const RateLimiterAbstract = require('rate-limiter-flexible/lib/RateLimiterAbstract.js') as typeof RateLimiterAbstractClass;
const { RateLimiterRes } = require('rate-limiter-flexible') as { RateLimiterRes: typeof RateLimiterResClass };

export interface RateLimiterZonesyncOptions {
  /** The counter zone that holds the points: created in one thread, attached (or its handle passed) in the others. */
  zone: CounterZoneInput;
  /** Points a key may consume per duration (whole numbers). */
  points: number;
  /** Seconds before consumed points are reset; 0: never. */
  duration: number;
  /** Seconds to block a key that consumed more than `points`; default 0, none. */
  blockDuration?: number;
  execEvenly?: boolean;
  execEvenlyMinDelayMs?: number;
  /** Put before every key, with ':' (default 'rlflx'); '' for none. */
  keyPrefix?: string;
}

/** The longest block the zone takes, ms: a block of 0 s ("forever") lasts this long. */
const FOREVER_MS = 2 ** 40;

type Options = { customDuration?: number } | undefined;

/**
 * A rate-limiter-flexible limiter on a counter zone (`zonesync/rate-limiter-flexible`): the
 * contract of RateLimiterAbstract (consume, penalty, reward, get, set, block, delete,
 * resolving or rejecting with RateLimiterRes), with every thread of a node, and with a synced
 * zone every node, consuming from one count per key, atomically. Points are counted in fixed
 * windows of `duration` that every node computes alike (each key has its own offset within
 * the window), so `msBeforeNext` runs to the end of the current window rather than to
 * `duration` after the key's first point. A block holds for the whole cluster, and a blocked
 * key consumes nothing (its consumedPoints stay points + 1); `delete` resets the key for the
 * whole cluster. Points are whole numbers: consume, penalty, reward and set reject any other
 * with a TypeError, at once and changing nothing (RateLimiterMemory would silently count
 * 1.5 points as 1).
 */
export class RateLimiterZonesync extends RateLimiterAbstract {
  readonly zone: CounterZone;

  constructor(options: RateLimiterZonesyncOptions) {
    super(options);
    this.zone = counterZoneOf(options?.zone, 'zonesync/rate-limiter-flexible');
  }

  override consume(key: string | number, pointsToConsume = 1, options: Options = {}): Promise<RateLimiterResClass> {
    return new Promise((resolve, reject) => {
      wholePoints(pointsToConsume, 'consume');
      const rlKey = this.getKey(key);
      const windowMs = this.windowMsOf(options);
      // A blocked key is refused without counting: when the block ends, it starts again from 0.
      const state = this.zone.add(rlKey, pointsToConsume, { window: windowMs, countWhileBlocked: false });
      const res = this.resOf(state, state.value === pointsToConsume);
      if (res.consumedPoints > this.points) {
        // Block a key not blocked yet. (The library blocks only when this consume is the one that
        // went over; across nodes the first refusal a node sees may be a step further.)
        if (this.blockDuration > 0 && state.blockedUntilMs === 0) {
          this.blockFor(rlKey, this.msBlockDuration, windowMs);
          setMsBeforeNext(res, this.msBlockDuration);
        }
        reject(res);
      } else if (this.execEvenly && this.points > 0 && res.msBeforeNext > 0 && !res.isFirstInDuration) {
        let delay = Math.ceil(res.msBeforeNext / (res.remainingPoints + 2));
        if (delay < this.execEvenlyMinDelayMs) delay = res.consumedPoints * this.execEvenlyMinDelayMs;
        setMsBeforeNext(res, Math.max(res.msBeforeNext - delay, 0));
        setTimeout(resolve, delay, res);
      } else {
        resolve(res);
      }
    });
  }

  override penalty(key: string | number, points = 1, options: Options = {}): Promise<RateLimiterResClass> {
    return this.run(() => this.resOf(this.zone.add(this.getKey(key), wholePoints(points, 'penalty'), { window: this.windowMsOf(options) }), false));
  }

  override reward(key: string | number, points = 1, options: Options = {}): Promise<RateLimiterResClass> {
    return this.run(() => this.resOf(this.zone.add(this.getKey(key), -wholePoints(points, 'reward'), { window: this.windowMsOf(options) }), false));
  }

  /** The key's points, or null when it has none and is not blocked. */
  override get(key: string | number, options: Options = {}): Promise<RateLimiterResClass | null> {
    return this.run(() => {
      const state = this.zone.get(this.getKey(key), { window: this.windowMsOf(options) });
      return state.value === 0 && state.blockedUntilMs === 0 ? null : this.resOf(state, false);
    });
  }

  /** Sets the key's points in its current window (the window stays the key's: `secDuration` does not move it). */
  override set(key: string | number, points: number, secDuration: number, options: Options = {}): Promise<RateLimiterResClass> {
    return this.run(() => {
      wholePoints(points, 'set');
      const rlKey = this.getKey(key);
      const window = this.windowMsOf(secDuration >= 0 ? { customDuration: secDuration } : options);
      this.zone.reset(rlKey, { window });
      return this.resOf(this.zone.add(rlKey, points, { window }), true);
    });
  }

  /**
   * Blocks the key for `secDuration` seconds (0: for good), for the whole cluster, until
   * delete(); when the block ends the key starts again from 0, as the library's own limiters do.
   */
  override block(key: string | number, secDuration: number, options: Options = {}): Promise<RateLimiterResClass> {
    return this.run(() => {
      const ms = Math.round(secDuration * 1000);
      this.blockFor(this.getKey(key), ms === 0 ? FOREVER_MS : ms, this.windowMsOf(options));
      return new RateLimiterRes(0, ms === 0 ? -1 : ms, this.points + 1);
    });
  }

  /** The key's points dropped and the key blocked, in one write: the library's block is a new record of points + 1 for that long. */
  private blockFor(rlKey: string, ms: number, windowMs: number): void {
    this.zone.block(rlKey, ms, { window: windowMs, reset: true });
  }

  /** Resets the key for the whole cluster, lifting its block; false when it had nothing. */
  override delete(key: string | number, options: Options = {}): Promise<boolean> {
    return this.run(() => this.zone.reset(this.getKey(key), { window: this.windowMsOf(options) }));
  }

  private resOf(state: CounterState, isFirstInDuration: boolean): RateLimiterResClass {
    const blocked = state.blockedUntilMs > 0;
    const consumed = blocked ? Math.max(state.value, this.points + 1) : state.value;
    const until = blocked ? state.blockedUntilMs : state.resetAtMs;
    const msBeforeNext = until === 0 ? -1 : Math.max(0, until - this.zone.now());
    return new RateLimiterRes(Math.max(this.points - consumed, 0), msBeforeNext, consumed, isFirstInDuration && !blocked);
  }

  /** The window of an operation: the limiter's duration, or the operation's customDuration. */
  private windowMsOf(options: Options): number {
    const custom = options?.customDuration;
    return Math.round((typeof custom === 'number' && custom >= 0 ? custom : this.duration) * 1000);
  }

  private run<T>(operation: () => T): Promise<T> {
    return new Promise((resolve) => resolve(operation()));
  }
}

/** `points` when a whole number (the counter zone counts whole points); else the TypeError of `method`. */
function wholePoints(points: unknown, method: string): number {
  if (typeof points === 'number' && Number.isSafeInteger(points)) return points;
  const shown = typeof points === 'string' ? JSON.stringify(points) : String(points);
  throw new TypeError(`RateLimiterZonesync.${method}: points must be a whole number (a counter zone counts whole points), not ${shown}`);
}

function setMsBeforeNext(res: RateLimiterResClass, ms: number): void {
  (res as { msBeforeNext: number }).msBeforeNext = ms;
}
