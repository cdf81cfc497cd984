import { assert } from './assert.js';
import type { ZoneMemory } from './memory.js';
import { sizeClassOf } from './size-class.js';
import {
  DESC_WORDS, P_FREE_CHUNK, P_NEXT, P_PREV, P_SPAN, P_TAG, P_USED, SLAB_STAT_WORDS,
  STAT_FAILS, STAT_REQS, STAT_TOTAL, STAT_USED, S_CLASS_STATS, S_FREE_PAGES, S_FREE_RUNS, S_LARGE_STATS,
  S_PARTIAL, TAG_FREE, TAG_FREE_TAIL, TAG_LARGE, TAG_NONE, TAG_SMALL,
} from './layout.js';

/**
 * The slab allocator of one shard, after nginx's ngx_slab: the shard's pages are either
 * cut into chunks of one size class (8 bytes to half a page; four classes per doubling
 * rather than nginx's powers of two, see size-class.ts), or given whole, as a run, to one
 * larger block. Free pages form runs; a freed run merges with free
 * neighbours, so no two free runs are ever adjacent. Failure is a return value of 0.
 *
 * Every function here expects the shard's lock to be held, and those that change the shard
 * (alloc, free, init) the tenure's markDirty first (table.ts): freed chunks' links overwrite
 * what lock-free readers may still be reading, which the shard's sequence word must announce.
 */

export { sizeClassOf };

function desc(m: ZoneMemory, base: number, page: number): number {
  return ((base + m.descsOffset) >>> 2) + page * DESC_WORDS;
}

function pageOffset(m: ZoneMemory, base: number, page: number): number {
  return base + m.pagesOffset + (page << m.pageShift);
}

export function pageOfOffset(m: ZoneMemory, base: number, offset: number): number {
  return (offset - base - m.pagesOffset) >>> m.pageShift;
}

/** Lays out an empty shard: one free run of every page. */
export function initSlab(m: ZoneMemory, base: number): void {
  const w = base >>> 2;
  const u32 = m.u32;
  u32[w + S_FREE_RUNS] = 0;
  u32[w + S_FREE_PAGES] = 0;
  for (let i = 0; i < m.pagesPerShard; i++) {
    const d = desc(m, base, i);
    u32.fill(0, d, d + DESC_WORDS);
  }
  u32.fill(0, w + S_CLASS_STATS, w + S_LARGE_STATS + 3);
  freePages(m, base, 0, m.pagesPerShard);
}

// Doubly linked lists of pages through P_NEXT/P_PREV; `headWord` holds page index + 1.

function listPush(m: ZoneMemory, base: number, headWord: number, page: number): void {
  const u32 = m.u32;
  const d = desc(m, base, page);
  const head = u32[headWord]!;
  u32[d + P_PREV] = 0;
  u32[d + P_NEXT] = head;
  if (head !== 0) u32[desc(m, base, head - 1) + P_PREV] = page + 1;
  u32[headWord] = page + 1;
}

function listRemove(m: ZoneMemory, base: number, headWord: number, page: number): void {
  const u32 = m.u32;
  const d = desc(m, base, page);
  const prev = u32[d + P_PREV]!;
  const next = u32[d + P_NEXT]!;
  if (prev !== 0) u32[desc(m, base, prev - 1) + P_NEXT] = next;
  else u32[headWord] = next;
  if (next !== 0) u32[desc(m, base, next - 1) + P_PREV] = prev;
  u32[d + P_NEXT] = 0;
  u32[d + P_PREV] = 0;
}

/** First fit over the free runs. Returns the first page index, or -1. */
function allocPages(m: ZoneMemory, base: number, count: number): number {
  const u32 = m.u32;
  const runsWord = (base >>> 2) + S_FREE_RUNS;
  for (let link = u32[runsWord]!; link !== 0; ) {
    const page = link - 1;
    const d = desc(m, base, page);
    const span = u32[d + P_SPAN]!;
    if (span >= count) {
      listRemove(m, base, runsWord, page);
      u32[d + P_TAG] = TAG_NONE;
      if (span > count) markFreeRun(m, base, runsWord, page + count, span - count);
      u32[(base >>> 2) + S_FREE_PAGES] -= count;
      return page;
    }
    link = u32[d + P_NEXT]!;
  }
  return -1;
}

function markFreeRun(m: ZoneMemory, base: number, runsWord: number, page: number, span: number): void {
  const u32 = m.u32;
  const d = desc(m, base, page);
  u32[d + P_TAG] = TAG_FREE;
  u32[d + P_SPAN] = span;
  if (span > 1) {
    const t = desc(m, base, page + span - 1);
    u32[t + P_TAG] = TAG_FREE_TAIL;
    u32[t + P_SPAN] = page;
  }
  listPush(m, base, runsWord, page);
}

/** Returns `count` pages from `page` to the free runs, merged with free neighbours. */
function freePages(m: ZoneMemory, base: number, page: number, count: number): void {
  const u32 = m.u32;
  const runsWord = (base >>> 2) + S_FREE_RUNS;
  u32[(base >>> 2) + S_FREE_PAGES] += count;
  const next = page + count;
  if (next < m.pagesPerShard && u32[desc(m, base, next) + P_TAG] === TAG_FREE) {
    const nd = desc(m, base, next);
    const nextSpan = u32[nd + P_SPAN]!;
    listRemove(m, base, runsWord, next);
    u32[nd + P_TAG] = TAG_NONE;
    if (nextSpan > 1) u32[desc(m, base, next + nextSpan - 1) + P_TAG] = TAG_NONE;
    count += nextSpan;
  }
  if (page > 0) {
    const pd = desc(m, base, page - 1);
    const prevTag = u32[pd + P_TAG]!;
    const head = prevTag === TAG_FREE ? page - 1 : prevTag === TAG_FREE_TAIL ? u32[pd + P_SPAN]! : -1;
    if (head >= 0) {
      const hd = desc(m, base, head);
      const headSpan = u32[hd + P_SPAN]!;
      listRemove(m, base, runsWord, head);
      u32[hd + P_TAG] = TAG_NONE;
      u32[pd + P_TAG] = TAG_NONE;
      count += headSpan;
      page = head;
    }
  }
  markFreeRun(m, base, runsWord, page, count);
}

/** Allocates `bytes`; returns the block's byte offset, or 0 when the shard is full. */
export function slabAlloc(m: ZoneMemory, base: number, bytes: number): number {
  assert(bytes > 0, 'slab: allocation of 0 bytes');
  const w = base >>> 2;
  const u32 = m.u32;
  if (bytes > 1 << m.maxSmallShift) {
    const count = (bytes + m.pageSize - 1) >>> m.pageShift;
    u32[w + S_LARGE_STATS + 1]++;
    const page = allocPages(m, base, count);
    if (page < 0) {
      u32[w + S_LARGE_STATS + 2]++;
      return 0;
    }
    const d = desc(m, base, page);
    u32[d + P_TAG] = TAG_LARGE;
    u32[d + P_SPAN] = count;
    for (let i = 1; i < count; i++) u32[desc(m, base, page + i) + P_TAG] = TAG_NONE;
    u32[w + S_LARGE_STATS] += count;
    return pageOffset(m, base, page);
  }
  const cls = m.classes.sizeClassOf(bytes);
  const stats = w + S_CLASS_STATS + cls * SLAB_STAT_WORDS;
  const partialWord = w + S_PARTIAL + cls;
  u32[stats + STAT_REQS]++;
  let link = u32[partialWord]!;
  if (link === 0) {
    const page = allocPages(m, base, 1);
    if (page < 0) {
      u32[stats + STAT_FAILS]++;
      return 0;
    }
    initSmallPage(m, base, page, cls);
    u32[stats + STAT_TOTAL] += m.classes.chunksPerPage(cls, m.pageSize);
    listPush(m, base, partialWord, page);
    link = page + 1;
  }
  const d = desc(m, base, link - 1);
  const chunk = u32[d + P_FREE_CHUNK]!;
  const nextFree = u32[chunk >>> 2]!;
  u32[d + P_FREE_CHUNK] = nextFree;
  u32[d + P_USED]++;
  if (nextFree === 0) listRemove(m, base, partialWord, link - 1);
  u32[stats + STAT_USED]++;
  return chunk;
}

/** Cuts a page into chunks of class `cls`, chained through their first word. */
function initSmallPage(m: ZoneMemory, base: number, page: number, cls: number): void {
  const u32 = m.u32;
  const d = desc(m, base, page);
  const size = m.classes.classSizeBytes(cls);
  const start = pageOffset(m, base, page);
  const end = start + m.classes.chunksPerPage(cls, m.pageSize) * size;
  for (let c = start; c < end; c += size) u32[c >>> 2] = c + size < end ? c + size : 0;
  u32[d + P_TAG] = TAG_SMALL;
  u32[d + P_SPAN] = cls;
  u32[d + P_FREE_CHUNK] = start;
  u32[d + P_USED] = 0;
}

export function slabFree(m: ZoneMemory, base: number, offset: number): void {
  const u32 = m.u32;
  const w = base >>> 2;
  const page = pageOfOffset(m, base, offset);
  assert(page < m.pagesPerShard, 'slab: free of an offset outside the shard');
  const d = desc(m, base, page);
  const tag = u32[d + P_TAG];
  if (tag === TAG_LARGE) {
    assert(offset === pageOffset(m, base, page), 'slab: free of a pointer inside a large block');
    const count = u32[d + P_SPAN]!;
    u32[w + S_LARGE_STATS] -= count;
    freePages(m, base, page, count);
    return;
  }
  assert(tag === TAG_SMALL, 'slab: free of a chunk in a page that is not in use');
  const cls = u32[d + P_SPAN]!;
  const size = m.classes.classSizeBytes(cls);
  assert((offset - pageOffset(m, base, page)) % size === 0, 'slab: free of a misaligned chunk');
  const stats = w + S_CLASS_STATS + cls * SLAB_STAT_WORDS;
  const partialWord = w + S_PARTIAL + cls;
  const wasFull = u32[d + P_FREE_CHUNK] === 0;
  u32[offset >>> 2] = u32[d + P_FREE_CHUNK]!;
  u32[d + P_FREE_CHUNK] = offset;
  u32[d + P_USED]--;
  u32[stats + STAT_USED]--;
  if (wasFull) listPush(m, base, partialWord, page);
  if (u32[d + P_USED] === 0) {
    listRemove(m, base, partialWord, page);
    u32[stats + STAT_TOTAL] -= m.classes.chunksPerPage(cls, m.pageSize);
    u32[d + P_TAG] = TAG_NONE;
    freePages(m, base, page, 1);
  }
}

/** Usable bytes of the block at `offset` (its size class, or its whole pages). */
export function slabBlockSize(m: ZoneMemory, base: number, offset: number): number {
  const d = desc(m, base, pageOfOffset(m, base, offset));
  const span = m.u32[d + P_SPAN]!;
  return m.u32[d + P_TAG] === TAG_LARGE ? span << m.pageShift : m.classes.classSizeBytes(span);
}

/**
 * Whether freeing the block at `offset` certainly lets slabAlloc(bytes) succeed: a chunk of
 * the request's own size class, or a run of pages at least as long as the request needs.
 */
export function slabFreeingServes(m: ZoneMemory, base: number, offset: number, bytes: number): boolean {
  const d = desc(m, base, pageOfOffset(m, base, offset));
  const span = m.u32[d + P_SPAN]!;
  if (bytes > 1 << m.maxSmallShift) return m.u32[d + P_TAG] === TAG_LARGE && span << m.pageShift >= bytes;
  return m.u32[d + P_TAG] === TAG_SMALL && span === m.classes.sizeClassOf(bytes);
}

/**
 * The blocks in use in the page holding the block at `offset`: its used chunks, or the
 * large block itself. Allocates (a rare path: eviction of a whole page).
 */
export function slabPageBlocks(m: ZoneMemory, base: number, offset: number): number[] {
  const page = pageOfOffset(m, base, offset);
  const d = desc(m, base, page);
  const start = pageOffset(m, base, page);
  if (m.u32[d + P_TAG] === TAG_LARGE) return [start];
  assert(m.u32[d + P_TAG] === TAG_SMALL, 'slab: block in a page that is not in use');
  const cls = m.u32[d + P_SPAN]!;
  const size = m.classes.classSizeBytes(cls);
  const chunks = m.classes.chunksPerPage(cls, m.pageSize);
  const free = new Uint8Array(chunks);
  for (let c = m.u32[d + P_FREE_CHUNK]!, n = 0; c !== 0 && n < chunks; c = m.u32[c >>> 2]!, n++) free[(c - start) / size] = 1;
  const used: number[] = [];
  for (let i = 0; i < chunks; i++) if (free[i] === 0) used.push(start + i * size);
  assert(used.length === m.u32[d + P_USED], 'slab: page use count disagrees with its free list');
  return used;
}

/** Largest block a shard can ever give. */
export function slabMaxBlock(m: ZoneMemory): number {
  return m.pagesPerShard << m.pageShift;
}

export { desc as slabDescWord, pageOffset as slabPageOffset };
