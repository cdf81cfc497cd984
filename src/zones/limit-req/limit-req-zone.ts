import { parseRate, type RequestRate } from '../../config/units.js';
import { MODULE_LIMIT_REQ, ORIGIN_SUFFIX_BYTES } from '../descriptor.js';
import { ZoneArgumentError, ZoneFullError } from '../errors.js';
import { ZoneBase, type AttachZoneOptions, type ZoneBaseOptions, type ZoneHandleOf } from '../zone-base.js';
import { IDLE_KEEP_MS, delayMsFor, drained, elapsedMs } from './leaky-bucket.js';
import { SHARE_BYTES, readShareExcess, readShareLast, writeShare } from './share-codec.js';

export interface LimitReqZoneOptions extends ZoneBaseOptions {
  /** "100r/s", "30r/m", or requests per second. */
  rate: string | number;
  /** Longest key in bytes (before the 4-byte origin); default 256. */
  maxKeyBytes?: number;
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
  /** Requests in the bucket beyond the rate, across the cluster, this one included. */
  excess: number;
}

/** At most this many other nodes' shares are read per key; more are ignored. */
const MAX_SHARES = 64;

/**
 * nginx's limit_req_zone: a leaky bucket per key, in shared memory, for every thread. With
 * `sync`, the bucket is kept per origin (docs/PROTOCOL.md "Payloads"): this node writes only its own
 * share (excess, last) of a key and reads the others' as synced; a request is judged on
 * the sum of all shares, and each non-empty share drains at rate / n, so that the cluster
 * as a whole is held to `rate`. Records are keyed (key, origin): the zone's hash leaves the
 * 4-byte origin out, so a key's shares sit together in one bucket.
 */
export class LimitReqZone extends ZoneBase<LimitReqSettings> {
  readonly settings: LimitReqSettings;
  private readonly shareExcess = new Float64Array(MAX_SHARES);
  private readonly shareLast = new Float64Array(MAX_SHARES);
  /** The records of a key's shares, as keyGroupLocked finds them: every origin's, ours included. */
  private readonly group = new Uint32Array(MAX_SHARES + 1);
  private shareCount = 0;
  private ownShare = 0;

  static create(options: LimitReqZoneOptions): LimitReqZone {
    const rate = rateOf(options.rate, options.name);
    const settings: LimitReqSettings = { rateMilliPerSecond: rate.milliRequestsPerSecond, rateText: `${rate.requests}r/${rate.per}` };
    const maxKeyBytes = (options.maxKeyBytes ?? 256) + ORIGIN_SUFFIX_BYTES;
    const parts = ZoneBase.createParts(options, 'limit_req', MODULE_LIMIT_REQ, settings, { maxKeyBytes, keySuffixBytes: ORIGIN_SUFFIX_BYTES });
    return new LimitReqZone(parts.handle, parts.shm, parts.now);
  }

  static attach(handle: LimitReqHandle, options: AttachZoneOptions = {}): LimitReqZone {
    const parts = ZoneBase.attachShm(handle, options);
    return new LimitReqZone(handle, parts.shm, parts.now);
  }

  private constructor(handle: LimitReqHandle, shm: LimitReqZone['shm'], now: () => number) {
    super(handle, shm, now);
    this.settings = handle.settings;
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
    let total = 0;
    let allowed = false;
    let full = false;
    shm.lock(shard);
    try {
      this.collectShares(shard, now, shm.keyGroupLocked(shard, now, this.group));
      const shareRate = this.clusterShareRate(now, rate);
      let others = 0;
      for (let i = 0; i < this.shareCount; i++) others += drained(this.shareExcess[i]!, shareRate, elapsedMs(now, this.shareLast[i]!));
      const own = this.ownShare;
      const ownExcess = own === 0 ? 0 : readShareExcess(shm.memory.u8, shm.valueOffset(own));
      const ownLast = own === 0 ? now : readShareLast(shm.memory.u8, shm.valueOffset(own));
      const ms = elapsedMs(now, ownLast);
      // nginx: excess = max(0, excess - rate * ms / 1000 + 1000); a key's first request starts at 0.
      const ownNext = own === 0 ? 0 : Math.max(0, ownExcess - (shareRate * ms) / 1000 + 1000);
      total = ownNext + others;
      if (total <= burstMilli) {
        allowed = true;
        full = !this.writeOwnShare(shard, own, ownNext, own !== 0 && ms === 0 ? ownLast : now, now, shareRate);
      }
    } finally {
      shm.unlock(shard);
    }
    if (full) throw new ZoneFullError(this.name, shm.keyLength, SHARE_BYTES);
    return {
      allowed,
      delayMs: allowed ? delayMsFor(total, delayMilli, rate) : 0,
      excess: Math.round(total) / 1000,
    };
  }

  /**
   * The rate each share drains at: rate / n, n = this node's share (with the request in it)
   * and every other share that still holds something once drained. n and the drain depend
   * on each other; two rounds settle it (a share that empties at rate / n stays empty).
   */
  private clusterShareRate(now: number, rate: number): number {
    let busy = 1;
    for (let i = 0; i < this.shareCount; i++) if (this.shareExcess[i]! > 0) busy++;
    for (let round = 0; round < 2; round++) {
      let next = 1;
      for (let i = 0; i < this.shareCount; i++) {
        if (drained(this.shareExcess[i]!, rate / busy, elapsedMs(now, this.shareLast[i]!)) > 0) next++;
      }
      if (next === busy) break;
      busy = next;
    }
    return rate / busy;
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
  private writeOwnShare(shard: number, own: number, excess: number, last: number, now: number, shareRate: number): boolean {
    const shm = this.shm;
    const keepMs = Math.ceil((excess * 1000) / shareRate) + IDLE_KEEP_MS;
    const version = this.stampLocal(now + keepMs, false, now);
    this.outrank(own);
    shm.appendKeyU32(this.nodeId);
    const rec = shm.writeLocked(shard, own, SHARE_BYTES, version, this.sync, now);
    if (rec === 0) return false;
    writeShare(shm.memory.u8, shm.valueOffset(rec), excess, last);
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
