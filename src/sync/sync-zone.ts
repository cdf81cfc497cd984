// One synced zone as the sync thread holds it: the attached ShmZone, its frame header,
// its zone_sync_buffers, and the two record paths that touch shared memory:
//
//   collect(): output queue ──peek/encode/pop──▶ frames in a round buffer, written from there
//              to every peer (round-buffers.ts: reused once every peer has released it)
//   merge():   a received data frame ──RecordMerger (src/zones/merge.ts)──▶ records, one
//              shard lock per run of consecutive records of the same shard
//
// Records are kept in shared memory in wire layout (src/zones/descriptor.ts), so neither
// path knows the module: key bytes, payload bytes, flags, origin, stamp and expiry are
// copied as they are; limit_req keys carry the origin as a 4-byte suffix in memory only.

import { ShmZone, APPLY_IGNORED, APPLY_INSERTED, APPLY_NO_MEMORY, APPLY_REPLACED, copyBytes } from 'native-free-shm';
import type { ZoneDescriptor } from '../zones/descriptor.js';
import { ORIGIN_SUFFIX_BYTES } from '../zones/descriptor.js';
import { MERGE_FUTURE, MERGE_INVALID, MERGE_SKIPPED, RecordMerger } from '../zones/merge.js';
import { RoundBufferPool, type ByteHolder, type RoundBuffer } from './round-buffers.js';
import { LOGICAL_MAX, STAMP_MS_MAX } from '../clock.js';
import {
  DOES_NOT_FIT, FRAME_HEADER_BYTES, FrameWriter, NEVER_FITS, RECORD_FLAG_TOMBSTONE, RECORD_HEADER_BYTES, U16_MAX,
  zoneFrameHeader, type FrameReader, type ZoneFrameHeader,
} from './protocol/index.js';

/** Totals a merge or a collect adds to; the engine moves them into the shared counters. */
export class RecordTally {
  recordsIn = 0;
  applied = 0;
  ignored = 0;
  noMemory = 0;
  /** Refused: expired on arrival, or larger than the zone can hold. */
  skipped = 0;
  /** Refused: no local write could have made it (MERGE_INVALID). */
  invalid = 0;
  /** Refused: stamped beyond the clock guard (MERGE_FUTURE). */
  future = 0;
  recordsOut = 0;
  tooLarge = 0;
  framesOut = 0;
  /** Greatest stamp seen by merges since the last reset, for one HLC observe per batch. */
  maxStampMs = -1;
  maxStampLogical = 0;

  resetStamp(): void {
    this.maxStampMs = -1;
    this.maxStampLogical = 0;
  }
}

/** A record skipped while encoding: the caller logs it (zone and key length) and counts it. */
export interface SkippedRecord {
  zone: string;
  keyLength: number;
  recordBytes: number;
  reason: 'too-large' | 'invalid';
}

export type SkipReporter = (skipped: SkippedRecord) => void;

const ENCODE_INVALID = -3;
/** Records collect() takes from a shard's output queue under one hold of its lock. */
const RECORDS_PER_LOCK = 256;

export class SyncZone {
  readonly index: number;
  readonly name: string;
  readonly descriptor: ZoneDescriptor;
  readonly zone: ShmZone;
  readonly header: ZoneFrameHeader;
  /** Bytes of the in-memory key after the wire key (the origin, for limit_req). */
  readonly suffixBytes: number;
  /** The round buffers (zone_sync_buffers), and the one the last collect filled. */
  private readonly rounds: RoundBufferPool;
  private round: RoundBuffer | null = null;
  /** Where the next collect starts, so that one busy shard does not starve the others. */
  private nextShard = 0;
  /** The one merge of a record made elsewhere (key with origin suffix, version, match index). */
  private readonly merger: RecordMerger;
  /** The last collect stopped with records still queued (its buffers were full). */
  hasMore = false;

  constructor(index: number, descriptor: ZoneDescriptor, ownerId: number, wallMs: () => number, bufferCount: number, bufferSizeBytes: number) {
    this.index = index;
    this.name = descriptor.name;
    this.descriptor = descriptor;
    this.zone = ShmZone.attach(descriptor.handle, { ownerId, now: wallMs });
    this.header = zoneFrameHeader(descriptor.name, descriptor.moduleTag, descriptor.moduleVersion);
    this.suffixBytes = descriptor.originKeySuffix ? ORIGIN_SUFFIX_BYTES : 0;
    this.merger = new RecordMerger(this.zone, descriptor);
    if (FRAME_HEADER_BYTES + this.header.nameBytes.length + RECORD_HEADER_BYTES > bufferSizeBytes) {
      throw new RangeError(`zone_sync_buffers size ${bufferSizeBytes} cannot hold a frame of zone "${descriptor.name}"`);
    }
    this.rounds = new RoundBufferPool(bufferCount, bufferSizeBytes);
  }

  /**
   * Encodes record `rec` (the caller holds its shard's lock) into the writer's open data
   * frame. Returns the writer's result: ≥ 0 written, DOES_NOT_FIT, NEVER_FITS, or
   * ENCODE_INVALID for a record whose fields cannot go on the wire.
   */
  encodeRecord(writer: FrameWriter, rec: number): number {
    const zone = this.zone;
    const keyLength = zone.keyLen(rec) - this.suffixBytes;
    const valueLength = zone.valueLen(rec);
    const stampMs = zone.stampMs(rec);
    const logical = zone.logical(rec);
    const expireAtMs = Math.ceil(zone.expireAtMs(rec));
    if (keyLength < 0 || keyLength > U16_MAX) return ENCODE_INVALID;
    if (!(Number.isInteger(stampMs) && stampMs >= 0 && stampMs <= STAMP_MS_MAX && logical <= LOGICAL_MAX)) return ENCODE_INVALID;
    if (!(expireAtMs >= 0 && Number.isSafeInteger(expireAtMs))) return ENCODE_INVALID;
    const flags = zone.isTombstone(rec) ? RECORD_FLAG_TOMBSTONE : 0;
    const at = writer.beginRecord(flags, keyLength, valueLength, zone.origin(rec), stampMs, logical, expireAtMs);
    if (at < 0) return at;
    const src = zone.memory.view;
    const dst = writer.buffer.view;
    const keyOffset = zone.keyOffset(rec);
    const valueOffset = zone.valueOffset(rec);
    if (valueOffset === keyOffset + keyLength) {
      copyBytes(src, keyOffset, dst, at, keyLength + valueLength); // stored as on the wire: key, then value
    } else {
      copyBytes(src, keyOffset, dst, at, keyLength);
      copyBytes(src, valueOffset, dst, at + keyLength, valueLength);
    }
    return at;
  }

  /** The skip report of a record that encodeRecord refused. */
  skipReport(rec: number, code: number): SkippedRecord {
    const keyLength = this.zone.keyLen(rec) - this.suffixBytes;
    const recordBytes = RECORD_HEADER_BYTES + Math.max(keyLength, 0) + this.zone.valueLen(rec);
    return { zone: this.name, keyLength, recordBytes, reason: code === NEVER_FITS ? 'too-large' : 'invalid' };
  }

  /**
   * Moves records from the output queues into a round buffer until the queues are empty or
   * the buffer full; expired records are dropped unsent. Returns the finished frames, or
   * null when there was nothing to send. The bytes are a view of the round buffer: valid
   * until the next collect, and kept from reuse after it by every heldBy(peer).
   */
  collect(nowMs: number, tally: RecordTally, onSkip: SkipReporter): Uint8Array | null {
    const zone = this.zone;
    const shardCount = zone.shardCount;
    const round = this.rounds.acquire();
    this.round = round;
    const writer = round.writer;
    let full = false;
    let shardsDone = 0;
    for (; shardsDone < shardCount && !full; shardsDone++) {
      const shard = (this.nextShard + shardsDone) % shardCount;
      zone.lock(shard);
      try {
        for (let taken = 1; ; taken++) {
          if (taken % RECORDS_PER_LOCK === 0) {
            // Let the workers in between: a lock is held for a bounded batch, however large the buffers.
            zone.unlock(shard);
            zone.lock(shard);
          }
          const rec = zone.peekOutputLocked(shard);
          if (rec === 0) break;
          const expireAt = zone.expireAtMs(rec);
          if (expireAt !== 0 && expireAt <= nowMs) {
            zone.popOutputLocked(shard);
            continue;
          }
          if (!writer.frameOpen && !writer.beginDataFrame(this.header)) {
            full = true;
            break;
          }
          const result = this.encodeRecord(writer, rec);
          if (result === DOES_NOT_FIT) {
            // The frame is at its size limit (retry in a new one), or the buffer at its end.
            full = writer.recordCount === 0;
            finishFrame(writer, tally);
            if (full) break;
            continue;
          }
          zone.popOutputLocked(shard);
          if (result >= 0) {
            tally.recordsOut++;
          } else {
            tally.tooLarge++;
            onSkip(this.skipReport(rec, result));
          }
        }
      } finally {
        zone.unlock(shard);
      }
    }
    if (full) {
      this.nextShard = (this.nextShard + shardsDone - 1) % shardCount;
    } else {
      this.nextShard = (this.nextShard + 1) % shardCount;
    }
    if (writer.frameOpen) finishFrame(writer, tally);
    this.hasMore = full;
    return writer.used === 0 ? null : writer.written();
  }

  /** `holder` was given the last collect's bytes: its round buffer waits until it lets go of them. */
  heldBy(holder: ByteHolder): void {
    if (this.round === null) throw new Error('heldBy without a collect');
    this.round.heldBy(holder);
  }

  /**
   * Takes up to `max` records off the output queues without encoding them, for rounds with
   * no open outbound peer (nobody to send them to: a peer that connects later gets a
   * snapshot) and for a snapshot that will carry them anyway. Locks are held for
   * RECORDS_PER_LOCK records at most. Returns the count taken; hasMore says if any remain.
   */
  discardQueued(max: number): number {
    const zone = this.zone;
    const shardCount = zone.shardCount;
    let taken = 0;
    let more = false;
    for (let shard = 0; shard < shardCount; shard++) {
      while (zone.outputQueuedHint(shard)) { // rechecked under the lock by popOutputLocked
        if (taken === max) {
          more = true;
          break;
        }
        const batch = Math.min(RECORDS_PER_LOCK, max - taken);
        zone.lock(shard);
        try {
          for (let i = 0; i < batch && zone.popOutputLocked(shard) !== 0; i++) taken++;
        } finally {
          zone.unlock(shard);
        }
      }
    }
    this.hasMore = more;
    return taken;
  }

  /** Merges the records of the reader's current data frame (already validated). */
  merge(reader: FrameReader, nowMs: number, tally: RecordTally): void {
    const bytes = reader.buffer.bytes;
    const merger = this.merger;
    const cursor = reader.records();
    try {
      while (cursor.next()) {
        tally.recordsIn++;
        if (cursor.stampMs > tally.maxStampMs || (cursor.stampMs === tally.maxStampMs && cursor.stampLogical > tally.maxStampLogical)) {
          tally.maxStampMs = cursor.stampMs;
          tally.maxStampLogical = cursor.stampLogical;
        }
        const status = merger.merge(bytes, cursor, nowMs);
        if (status === APPLY_INSERTED || status === APPLY_REPLACED) tally.applied++;
        else if (status === APPLY_IGNORED) tally.ignored++;
        else if (status === APPLY_NO_MEMORY) tally.noMemory++;
        else if (status === MERGE_SKIPPED) tally.skipped++;
        else if (status === MERGE_INVALID) tally.invalid++;
        else if (status === MERGE_FUTURE) tally.future++;
      }
    } finally {
      merger.release();
    }
  }
}

function finishFrame(writer: FrameWriter, tally: RecordTally): void {
  if (writer.recordCount === 0) {
    writer.abandonDataFrame();
    return;
  }
  writer.finishDataFrame();
  tally.framesOut++;
}
