import {
  APPLY_INSERTED, APPLY_REPLACED, RECORD_HEADER_BYTES, RecordVersion, type ApplyStatus, type ShmZone,
} from 'native-free-shm';
import { ChangeRing, ViewCache } from './change-ring.js';
import type { ZoneDescriptor } from './descriptor.js';
import { ORIGIN_SUFFIX_BYTES } from './descriptor.js';
import { DEFAULT_MAX_DRIFT_MS } from '../clock.js';
import { KEY_TYPE_IP, KEY_TYPE_STRING, MatchIndex, canonicalStoredIpKey } from './keyval/match-index.js';
import { shareValid } from './limit-req/share-codec.js';
import { countValid } from './counter/count-codec.js';

/**
 * One record as the wire carries it: where its key and payload bytes are in a buffer, and
 * its version (the protocol's record cursor has this shape).
 */
export interface WireRecord {
  keyOffset: number;
  keyLength: number;
  payloadOffset: number;
  payloadLength: number;
  origin: number;
  stampMs: number;
  stampLogical: number;
  expireAtMs: number;
  tombstone: boolean;
}

/** merge() refused the record: it has expired, or is larger than this zone can hold (or, synced, send on). */
export const MERGE_SKIPPED = -1;
/**
 * merge() refused the record: no local write could have made it (an empty key; in a keyval
 * type=ip zone, a key that is not an address or block in canonical form; a sticky session
 * with no server; a lifetime past the zone's bound, see ZoneDescriptor.maxLifetimeMs; a
 * limit_req share or a count with a time or number past 2^53 − 1), so
 * that nothing lands that the API could not then read or remove, and no version outlives
 * the tombstone that deletes it.
 */
export const MERGE_INVALID = -2;
/**
 * merge() refused the record: it is stamped more than the clock guard (maxAheadMs, 60 s by
 * default) ahead of this node's wall clock. Stored, it would win over every write to its key
 * made anywhere until real time caught up with it; refused, it cannot pin the key, and the
 * nodes whose clocks agree converge among themselves (docs/PROTOCOL.md "Clocks").
 */
export const MERGE_FUTURE = -3;
export type MergeStatus = ApplyStatus | typeof MERGE_SKIPPED | typeof MERGE_INVALID | typeof MERGE_FUTURE;

/**
 * THE merge of a record made elsewhere into a zone: records from peers (the sync thread),
 * from state files, and in tests all come through merge(). Module-agnostic (descriptor.ts):
 * the wire key (plus the origin, in a zone that keys shares by origin) becomes the record
 * key, the payload its value, and the version decides (insert if absent, replace if
 * (stamp, logical, origin) is greater, else ignore). A stored keyval ip/prefix key is noted
 * in the zone's match index, so that match() finds it; a stored record of a journaled zone
 * is appended to its change ring (descriptor.changeRing), as a local write is.
 *
 * Locks: merge() takes the key's shard lock and KEEPS it for the next merge of the batch
 * when that record falls in the same shard (records of a frame come a shard at a time);
 * release() ends the batch. A caller always calls release() in a `finally`. The caller also
 * moves the node's clock past the stamps it merged.
 */
export class RecordMerger {
  readonly zone: ShmZone;
  private readonly suffixBytes: number;
  private readonly index: MatchIndex | null;
  private readonly ipKeys: boolean;
  private readonly needsPayload: boolean;
  /** The module's check of a payload's numbers (limit_req, counter), or null. */
  private readonly payloadValid: ((u8: Uint8Array, offset: number, length: number) => boolean) | null;
  private readonly maxLifetimeMs: number;
  private readonly maxSyncedBytes: number;
  private readonly version = new RecordVersion();
  private readonly decoder = new TextDecoder();
  private readonly changes: ChangeRing | null;
  private readonly views = new ViewCache();
  /** The shard whose lock this merger holds between two merges of a batch, or -1. */
  private locked = -1;
  /** How far ahead of the wall clock a record's stamp may be: the node clock's guard. */
  private readonly maxAheadMs: number;

  constructor(zone: ShmZone, descriptor: ZoneDescriptor, maxAheadMs: number = DEFAULT_MAX_DRIFT_MS) {
    this.zone = zone;
    this.maxAheadMs = maxAheadMs;
    this.suffixBytes = descriptor.originKeySuffix ? ORIGIN_SUFFIX_BYTES : 0;
    const index = new MatchIndex(zone);
    this.index = descriptor.module === 'keyval' && index.keyType !== KEY_TYPE_STRING ? index : null;
    this.ipKeys = this.index !== null && index.keyType === KEY_TYPE_IP;
    this.needsPayload = descriptor.module === 'sticky';
    this.payloadValid = descriptor.module === 'limit_req' ? shareValid : descriptor.module === 'counter' ? countValid : null;
    this.maxLifetimeMs = descriptor.maxLifetimeMs;
    this.maxSyncedBytes = descriptor.maxSyncedBytes;
    this.changes = descriptor.changeRing === undefined ? null : new ChangeRing(descriptor.changeRing, zone.ownerId);
  }

  /** Whether a local write could have made this record (see MERGE_INVALID). */
  private valid(bytes: Uint8Array, r: WireRecord): boolean {
    if (r.keyLength === 0) return false;
    if (this.maxLifetimeMs > 0 && (r.expireAtMs === 0 || r.expireAtMs > r.stampMs + this.maxLifetimeMs)) return false;
    if (this.needsPayload && !r.tombstone && r.payloadLength === 0) return false;
    if (this.payloadValid !== null && r.payloadLength > 0 && !this.payloadValid(bytes, r.payloadOffset, r.payloadLength)) return false;
    if (!this.ipKeys) return true;
    const key = this.decoder.decode(bytes.subarray(r.keyOffset, r.keyOffset + r.keyLength));
    return canonicalStoredIpKey(key) === key;
  }

  /** Merges the record whose bytes are in `bytes`; `nowMs` decides expiry. */
  merge(bytes: Uint8Array, r: WireRecord, nowMs: number): MergeStatus {
    const zone = this.zone;
    const keyLength = r.keyLength + this.suffixBytes;
    if ((r.expireAtMs !== 0 && r.expireAtMs <= nowMs) || keyLength > zone.memory.maxKeyBytes
      || RECORD_HEADER_BYTES + keyLength + r.payloadLength > zone.maxRecordBytes
      || (this.maxSyncedBytes > 0 && r.keyLength + r.payloadLength > this.maxSyncedBytes)) return MERGE_SKIPPED;
    if (!this.valid(bytes, r)) return MERGE_INVALID;
    if (r.stampMs > nowMs + this.maxAheadMs) return MERGE_FUTURE;
    zone.setKeyBytes(bytes, r.keyOffset, r.keyLength);
    if (this.suffixBytes !== 0) zone.appendKeyU32(r.origin);
    const shard = zone.shardOfKey();
    if (shard !== this.locked) {
      this.release();
      zone.lock(shard);
      this.locked = shard;
    }
    const v = this.version;
    v.stampMs = r.stampMs;
    v.logical = r.stampLogical;
    v.origin = r.origin;
    v.expireAtMs = r.expireAtMs;
    v.tombstone = r.tombstone;
    const status = zone.applyLocked(shard, v, bytes, r.payloadOffset, r.payloadLength, nowMs);
    if (status === APPLY_INSERTED || status === APPLY_REPLACED) {
      if (this.index !== null && !r.tombstone) {
        this.index.noteKey(this.decoder.decode(bytes.subarray(r.keyOffset, r.keyOffset + r.keyLength)), r.keyLength);
      }
      if (this.changes !== null) {
        const view = this.views.of(bytes);
        this.changes.append(view, r.keyOffset, r.keyLength, view, r.payloadOffset, r.payloadLength, v);
      }
    }
    return status;
  }

  /** Ends a batch: opens the shard lock the last merge kept, if any. */
  release(): void {
    const shard = this.locked;
    if (shard < 0) return;
    this.locked = -1;
    this.zone.unlock(shard);
  }

  /** merge() of one record as a batch of its own. */
  mergeOne(bytes: Uint8Array, r: WireRecord, nowMs: number): MergeStatus {
    try {
      return this.merge(bytes, r, nowMs);
    } finally {
      this.release();
    }
  }
}
