import { MAX_RATE_MILLI_PER_SECOND, parseRate } from '../../config/units.js';
import { MODULE_LIMIT_REQ, ORIGIN_SUFFIX_BYTES } from '../descriptor.js';
import { ZoneArgumentError, ZoneFullError } from '../errors.js';
import { KeyGroup } from '../key-group.js';
import { timeMsOf, type TimeInput } from '../options.js';
import { compareStamp, type Stamp } from '../payload-bytes.js';
import { ZoneBase, type AttachZoneOptions, type ZoneBaseOptions, type ZoneHandleOf } from '../zone-base.js';
import { admittingWithin, horizonMsFor, rebasedSeen, unseenAllowance, viewOnArrival, type ShareView } from './cluster-view.js';
import { admits, delayMsFor, drainMilli, elapsedMs, keepMsFor, remainingAt, retryAfterMsFor } from './leaky-bucket.js';
import { SHARE_BYTES, emptyShare, readShare, writeShare, type Share } from './share-codec.js';
import { shareRoundMs } from './share-rounds.js';

/** A rate: nginx's "100r/s" or "30r/m", or requests per second (a fraction allowed, at least 0.001). */
export type RateInput = string | number;

export interface LimitReqZoneOptions extends ZoneBaseOptions {
  /** The rate of calls that give none: "100r/s", "30r/m", or requests per second. */
  rate: RateInput;
  /** Longest key in bytes (before the 4-byte origin); default 256. */
  maxKeyBytes?: number;
  /** The cluster's zone_sync_interval ("50ms", or ms; default 1s, nginx's): how late other nodes' shares can be. */
  syncInterval?: TimeInput;
}

/**
 * What a limit_req handle carries for other threads: nothing beyond the zone, whose rate
 * lives in the zone's header (setRate), where a reload changes it for every thread at once.
 */
export type LimitReqSettings = Readonly<Record<never, never>>;

export type LimitReqHandle = ZoneHandleOf<LimitReqSettings>;

/**
 * The limit a call is judged against: the bucket drains at `rate` and holds `burst` requests
 * beyond the one being judged. A key is meant to be judged with one rate and burst: a call
 * with another judges the bucket as if it had always had this call's.
 */
export interface LimitOptions {
  /** This call's rate (per-route limits): as the zone's `rate`; default the zone's. */
  rate?: RateInput;
  /** Requests allowed beyond the rate (default 0). */
  burst?: number;
}

/** nginx's `limit_req zone=… [burst=N] [nodelay | delay=N]`, and a request's cost. */
export interface TakeOptions extends LimitOptions {
  /** How many requests this one counts as: a whole number from 1 to 1,000,000 (default 1). */
  cost?: number;
  /** Requests beyond the rate served without delay (default 0); ignored with nodelay. */
  delay?: number;
  /** Serve every request within the burst at once. */
  nodelay?: boolean;
}

export interface TakeResult {
  /** false: over the limit, answer 503 (nginx's limit_req_status) or 429. */
  allowed: boolean;
  /** How long to hold an allowed request before serving it, in ms. */
  delayMs: number;
  /**
   * Requests in the bucket beyond the rate, as this node sees the cluster's, before this one
   * (nginx's excess; for a cost of c, the bucket with this request less one request).
   */
  excess: number;
  /**
   * Refused: in how many ms a request of the same cost would be admitted if nothing else
   * arrives (a Retry-After); Infinity for a cost above burst + 1, which is never admitted.
   * 0 when allowed.
   */
  retryAfterMs: number;
  /** Requests of cost 1 the bucket admits at once after this call, within the burst. */
  remaining: number;
}

/** At most this many other nodes' shares are read per key; more are ignored. */
const MAX_SHARES = 64;
/**
 * The zone header's user area, in u32 words: 0 the module tag (ZoneBase), 2 the
 * zone_sync_interval in ms, 3 the rate in milli-requests per second (nginx's ctx->rate).
 */
const WORD_SYNC_INTERVAL = 2;
const WORD_RATE = 3;
const DEFAULT_SYNC_INTERVAL_MS = 1_000;
const MAX_COST = 1_000_000;

/**
 * nginx's limit_req_zone: a leaky bucket per key, in shared memory, for every thread. Alone
 * (no `sync`, or no other node's share of the key) it is exactly nginx's bucket. With `sync`
 * the bucket is the cluster's (docs/LIMIT_REQ.md): each node writes only its own share of a
 * key, (key, origin), holding its view of the bucket (level and last) and how many requests
 * it admitted and gave back; a request is judged on this node's view, to which every share's
 * admissions are added and refunds taken out as they arrive, draining at `rate` in all. A
 * reset travels as a stamp in the shares: a share that has not applied the latest is no view.
 * Records are keyed (key, origin): the zone's hash leaves the 4-byte origin out, so a key's
 * shares sit together in one bucket of the hash table.
 */
export class LimitReqZone extends ZoneBase<LimitReqSettings> {
  readonly settings: LimitReqSettings;
  private readonly syncIntervalWord: Uint32Array;
  private readonly rateWord: Uint32Array;
  private readonly group = new KeyGroup(MAX_SHARES, SHARE_BYTES);
  /** The key's shares as judgeLocked read them: this node's, and the others' (group.count of them). */
  private readonly own: Share = emptyShare();
  private readonly others: Share[] = Array.from({ length: MAX_SHARES }, emptyShare);
  /** Found by judgeLocked: every share's `admitted` and `refunded` summed, and the latest reset of the key. */
  private sum = 0;
  private refundSum = 0;
  private readonly latestReset: Stamp = { ms: 0, logical: 0 };
  /** Found by judgeLocked: this node's share is its view (held, and it has applied the latest reset). */
  private ownIsView = false;
  /** The view a request was judged on, and what judging found (reused: no allocation per request). */
  private readonly view: ShareView = { levelMilli: 0, lastMs: 0, seenMilli: 0, refundSeenMilli: 0, freshMilli: 0, rebase: false };
  private readonly next: Share = emptyShare();
  /** The last rate given as text, parsed: per-route rates come back call after call. */
  private lastRateText = '';
  private lastRateMilli = 0;

  static create(options: LimitReqZoneOptions): LimitReqZone {
    const rate = rateOf(options.rate, options.name);
    const syncIntervalMs = syncIntervalOf(options.syncInterval ?? DEFAULT_SYNC_INTERVAL_MS, options.name);
    const settings: LimitReqSettings = {};
    const maxKeyBytes = (options.maxKeyBytes ?? 256) + ORIGIN_SUFFIX_BYTES;
    const parts = ZoneBase.createParts(options, 'limit_req', MODULE_LIMIT_REQ, settings, { maxKeyBytes, keySuffixBytes: ORIGIN_SUFFIX_BYTES });
    const zone = new LimitReqZone(parts.handle, parts.shm, parts.now);
    zone.setSyncInterval(syncIntervalMs);
    Atomics.store(zone.rateWord, 0, rate);
    return zone;
  }

  static attach(handle: LimitReqHandle, options: AttachZoneOptions = {}): LimitReqZone {
    const parts = ZoneBase.attachShm(handle, options);
    return new LimitReqZone(handle, parts.shm, parts.now);
  }

  private constructor(handle: LimitReqHandle, shm: LimitReqZone['shm'], now: () => number) {
    super(handle, shm, now);
    this.settings = handle.settings;
    const area = shm.userArea();
    this.syncIntervalWord = new Uint32Array(area.buffer, area.byteOffset + WORD_SYNC_INTERVAL * 4, 1);
    this.rateWord = new Uint32Array(area.buffer, area.byteOffset + WORD_RATE * 4, 1);
  }

  /**
   * The zone's rate, for every thread of the node from its next call on (a reload changes
   * it, as nginx's takes the new rate with the zone's shared memory kept): the buckets keep
   * their level and drain at the new rate from their last request on.
   */
  setRate(rate: RateInput): void {
    Atomics.store(this.rateWord, 0, rateOf(rate, this.name));
  }

  /** nginx's ctx->rate: milli-requests drained per second, as the zone was created or last setRate. */
  get rateMilliPerSecond(): number {
    return Atomics.load(this.rateWord, 0);
  }

  /** The cluster's zone_sync_interval, for every thread of the node (a reload may change it). */
  setSyncInterval(interval: TimeInput): void {
    Atomics.store(this.syncIntervalWord, 0, syncIntervalOf(interval, this.name));
  }

  get syncIntervalMs(): number {
    return Atomics.load(this.syncIntervalWord, 0);
  }

  /** How late another node's share is when sent, at most: one limit_req round (share-rounds.ts). */
  private get roundMs(): number {
    return shareRoundMs(this.syncIntervalMs);
  }

  /** Accounts one request (of `cost`) for `key` and says whether, and when, to serve it. */
  take(key: string, options: TakeOptions = {}): TakeResult {
    return this.judge(key, options, true);
  }

  /** What take() would answer now, changing nothing. */
  peek(key: string, options: TakeOptions = {}): TakeResult {
    return this.judge(key, options, false);
  }

  private judge(key: string, options: TakeOptions, account: boolean): TakeResult {
    const costMilli = costOf(options.cost, this.name) * 1000;
    const burstMilli = countOption(options.burst, 'burst', this.name) * 1000;
    const delayMilli = options.nodelay ? Infinity : countOption(options.delay, 'delay', this.name) * 1000;
    const rate = this.rateMilliOf(options.rate);
    const shm = this.shm;
    this.useKey(key);
    const shard = shm.shardOfKey();
    const now = this.now();
    let level = 0;
    let limitMilli = burstMilli;
    let allowed = false;
    let full = false;
    shm.lock(shard);
    try {
      const roundMs = this.roundMs;
      level = this.judgeLocked(shard, now, rate, burstMilli, roundMs);
      if (this.othersAdmitting(now, roundMs)) limitMilli += unseenAllowance(rate, roundMs);
      allowed = admits(level, costMilli, limitMilli);
      if (account && allowed) full = !this.admitLocked(shard, level, costMilli, now, rate);
      else if (account && this.ownIsView && this.view.rebase) this.rebaseLocked(shard, now, rate);
    } finally {
      shm.unlock(shard);
    }
    if (full) throw new ZoneFullError(this.name, shm.keyLength, SHARE_BYTES);
    const excessMilli = level + costMilli - 1000;
    return {
      allowed,
      // The allowance above the burst (while other nodes admit) is there to hold the cluster's
      // rate with stale views, not to queue requests: it never adds delay beyond the burst's.
      delayMs: allowed ? delayMsFor(Math.min(excessMilli, burstMilli), delayMilli, rate) : 0,
      excess: excessMilli / 1000,
      retryAfterMs: allowed ? 0 : retryAfterMsFor(level, costMilli, limitMilli, rate),
      remaining: remainingAt(allowed && account ? level + costMilli : level, burstMilli),
    };
  }

  /**
   * Gives back `cost` requests of `key` (a request that should not count after all): the
   * bucket, as this node sees it, holds that much less, at most down to empty, and so does
   * every other node's view once this share reaches it. `options`: the rate and burst the
   * key is taken with. Returns the requests left in the bucket as this node sees it.
   */
  refund(key: string, cost = 1, options: LimitOptions = {}): number {
    const costMilli = costOf(cost, this.name) * 1000;
    const burstMilli = countOption(options.burst, 'burst', this.name) * 1000;
    const rate = this.rateMilliOf(options.rate);
    const shm = this.shm;
    this.useKey(key);
    const shard = shm.shardOfKey();
    const now = this.now();
    let left = 0;
    let full = false;
    shm.lock(shard);
    try {
      const level = this.judgeLocked(shard, now, rate, burstMilli, this.roundMs);
      const given = Math.min(costMilli, level); // never below empty as this node sees it
      left = level - given;
      if (given > 0) {
        const view = this.view;
        const next = this.next;
        // Own view: kept at its `last`, holding what drains to `left` by now; a new one starts now.
        next.levelMilli = !this.ownIsView ? left : left > 0 ? left + drainMilli(rate, elapsedMs(now, view.lastMs)) : 0;
        next.lastMs = this.ownIsView ? view.lastMs : now;
        next.admittedMilli = this.own.admittedMilli;
        next.seenMilli = this.sum;
        next.refundedMilli = this.own.refundedMilli + given;
        next.refundSeenMilli = this.refundSum + given;
        this.copyLatestReset(next);
        full = !this.writeOwnShare(shard, next, now + keepMsFor(left, rate), now, false);
      }
    } finally {
      shm.unlock(shard);
    }
    if (full) throw new ZoneFullError(this.name, shm.keyLength, SHARE_BYTES);
    return left / 1000;
  }

  /**
   * Empties `key`'s bucket for the whole cluster: this node's view at once, every other
   * node's as this share reaches it (docs/LIMIT_REQ.md "Reset"). Returns false when no node's
   * share of the key was here (nothing to reset).
   */
  reset(key: string): boolean {
    const shm = this.shm;
    this.useKey(key);
    const shard = shm.shardOfKey();
    const now = this.now();
    const rate = this.rateMilliPerSecond;
    let full = false;
    let had = false;
    shm.lock(shard);
    try {
      this.judgeLocked(shard, now, rate, 0, this.roundMs);
      const group = this.group;
      had = group.ownHeld || group.count > 0;
      if (had && !this.sync) {
        if (group.own !== 0) shm.removeLocked(shard, group.own); // no other node's share here: the key is gone
      } else if (had) {
        const next = this.next;
        next.levelMilli = 0;
        next.lastMs = now;
        next.admittedMilli = this.own.admittedMilli;
        next.seenMilli = this.sum;
        next.refundedMilli = this.own.refundedMilli;
        next.refundSeenMilli = this.refundSum;
        // Kept as long as any share it overrides, so that none of them counts again after it.
        full = !this.writeOwnShare(shard, next, group.latestExpiry(shm, now + keepMsFor(0, rate)), now, true);
      }
    } finally {
      shm.unlock(shard);
    }
    if (full) throw new ZoneFullError(this.name, shm.keyLength, SHARE_BYTES);
    return had;
  }

  /**
   * Under the lock: reads the key's shares and returns the bucket on arrival as this node's
   * view sees it (this.view holding the view). The view is this node's share, unless it has
   * not applied the latest reset of the key (or there is none): then it is the fullest of the
   * views that have, brought up to now, as a node starts a key; with none, an empty bucket,
   * as nginx starts a key it has not seen.
   */
  private judgeLocked(shard: number, now: number, rate: number, burstMilli: number, roundMs: number): number {
    const shm = this.shm;
    const u8 = shm.memory.u8;
    const group = this.group;
    group.collect(shm, shard, now, this.nodeId);
    const own = group.ownHeld ? readShare(u8, shm.valueOffset(group.own), this.own) : clearShare(this.own);
    const latest = this.latestReset;
    latest.ms = own.reset.ms;
    latest.logical = own.reset.logical;
    let sum = own.admittedMilli;
    let refundSum = own.refundedMilli;
    for (let i = 0; i < group.count; i++) {
      const other = readShare(u8, shm.valueOffset(group.others[i]!), this.others[i]!);
      sum = (sum + other.admittedMilli) >>> 0; // counters wrap: modulo 2^32
      refundSum = (refundSum + other.refundedMilli) >>> 0;
      if (compareStamp(other.reset, latest) > 0) {
        latest.ms = other.reset.ms;
        latest.logical = other.reset.logical;
      }
    }
    this.sum = sum;
    this.refundSum = refundSum;
    this.ownIsView = group.ownHeld && compareStamp(own.reset, latest) === 0;
    const horizon = horizonMsFor(roundMs);
    if (this.ownIsView) return viewOnArrival(this.viewOf(own), this.sum, this.refundSum, group.count, now, rate, horizon, burstMilli);
    let fullest = 0;
    for (let i = 0; i < group.count; i++) {
      const other = this.others[i]!;
      if (compareStamp(other.reset, latest) !== 0) continue; // it has not applied the reset: no view
      const level = viewOnArrival(this.viewOf(other), this.sum, this.refundSum, group.count, now, rate, horizon, burstMilli);
      if (level > fullest) fullest = level;
    }
    return fullest;
  }

  private viewOf(share: Share): ShareView {
    const view = this.view;
    view.levelMilli = share.levelMilli;
    view.lastMs = share.lastMs;
    view.seenMilli = share.seenMilli;
    view.refundSeenMilli = share.refundSeenMilli;
    return view;
  }

  /** Under the lock, after judgeLocked admitted a request of `costMilli` at `level`: writes this node's share. */
  private admitLocked(shard: number, level: number, costMilli: number, now: number, rate: number): boolean {
    const next = this.next;
    next.levelMilli = level + costMilli;
    // nginx moves `last` only when time has passed (ms != 0), so a clock that went back
    // a little drains nothing until it has caught up.
    next.lastMs = this.ownIsView && elapsedMs(now, this.view.lastMs) === 0 ? this.view.lastMs : now;
    next.admittedMilli = this.own.admittedMilli + costMilli;
    next.seenMilli = this.sum + costMilli;
    next.refundedMilli = this.own.refundedMilli;
    next.refundSeenMilli = this.refundSum;
    this.copyLatestReset(next);
    return this.writeOwnShare(shard, next, now + keepMsFor(next.levelMilli, rate), now, false);
  }

  /** Under the lock, a request refused: the view keeps what it took in and drops what it could not (ShareView.rebase). */
  private rebaseLocked(shard: number, now: number, rate: number): void {
    const view = this.view;
    const next = this.next;
    const seen = rebasedSeen(view, this.sum, this.refundSum);
    next.levelMilli = view.levelMilli;
    next.lastMs = view.lastMs;
    next.admittedMilli = this.own.admittedMilli;
    next.seenMilli = seen.seenMilli;
    next.refundedMilli = this.own.refundedMilli;
    next.refundSeenMilli = seen.refundSeenMilli;
    this.copyLatestReset(next);
    this.writeOwnShare(shard, next, now + keepMsFor(view.levelMilli, rate), now, false); // no room: rebased at its next admission
  }

  private copyLatestReset(share: Share): void {
    share.reset.ms = this.latestReset.ms;
    share.reset.logical = this.latestReset.logical;
  }

  /** Whether another node admitted a request on the key within the horizon: its latest may not be here yet. */
  private othersAdmitting(now: number, roundMs: number): boolean {
    const horizon = horizonMsFor(roundMs);
    for (let i = 0; i < this.group.count; i++) {
      const other = this.others[i]!;
      if (admittingWithin(other.levelMilli, other.lastMs, now, horizon)) return true;
    }
    return false;
  }

  /**
   * Under the lock: writes this node's share; false when the zone had no room. `isReset`: the
   * share carries its own version's stamp as the key's latest reset.
   */
  private writeOwnShare(shard: number, share: Share, expireAtMs: number, now: number, isReset: boolean): boolean {
    const rec = this.writeOwnLocked(shard, this.group.own, SHARE_BYTES, expireAtMs, now);
    if (rec === 0) return false;
    if (isReset) {
      share.reset.ms = this.version.stampMs;
      share.reset.logical = this.version.logical;
    }
    writeShare(this.shm.memory.u8, this.shm.valueOffset(rec), share);
    return true;
  }


  /** A call's rate in milli-requests per second: the zone's, or the call's own. */
  private rateMilliOf(rate: RateInput | undefined): number {
    if (rate === undefined) return this.rateMilliPerSecond;
    if (typeof rate === 'string' && rate === this.lastRateText) return this.lastRateMilli;
    const milli = rateOf(rate, this.name);
    if (typeof rate === 'string') {
      this.lastRateText = rate;
      this.lastRateMilli = milli;
    }
    return milli;
  }
}

function clearShare(share: Share): Share {
  share.levelMilli = share.lastMs = share.admittedMilli = share.seenMilli = share.refundedMilli = share.refundSeenMilli = 0;
  share.reset.ms = share.reset.logical = 0;
  return share;
}

/** A rate as nginx writes it ("100r/s", "30r/m") or requests per second, in milli-requests per second (a u32). */
function rateOf(rate: RateInput, zone: string): number {
  if (typeof rate === 'number') {
    const milliPerSecond = Math.floor(rate * 1000);
    if (!Number.isFinite(rate) || milliPerSecond < 1 || milliPerSecond > MAX_RATE_MILLI_PER_SECOND) {
      throw new ZoneArgumentError(`limit_req zone "${zone}": invalid rate ${rate} (requests per second, from 0.001)`);
    }
    return milliPerSecond;
  }
  try {
    return parseRate(rate).milliRequestsPerSecond;
  } catch {
    throw new ZoneArgumentError(`limit_req zone "${zone}": invalid rate "${rate}" (such as 100r/s or 30r/m)`);
  }
}

function costOf(cost: number | undefined, zone: string): number {
  if (cost === undefined) return 1;
  if (!Number.isInteger(cost) || cost < 1 || cost > MAX_COST) {
    throw new ZoneArgumentError(`limit_req zone "${zone}": cost must be a whole number from 1 to ${MAX_COST}, not ${cost}`);
  }
  return cost;
}

function countOption(value: number | undefined, what: string, zone: string): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0) throw new ZoneArgumentError(`limit_req zone "${zone}": ${what} must be a whole number ≥ 0, not ${value}`);
  return value;
}

function syncIntervalOf(interval: TimeInput, zone: string): number {
  const ms = timeMsOf(interval, `limit_req zone "${zone}": syncInterval`);
  if (!Number.isInteger(ms) || ms < 1 || ms > 0xffffffff) throw new ZoneArgumentError(`limit_req zone "${zone}": syncInterval must be a whole number of ms from 1, not ${ms}`);
  return ms;
}
