import { parseRate, type RequestRate } from '../../config/units.js';
import { MODULE_LIMIT_REQ, ORIGIN_SUFFIX_BYTES } from '../descriptor.js';
import { ZoneArgumentError, ZoneFullError } from '../errors.js';
import { timeMsOf, type TimeInput } from '../options.js';
import { ZoneBase, type AttachZoneOptions, type ZoneBaseOptions, type ZoneHandleOf } from '../zone-base.js';
import { admittedSum, horizonMsFor, unseenAllowance, viewOnArrival, type ShareView } from './cluster-view.js';
import { delayMsFor, elapsedMs, keepMsFor } from './leaky-bucket.js';
import { SHARE_BYTES, readShareAdmitted, readShareExcess, readShareLast, readShareSeen, writeShare, type Share } from './share-codec.js';

export interface LimitReqZoneOptions extends ZoneBaseOptions {
  /** "100r/s", "30r/m", or requests per second. */
  rate: string | number;
  /** Longest key in bytes (before the 4-byte origin); default 256. */
  maxKeyBytes?: number;
  /** The cluster's zone_sync_interval ("50ms", or ms; default 1s, nginx's): how late other nodes' shares can be. */
  syncInterval?: TimeInput;
}

export interface LimitReqSettings {
  /** nginx's ctx->rate: milli-requests drained per second. */
  rateMilliPerSecond: number;
  rateText: string;
}

export type LimitReqHandle = ZoneHandleOf<LimitReqSettings>;

/** nginx's `limit_req zone=… [burst=N] [nodelay | delay=N]`. */
export interface TakeOptions {
  /** Requests allowed beyond the rate (default 0). */
  burst?: number;
  /** Requests beyond the rate served without delay (default 0); ignored with nodelay. */
  delay?: number;
  /** Serve every request within the burst at once. */
  nodelay?: boolean;
}

export interface TakeResult {
  /** false: over the limit, answer 503 (nginx's limit_req_status). */
  allowed: boolean;
  /** How long to hold an allowed request before serving it, in ms. */
  delayMs: number;
  /** Requests in the bucket beyond the rate, as this node sees the cluster's, before this one (nginx's excess). */
  excess: number;
}

/** At most this many other nodes' shares are read per key; more are ignored. */
const MAX_SHARES = 64;
/** The zone header's user area, in u32 words: 0 the module tag (ZoneBase), 2 the zone_sync_interval in ms. */
const WORD_SYNC_INTERVAL = 2;
const DEFAULT_SYNC_INTERVAL_MS = 1_000;

/**
 * nginx's limit_req_zone: a leaky bucket per key, in shared memory, for every thread. Alone
 * (no `sync`, or no other node's share of the key) it is exactly nginx's bucket. With `sync`
 * the bucket is the cluster's (docs/LIMIT_REQ.md): each node writes only its own share of a
 * key, (key, origin), holding its view of the bucket (nginx's excess and last) and how many
 * requests it admitted; a request is judged on this node's view, to which every share's
 * admissions are added as they arrive, draining at `rate` in all. Records are keyed (key,
 * origin): the zone's hash leaves the 4-byte origin out, so a key's shares sit together in
 * one bucket of the hash table.
 */
export class LimitReqZone extends ZoneBase<LimitReqSettings> {
  readonly settings: LimitReqSettings;
  private readonly syncIntervalWord: Uint32Array;
  /** Other nodes' shares of the key being judged, as collectShares read them. */
  private readonly shareExcess = new Float64Array(MAX_SHARES);
  private readonly shareLast = new Float64Array(MAX_SHARES);
  private readonly shareAdmitted = new Float64Array(MAX_SHARES);
  private readonly shareSeen = new Float64Array(MAX_SHARES);
  /** The records of a key's shares, as keyGroupLocked finds them: every origin's, ours included. */
  private readonly group = new Uint32Array(MAX_SHARES + 1);
  private shareCount = 0;
  private ownShare = 0;
  /** Scratch for one share, reused: no allocation per request. */
  private readonly view: ShareView = { excessMilli: 0, lastMs: 0, seenMilli: 0, freshMilli: 0, rebase: false };
  private readonly next: Share = { excessMilli: 0, lastMs: 0, admittedMilli: 0, seenMilli: 0 };

  static create(options: LimitReqZoneOptions): LimitReqZone {
    const rate = rateOf(options.rate, options.name);
    const syncIntervalMs = syncIntervalOf(options.syncInterval ?? DEFAULT_SYNC_INTERVAL_MS, options.name);
    const settings: LimitReqSettings = { rateMilliPerSecond: rate.milliRequestsPerSecond, rateText: `${rate.requests}r/${rate.per}` };
    const maxKeyBytes = (options.maxKeyBytes ?? 256) + ORIGIN_SUFFIX_BYTES;
    const parts = ZoneBase.createParts(options, 'limit_req', MODULE_LIMIT_REQ, settings, { maxKeyBytes, keySuffixBytes: ORIGIN_SUFFIX_BYTES });
    const zone = new LimitReqZone(parts.handle, parts.shm, parts.now);
    zone.setSyncInterval(syncIntervalMs);
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
  }

  /** The cluster's zone_sync_interval, for every thread of the node (a reload may change it). */
  setSyncInterval(interval: TimeInput): void {
    Atomics.store(this.syncIntervalWord, 0, syncIntervalOf(interval, this.name));
  }

  get syncIntervalMs(): number {
    return Atomics.load(this.syncIntervalWord, 0);
  }

  /** Accounts one request for `key` and says whether, and when, to serve it. */
  take(key: string, options: TakeOptions = {}): TakeResult {
    const burstMilli = countOption(options.burst, 'burst', this.name) * 1000;
    const delayMilli = options.nodelay ? Infinity : countOption(options.delay, 'delay', this.name) * 1000;
    const rate = this.settings.rateMilliPerSecond;
    const shm = this.shm;
    this.useKey(key);
    const shard = shm.shardOfKey();
    const now = this.now();
    let excess = 0;
    let allowed = false;
    let full = false;
    shm.lock(shard);
    try {
      this.collectShares(shard, now, shm.keyGroupLocked(shard, now, this.group));
      const own = this.ownShare;
      // A record of ours that holds no share (a tombstone a peer made) is replaced, not read.
      const ownHeld = own !== 0 && !shm.isTombstone(own) && shm.valueLen(own) === SHARE_BYTES;
      const ownAdmitted = ownHeld ? readShareAdmitted(shm.memory.u8, shm.valueOffset(own)) : 0;
      const sum = admittedSum(ownAdmitted, this.shareAdmitted, this.shareCount);
      excess = ownHeld ? this.ownView(own, sum, now, rate, burstMilli) : this.firstView(sum, now, rate, burstMilli);
      const limitMilli = this.othersAdmitting(now) ? burstMilli + unseenAllowance(rate, this.syncIntervalMs) : burstMilli;
      allowed = excess <= limitMilli;
      const view = this.view;
      const next = this.next;
      if (allowed) {
        next.excessMilli = excess;
        // nginx moves `last` only when time has passed (ms != 0), so a clock that went back
        // a little drains nothing until it has caught up.
        next.lastMs = ownHeld && elapsedMs(now, view.lastMs) === 0 ? view.lastMs : now;
        next.admittedMilli = ownAdmitted + 1000;
        next.seenMilli = sum + 1000;
        full = !this.writeOwnShare(shard, own, next, now);
      } else if (ownHeld && view.rebase) {
        // Refused, and the view dropped what it could not take in: it keeps what it took.
        next.excessMilli = view.excessMilli;
        next.lastMs = view.lastMs;
        next.admittedMilli = ownAdmitted;
        next.seenMilli = sum - view.freshMilli;
        this.writeOwnShare(shard, own, next, now); // no room: the view is rebased at its next admission
      }
    } finally {
      shm.unlock(shard);
    }
    if (full) throw new ZoneFullError(this.name, shm.keyLength, SHARE_BYTES);
    return {
      allowed,
      // The allowance above the burst (while other nodes admit) is there to hold the cluster's
      // rate with stale views, not to queue requests: it never adds delay beyond the burst's.
      delayMs: allowed ? delayMsFor(Math.min(excess, burstMilli), delayMilli, rate) : 0,
      excess: excess / 1000,
    };
  }

  /** The bucket on arrival as this node's share sees it (this.view is left holding the share). */
  private ownView(own: number, sum: number, now: number, rate: number, burstMilli: number): number {
    const u8 = this.shm.memory.u8;
    const at = this.shm.valueOffset(own);
    const view = this.view;
    view.excessMilli = readShareExcess(u8, at);
    view.lastMs = readShareLast(u8, at);
    view.seenMilli = readShareSeen(u8, at);
    return viewOnArrival(view, sum, this.shareCount, now, rate, this.horizonMs(), burstMilli);
  }

  /**
   * A key this node has no share of: the fullest of the other nodes' views, brought up to
   * now; with none, an empty bucket, as nginx starts a key it has not seen.
   */
  private firstView(sum: number, now: number, rate: number, burstMilli: number): number {
    const view = this.view;
    const horizon = this.horizonMs();
    let fullest = 0;
    for (let i = 0; i < this.shareCount; i++) {
      view.excessMilli = this.shareExcess[i]!;
      view.lastMs = this.shareLast[i]!;
      view.seenMilli = this.shareSeen[i]!;
      const level = viewOnArrival(view, sum, this.shareCount, now, rate, horizon, burstMilli);
      if (level > fullest) fullest = level;
    }
    return fullest;
  }

  /** Whether another node admitted a request on the key within the horizon: its latest may not be here yet. */
  private othersAdmitting(now: number): boolean {
    const horizon = this.horizonMs();
    for (let i = 0; i < this.shareCount; i++) if (elapsedMs(now, this.shareLast[i]!) <= horizon) return true;
    return false;
  }

  private horizonMs(): number {
    return horizonMsFor(this.syncIntervalMs);
  }

  /**
   * Sorts the records of the key's group (`found` of them, this.group holding the first ones)
   * into this node's share and the others'. When the group overflowed this.group, this node's
   * share, if not among those held, is looked up by its full key: never missed, never doubled.
   */
  private collectShares(shard: number, now: number, found: number): void {
    const shm = this.shm;
    const u8 = shm.memory.u8;
    const held = Math.min(found, this.group.length);
    this.shareCount = 0;
    this.ownShare = 0;
    for (let i = 0; i < held; i++) {
      const rec = this.group[i]!;
      if (shm.origin(rec) === this.nodeId) {
        this.ownShare = rec;
        continue;
      }
      if (shm.isTombstone(rec) || shm.valueLen(rec) !== SHARE_BYTES || this.shareCount === MAX_SHARES) continue;
      const at = shm.valueOffset(rec);
      this.shareExcess[this.shareCount] = readShareExcess(u8, at);
      this.shareLast[this.shareCount] = readShareLast(u8, at);
      this.shareAdmitted[this.shareCount] = readShareAdmitted(u8, at);
      this.shareSeen[this.shareCount] = readShareSeen(u8, at);
      this.shareCount++;
    }
    if (this.ownShare === 0 && found > held) {
      const nameLength = shm.keyLength;
      shm.appendKeyU32(this.nodeId);
      this.ownShare = shm.findLocked(shard, now);
      shm.keyLength = nameLength; // back to the name alone; the hash leaves the suffix out
    }
  }

  /** Under the lock: writes this node's share; false when the zone had no room. */
  private writeOwnShare(shard: number, own: number, share: Share, now: number): boolean {
    const shm = this.shm;
    const version = this.stampLocal(now + keepMsFor(share.excessMilli, this.settings.rateMilliPerSecond), false, now);
    this.outrank(own);
    shm.appendKeyU32(this.nodeId);
    const rec = shm.writeLocked(shard, own, SHARE_BYTES, version, this.sync, now);
    if (rec === 0) return false;
    writeShare(shm.memory.u8, shm.valueOffset(rec), share);
    return true;
  }
}

function rateOf(rate: string | number, zone: string): RequestRate {
  try {
    return parseRate(typeof rate === 'number' ? String(rate) : rate);
  } catch {
    throw new ZoneArgumentError(`limit_req zone "${zone}": invalid rate "${rate}" (such as 100r/s or 30r/m)`);
  }
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
