import { APPLY_INSERTED, APPLY_REPLACED, RECORD_HEADER_BYTES, type ApplyStatus, type ShmZone } from 'native-free-shm';
import type { ZoneDescriptor } from './descriptor.js';
import { ORIGIN_SUFFIX_BYTES } from './descriptor.js';
import { KEY_TYPE_STRING, MatchIndex } from './keyval/match-index.js';

/**
 * One record as the wire carries it: where its key and payload bytes are in a buffer, and
 * its version (the protocol's RecordView has this shape).
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

/**
 * Merges one record received from a peer into a zone, module-agnostic (descriptor.ts): the
 * wire key (plus the origin when the zone keys shares by origin) becomes the record key,
 * the payload its value, under last-writer-wins. The caller holds no lock; this takes the
 * key's shard lock once. The caller also moves the node's clock past the record's stamp.
 */
export class WireApplier {
  readonly zone: ShmZone;
  readonly descriptor: ZoneDescriptor;
  private readonly index: MatchIndex | null;

  constructor(zone: ShmZone, descriptor: ZoneDescriptor) {
    this.zone = zone;
    this.descriptor = descriptor;
    const index = new MatchIndex(zone);
    this.index = descriptor.module === 'keyval' && index.keyType !== KEY_TYPE_STRING ? index : null;
  }

  /** Puts the record's key in the zone's scratch; false if it cannot be a key of this zone. */
  useKey(bytes: Uint8Array, r: WireRecord): boolean {
    const zone = this.zone;
    const suffix = this.descriptor.originKeySuffix ? ORIGIN_SUFFIX_BYTES : 0;
    if (r.keyLength + suffix > zone.memory.maxKeyBytes) return false;
    zone.setKeyBytes(bytes, r.keyOffset, r.keyLength);
    if (suffix !== 0) zone.appendKeyU32(r.origin);
    return true;
  }

  /** Sets zone.meta from the record. */
  useVersion(r: WireRecord): void {
    const m = this.zone.meta;
    m.stampMs = r.stampMs;
    m.logical = r.stampLogical;
    m.origin = r.origin;
    m.expireAtMs = r.expireAtMs;
    m.tombstone = r.tombstone;
    m.user = 0;
  }

  /**
   * The whole merge of one record: returns the ApplyStatus, or -1 when the record can never
   * be stored here (key or value over this zone's limits).
   */
  apply(bytes: Uint8Array, r: WireRecord): ApplyStatus | -1 {
    const zone = this.zone;
    if (!this.useKey(bytes, r)) return -1;
    if (RECORD_HEADER_BYTES + zone.keyLength + r.payloadLength > zone.maxRecordBytes) return -1;
    this.useVersion(r);
    const shard = zone.shardOfKey();
    let status: ApplyStatus;
    zone.lock(shard);
    try {
      status = zone.applyLocked(shard, bytes, r.payloadOffset, r.payloadLength);
    } finally {
      zone.unlock(shard);
    }
    if (status === APPLY_INSERTED || status === APPLY_REPLACED) this.noteApplied(bytes, r);
    return status;
  }

  /** After a stored record: keyval ip/prefix zones note the key's prefix length. */
  noteApplied(bytes: Uint8Array, r: WireRecord): void {
    if (this.index === null || r.tombstone) return;
    this.index.noteKey(new TextDecoder().decode(bytes.subarray(r.keyOffset, r.keyOffset + r.keyLength)));
  }
}

/** The wire key of a stored record: its key bytes less the origin suffix, if the zone has one. */
export function wireKeyLength(zone: ShmZone, descriptor: ZoneDescriptor, rec: number): number {
  return zone.keyLen(rec) - (descriptor.originKeySuffix ? ORIGIN_SUFFIX_BYTES : 0);
}
