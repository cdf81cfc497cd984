import type { ZoneMemory } from './memory.js';
import {
  DESC_WORDS, FLAG_QUEUED, FLAG_REFERENCED, FLAG_TOMBSTONE, P_FREE_CHUNK, P_NEXT, P_PREV, P_SPAN, P_TAG, P_USED,
  RECORD_HEADER_BYTES, R_FLAGS, R_HASH_NEXT, R_KEY, R_KEY_LEN, R_LRU_NEXT, R_LRU_PREV,
  R_OUT_NEXT, R_OUT_PREV, R_VALUE_LEN, SHARD_HEADER_BYTES, SLAB_STAT_WORDS, STAT_TOTAL, STAT_USED,
  S_CLASS_STATS, S_DIRTY, S_FREE_PAGES, S_FREE_RUNS, S_LARGE_STATS, S_LRU_HEAD, S_OUT_HEAD, S_PARTIAL,
  S_PENDING, S_RECORDS, S_TOMBSTONES, TAG_FREE, TAG_FREE_TAIL, TAG_LARGE, TAG_SMALL,
} from './layout.js';
import type { ShmZone } from './zone.js';
import { hashView } from './hash.js';

/**
 * Walks every structure of every shard under its lock and reports what disagrees: slab
 * pages and runs, free-run and partial lists, class statistics, hash chains, both queues,
 * the counters and the sequence word. An empty list means the zone is sound. Costs
 * O(zone size): for tests, and for the runtime after a forced unlock.
 */
export function checkZone(zone: ShmZone): string[] {
  const problems: string[] = [];
  for (let s = 0; s < zone.shardCount; s++) {
    zone.lock(s);
    try {
      checkShard(zone, s, (p) => problems.push(`shard ${s}: ${p}`));
    } finally {
      zone.unlock(s);
    }
  }
  return problems;
}

type Report = (problem: string) => void;

interface SlabWalk {
  blocks: Map<number, number>; // block offset → usable bytes
  freePages: number;
  runHeads: Set<number>;
  partial: Set<number>[]; // per class: pages with a free chunk
  classTotal: number[];
  classUsed: number[];
  largePages: number;
}

function checkShard(zone: ShmZone, shard: number, report: Report): void {
  const m = zone.memory;
  const base = m.shardBase(shard);
  const w = base >>> 2;
  if (m.u32[w + S_DIRTY] !== 0) report(`dirty marker ${m.u32[w + S_DIRTY]} left by an unfinished mutation`);
  // Under the checker's own lock, which changes nothing: no tenure is in the middle of a change.
  if ((zone.shardSeq(shard) & 1) !== 0) report(`sequence word ${zone.shardSeq(shard)} is odd while no change is in progress`);
  const slab = walkPages(m, base, report);
  checkPageLists(m, base, slab, report);
  const records = checkChains(zone, shard, slab, report);
  checkQueue(m, w + S_LRU_HEAD, R_LRU_PREV, R_LRU_NEXT, records, 'LRU queue', report, (n) => {
    if (n !== records.size) report(`LRU queue holds ${n} records, the table ${records.size}`);
  });
  let flagged = 0;
  for (const rec of records) if (m.u8[rec + R_FLAGS]! & FLAG_QUEUED) flagged++;
  checkQueue(m, w + S_OUT_HEAD, R_OUT_PREV, R_OUT_NEXT, records, 'output queue', report, (n) => {
    if (n !== m.u32[w + S_PENDING]) report(`output queue holds ${n} records, pending counter says ${m.u32[w + S_PENDING]}`);
    if (n !== flagged) report(`output queue holds ${n} records, ${flagged} are flagged queued`);
  }, (rec) => {
    if (!(m.u8[rec + R_FLAGS]! & FLAG_QUEUED)) report(`record ${rec} is in the output queue without the queued flag`);
  });
  if (records.size !== m.u32[w + S_RECORDS]) report(`table holds ${records.size} records, counter says ${m.u32[w + S_RECORDS]}`);
  let tombstones = 0;
  for (const rec of records) if (m.u8[rec + R_FLAGS]! & FLAG_TOMBSTONE) tombstones++;
  if (tombstones !== m.u32[w + S_TOMBSTONES]) report(`table holds ${tombstones} tombstones, counter says ${m.u32[w + S_TOMBSTONES]}`);
  if (slab.blocks.size !== records.size) report(`${slab.blocks.size} slab blocks in use for ${records.size} records`);
}

function descWord(m: ZoneMemory, base: number, page: number): number {
  return ((base + m.descsOffset) >>> 2) + page * DESC_WORDS;
}

function walkPages(m: ZoneMemory, base: number, report: Report): SlabWalk {
  const u32 = m.u32;
  const classes = m.classCount;
  const walk: SlabWalk = {
    blocks: new Map(), freePages: 0, runHeads: new Set(), partial: [], classTotal: new Array(classes).fill(0),
    classUsed: new Array(classes).fill(0), largePages: 0,
  };
  for (let c = 0; c < classes; c++) walk.partial.push(new Set());
  let previousFree = false;
  for (let page = 0; page < m.pagesPerShard; ) {
    const d = descWord(m, base, page);
    const tag = u32[d + P_TAG]!;
    const span = u32[d + P_SPAN]!;
    const start = base + m.pagesOffset + (page << m.pageShift);
    if (tag === TAG_FREE) {
      if (span < 1 || page + span > m.pagesPerShard) { report(`free run at page ${page} has bad length ${span}`); return walk; }
      if (previousFree) report(`free run at page ${page} follows another free run (not merged)`);
      if (span > 1) {
        const t = descWord(m, base, page + span - 1);
        if (u32[t + P_TAG] !== TAG_FREE_TAIL || u32[t + P_SPAN] !== page) report(`free run at page ${page} has a bad tail`);
      }
      walk.freePages += span;
      walk.runHeads.add(page);
      previousFree = true;
      page += span;
      continue;
    }
    previousFree = false;
    if (tag === TAG_LARGE) {
      if (span < 1 || page + span > m.pagesPerShard) { report(`large block at page ${page} has bad length ${span}`); return walk; }
      walk.blocks.set(start, span << m.pageShift);
      walk.largePages += span;
      page += span;
      continue;
    }
    if (tag !== TAG_SMALL) { report(`page ${page} starts no block (tag ${tag})`); return walk; }
    if (span >= classes) { report(`page ${page} has bad size class ${span}`); return walk; }
    walkSmallPage(m, page, d, start, span, walk, report);
    page += 1;
  }
  return walk;
}

function walkSmallPage(m: ZoneMemory, page: number, d: number, start: number, cls: number, walk: SlabWalk, report: Report): void {
  const size = m.classes.classSizeBytes(cls);
  const chunks = m.classes.chunksPerPage(cls, m.pageSize);
  const end = start + chunks * size; // the page's tail, under one chunk, holds none
  const free = new Set<number>();
  for (let c = m.u32[d + P_FREE_CHUNK]!; c !== 0; c = m.u32[c >>> 2]!) {
    if (c < start || c >= end || (c - start) % size !== 0) { report(`page ${page}: free chunk ${c} is not a chunk of the page`); break; }
    if (free.has(c)) { report(`page ${page}: free chunk list loops`); break; }
    free.add(c);
  }
  const used = m.u32[d + P_USED]!;
  if (used + free.size !== chunks) report(`page ${page}: ${used} used + ${free.size} free chunks != ${chunks}`);
  if (used === 0) report(`page ${page}: an empty chunk page was not freed`);
  if (free.size > 0) walk.partial[cls]!.add(page);
  walk.classTotal[cls] += chunks;
  walk.classUsed[cls] += used;
  for (let c = start; c < end; c += size) if (!free.has(c)) walk.blocks.set(c, size);
}

function checkPageLists(m: ZoneMemory, base: number, walk: SlabWalk, report: Report): void {
  const u32 = m.u32;
  const w = base >>> 2;
  const runs = walkPageList(m, base, w + S_FREE_RUNS, report, 'free run list');
  if (!sameSet(runs, walk.runHeads)) report(`free run list holds pages ${[...runs]}, the pages show runs at ${[...walk.runHeads]}`);
  if (u32[w + S_FREE_PAGES] !== walk.freePages) report(`free page counter ${u32[w + S_FREE_PAGES]} != ${walk.freePages} free pages`);
  if (u32[w + S_LARGE_STATS] !== walk.largePages) report(`large page counter ${u32[w + S_LARGE_STATS]} != ${walk.largePages}`);
  for (let c = 0; c < walk.partial.length; c++) {
    const listed = walkPageList(m, base, w + S_PARTIAL + c, report, `partial list of class ${c}`);
    for (const p of listed) {
      const d = descWord(m, base, p);
      if (u32[d + P_TAG] !== TAG_SMALL || u32[d + P_SPAN] !== c) report(`partial list of class ${c} holds page ${p} of another kind`);
    }
    if (!sameSet(listed, walk.partial[c]!)) report(`partial list of class ${c} disagrees with the pages that have free chunks`);
    const st = w + S_CLASS_STATS + c * SLAB_STAT_WORDS;
    if (u32[st + STAT_TOTAL] !== walk.classTotal[c]) report(`class ${c}: total chunks ${u32[st + STAT_TOTAL]} != ${walk.classTotal[c]}`);
    if (u32[st + STAT_USED] !== walk.classUsed[c]) report(`class ${c}: used chunks ${u32[st + STAT_USED]} != ${walk.classUsed[c]}`);
  }
}

function walkPageList(m: ZoneMemory, base: number, headWord: number, report: Report, what: string): Set<number> {
  const seen = new Set<number>();
  let prev = 0;
  for (let link = m.u32[headWord]!; link !== 0; ) {
    const page = link - 1;
    if (page >= m.pagesPerShard || seen.has(page)) { report(`${what} is broken at page ${page}`); break; }
    const d = descWord(m, base, page);
    if (m.u32[d + P_PREV] !== prev) report(`${what}: page ${page} has a bad back link`);
    seen.add(page);
    prev = link;
    link = m.u32[d + P_NEXT]!;
  }
  return seen;
}

function checkChains(zone: ShmZone, shard: number, slab: SlabWalk, report: Report): Set<number> {
  const m = zone.memory;
  const base = m.shardBase(shard);
  const buckets = (base + SHARD_HEADER_BYTES) >>> 2;
  const records = new Set<number>();
  const keys = new Set<string>();
  const shardBits = Math.log2(m.shardCount);
  for (let b = 0; b < m.bucketCount; b++) {
    for (let rec = m.u32[buckets + b]!; rec !== 0; rec = m.u32[(rec + R_HASH_NEXT) >>> 2]!) {
      const size = slab.blocks.get(rec);
      if (size === undefined) { report(`bucket ${b} links ${rec}, which is no slab block in use`); break; }
      if (records.has(rec)) { report(`record ${rec} is linked twice (chain loop?)`); break; }
      records.add(rec);
      // Clamped to the zone's end, so that a torn key length is reported, not thrown on.
      const hashedLen = Math.min(Math.max(0, m.u16[(rec + R_KEY_LEN) >>> 1]! - m.keySuffixBytes), m.sizeBytes - (rec + R_KEY));
      const hash = hashView(m.view, rec + R_KEY, hashedLen);
      if ((hash & m.bucketMask) !== b) report(`record ${rec} is in bucket ${b}, its key's hash says ${hash & m.bucketMask}`);
      if (shardBits > 0 && hash >>> (32 - shardBits) !== shard) report(`record ${rec} belongs to shard ${hash >>> (32 - shardBits)}`);
      const keyLen = m.u16[(rec + R_KEY_LEN) >>> 1]!;
      const valueLen = m.u32[(rec + R_VALUE_LEN) >>> 2]!;
      if (keyLen > m.maxKeyBytes) report(`record ${rec} has a key of ${keyLen} bytes`);
      const flags = m.u8[rec + R_FLAGS]!;
      if ((flags & ~(FLAG_TOMBSTONE | FLAG_QUEUED | FLAG_REFERENCED)) !== 0) report(`record ${rec} has unknown flags ${flags}`);
      if (RECORD_HEADER_BYTES + keyLen + valueLen > size) report(`record ${rec} overruns its block of ${size} bytes`);
      const key = Array.from(m.u8.subarray(rec + R_KEY, rec + R_KEY + keyLen)).join(',');
      if (keys.has(key)) report(`key [${key}] is stored twice`);
      keys.add(key);
    }
  }
  return records;
}

function checkQueue(
  m: ZoneMemory, headWord: number, prevField: number, nextField: number, records: Set<number>, what: string,
  report: Report, onCount: (n: number) => void, onRecord?: (rec: number) => void,
): void {
  let prev = 0;
  let n = 0;
  const seen = new Set<number>();
  for (let rec = m.u32[headWord]!; rec !== 0; rec = m.u32[(rec + nextField) >>> 2]!) {
    if (!records.has(rec) || seen.has(rec)) { report(`${what} links ${rec}, not a record of the table or seen twice`); return; }
    if (m.u32[(rec + prevField) >>> 2] !== prev) report(`${what}: record ${rec} has a bad back link`);
    onRecord?.(rec);
    seen.add(rec);
    prev = rec;
    n++;
  }
  if (m.u32[headWord + 1] !== prev) report(`${what}: tail ${m.u32[headWord + 1]} is not the last record ${prev}`);
  onCount(n);
}

function sameSet(a: Set<number>, b: Set<number>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
