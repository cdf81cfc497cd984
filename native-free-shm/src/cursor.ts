import { SHARD_HEADER_BYTES, R_HASH_NEXT } from './layout.js';
import { recordExpired } from './table.js';
import type { ShmZone } from './zone.js';

/** Called under the shard's lock for each record; it must not take that lock again. */
export type RecordVisitor = (zone: ShmZone, shard: number, rec: number) => void;

/**
 * A resumable walk over every unexpired record (tombstones included) of a zone, for
 * snapshots. Each step takes one shard's lock for whole buckets until it has visited at
 * least `maxRecords` (or the shard ends), then releases it. Records never move between
 * buckets, so a record present for the whole walk is visited exactly once; one inserted or
 * removed during the walk may or may not be.
 */
export class ZoneCursor {
  private readonly zone: ShmZone;
  shard = 0;
  bucket = 0;

  constructor(zone: ShmZone) {
    this.zone = zone;
  }

  get done(): boolean {
    return this.shard >= this.zone.shardCount;
  }

  /** Visits the next batch. Returns the number of records visited; the walk ends when `done`. */
  step(maxRecords: number, visit: RecordVisitor): number {
    if (this.done) return 0;
    const zone = this.zone;
    const m = zone.memory;
    const shard = this.shard;
    const buckets = (m.shardBase(shard) + SHARD_HEADER_BYTES) >>> 2;
    const nowMs = zone.now();
    let visited = 0;
    zone.lock(shard);
    try {
      while (this.bucket < m.bucketCount && visited < maxRecords) {
        for (let rec = m.u32[buckets + this.bucket]!; rec !== 0; rec = m.u32[(rec + R_HASH_NEXT) >>> 2]!) {
          if (recordExpired(m, rec, nowMs)) continue;
          visit(zone, shard, rec);
          visited++;
        }
        this.bucket++;
      }
    } finally {
      zone.unlock(shard);
    }
    if (this.bucket === m.bucketCount) {
      this.shard++;
      this.bucket = 0;
    }
    return visited;
  }
}
