import type { ZoneMemory } from './memory.js';
import {
  SLAB_STAT_WORDS, STAT_FAILS, STAT_REQS, STAT_TOTAL, STAT_USED, S_ALLOC_FAILURES,
  S_CLASS_STATS, S_EVICTIONS, S_EXPIRED, S_FREE_PAGES, S_LARGE_STATS, S_LOCK_WAITS, S_PENDING,
  S_RECORDS, S_RESETS, S_TOMBSTONES,
} from './layout.js';

export interface SlabClassStats {
  sizeBytes: number;
  totalChunks: number;
  usedChunks: number;
  requests: number;
  failures: number;
}

/** Counters summed over shards. Read without locks: each is exact, their sum a moment's view. */
export interface ZoneStats {
  sizeBytes: number;
  shards: number;
  records: number;
  /** Of `records`, the tombstones (deleted keys kept so that the delete reaches and holds in the cluster). */
  tombstones: number;
  /** Records in output queues, waiting for the sync side. */
  pending: number;
  evictions: number;
  allocFailures: number;
  expired: number;
  lockWaits: number;
  /** Shards emptied because a thread died in the middle of changing them. */
  resets: number;
  pagesTotal: number;
  pagesFree: number;
  largePagesUsed: number;
  /** Bytes not holding any block: free pages and free chunks. */
  bytesFree: number;
  classes: SlabClassStats[];
}

export function readStats(m: ZoneMemory): ZoneStats {
  const classCount = m.classCount;
  const classes: SlabClassStats[] = [];
  for (let c = 0; c < classCount; c++) {
    classes.push({ sizeBytes: m.classes.classSizeBytes(c), totalChunks: 0, usedChunks: 0, requests: 0, failures: 0 });
  }
  const s: ZoneStats = {
    sizeBytes: m.sizeBytes, shards: m.shardCount, records: 0, tombstones: 0, pending: 0, evictions: 0, allocFailures: 0,
    expired: 0, lockWaits: 0, resets: 0, pagesTotal: m.pagesPerShard * m.shardCount, pagesFree: 0,
    largePagesUsed: 0, bytesFree: 0, classes,
  };
  const u32 = m.u32;
  for (let i = 0; i < m.shardCount; i++) {
    const w = m.shardBase(i) >>> 2;
    s.records += u32[w + S_RECORDS]!;
    s.tombstones += u32[w + S_TOMBSTONES]!;
    s.pending += u32[w + S_PENDING]!;
    s.evictions += u32[w + S_EVICTIONS]!;
    s.allocFailures += u32[w + S_ALLOC_FAILURES]!;
    s.expired += u32[w + S_EXPIRED]!;
    s.lockWaits += Atomics.load(m.i32, w + S_LOCK_WAITS);
    s.resets += u32[w + S_RESETS]!;
    s.pagesFree += u32[w + S_FREE_PAGES]!;
    s.largePagesUsed += u32[w + S_LARGE_STATS]!;
    for (let c = 0; c < classCount; c++) {
      const st = w + S_CLASS_STATS + c * SLAB_STAT_WORDS;
      const cls = classes[c]!;
      cls.totalChunks += u32[st + STAT_TOTAL]!;
      cls.usedChunks += u32[st + STAT_USED]!;
      cls.requests += u32[st + STAT_REQS]!;
      cls.failures += u32[st + STAT_FAILS]!;
    }
  }
  s.bytesFree = s.pagesFree * m.pageSize;
  for (const c of classes) s.bytesFree += (c.totalChunks - c.usedChunks) * c.sizeBytes;
  return s;
}
