import { MODULE_STICKY } from '../descriptor.js';
import { ZoneArgumentError } from '../errors.js';
import { timeMsOf, type TimeInput } from '../options.js';
import { ZoneBase, type AttachZoneOptions, type ZoneBaseOptions, type ZoneHandleOf } from '../zone-base.js';

export interface StickyZoneOptions extends ZoneBaseOptions {
  /** A session is forgotten this long after it was last learned or looked up; default 10m. */
  timeout?: TimeInput;
  /** Longest session id in bytes; default 32. */
  maxSessionBytes?: number;
}

export interface StickySettings {
  timeoutMs: number;
  maxSessionBytes: number;
}

export type StickyHandle = ZoneHandleOf<StickySettings>;

export const DEFAULT_STICKY_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_MAX_SESSION_BYTES = 32;

/** A lookup rewrites a session's lifetime only when this share of it has passed (and ≥ 1 s). */
const REFRESH_FRACTION = 10;
const MIN_REFRESH_MS = 1000;

/**
 * nginx's `sticky learn`: a session id maps to the upstream server that created it, in
 * shared memory for every thread and, with `sync`, across the cluster. A lookup refreshes
 * the session's lifetime; to keep sync traffic to what matters, it rewrites the record only
 * when a tenth of the timeout (at least a second) has passed since the last refresh.
 */
export class StickyZone extends ZoneBase<StickySettings> {
  readonly settings: StickySettings;

  static create(options: StickyZoneOptions): StickyZone {
    const timeoutMs = options.timeout === undefined ? DEFAULT_STICKY_TIMEOUT_MS : timeMsOf(options.timeout, `zone "${options.name}" timeout`);
    if (timeoutMs <= 0) throw new ZoneArgumentError(`sticky zone "${options.name}": timeout must be positive`);
    const maxSessionBytes = options.maxSessionBytes ?? DEFAULT_MAX_SESSION_BYTES;
    const settings: StickySettings = { timeoutMs, maxSessionBytes };
    const parts = ZoneBase.createParts(options, 'sticky', MODULE_STICKY, settings, { maxKeyBytes: maxSessionBytes, maxLifetimeMs: timeoutMs });
    return new StickyZone(parts.handle, parts.shm, parts.now);
  }

  static attach(handle: StickyHandle, options: AttachZoneOptions = {}): StickyZone {
    const parts = ZoneBase.attachShm(handle, options);
    return new StickyZone(handle, parts.shm, parts.now);
  }

  private constructor(handle: StickyHandle, shm: StickyZone['shm'], now: () => number) {
    super(handle, shm, now);
    this.settings = handle.settings;
  }

  /** Remembers that `session` belongs to `server` (an upstream server's name, such as host:port). */
  learn(session: string, server: string): void {
    if (typeof server !== 'string' || server.length === 0) throw new ZoneArgumentError(`sticky zone "${this.name}": server must be a non-empty string`);
    this.useSession(session);
    const nowMs = this.now();
    this.writeText(server, nowMs + this.settings.timeoutMs, false, nowMs);
  }

  /**
   * The server of a live session, refreshing its lifetime; undefined when unknown or expired.
   * Lock-free while no refresh is due (readValueOptimistic); otherwise one lock tenure: read,
   * and rewrite the lifetime in place when a refresh is due.
   */
  lookup(session: string): string | undefined {
    this.useSession(session);
    const shm = this.shm;
    const shard = shm.shardOfKey();
    const now = this.now();
    const fast = shm.readValueOptimistic(shard, now);
    if (fast !== null && !shm.optimisticExpired && (fast === undefined || !this.refreshDue(shm.optimisticExpireAtMs, now))) return fast;
    let server: string | undefined;
    shm.lock(shard);
    try {
      const rec = shm.findLocked(shard, now);
      if (rec !== 0 && !shm.isTombstone(rec)) {
        server = shm.valueText(rec);
        if (this.refreshDue(shm.expireAtMs(rec), now)) this.refreshLocked(shard, rec, now);
        else shm.touchLocked(shard, rec);
      }
    } finally {
      shm.unlock(shard);
    }
    return server;
  }

  /** Whether a session expiring at `expireAtMs` was set or refreshed long enough ago to refresh it now. */
  private refreshDue(expireAtMs: number, now: number): boolean {
    const timeoutMs = this.settings.timeoutMs;
    const setAt = expireAtMs - timeoutMs;
    return now - setAt >= Math.max(MIN_REFRESH_MS, timeoutMs / REFRESH_FRACTION);
  }

  /** Under the lock: a new version of the record with the same server and a new lifetime. */
  private refreshLocked(shard: number, rec: number, nowMs: number): void {
    const version = this.stampLocal(nowMs + this.settings.timeoutMs, false, nowMs);
    this.outrank(rec);
    // Same value length: the write is in place and cannot fail for room.
    this.shm.writeLocked(shard, rec, this.shm.valueLen(rec), version, this.sync, nowMs);
  }

  /** Forgets a session everywhere. Returns whether it was known. */
  forget(session: string): boolean {
    this.useSession(session);
    return this.deleteCurrent(this.settings.timeoutMs);
  }

  private useSession(session: string): void {
    if (typeof session !== 'string' || session.length === 0) throw new ZoneArgumentError(`sticky zone "${this.name}": session id must be a non-empty string`);
    // The zone's key limit is maxSessionBytes: setKey refuses a longer id while encoding it,
    // so the byte length is counted separately only for the error message.
    if (session.length > this.settings.maxSessionBytes || !this.shm.trySetKey(session)) {
      const bytes = Buffer.byteLength(session);
      if (bytes > this.settings.maxSessionBytes) {
        throw new ZoneArgumentError(`sticky zone "${this.name}": session id of ${bytes} bytes is longer than the limit of ${this.settings.maxSessionBytes}`);
      }
      this.useKey(session);
    }
  }
}
