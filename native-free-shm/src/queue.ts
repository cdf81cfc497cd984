import type { ZoneMemory } from './memory.js';

/**
 * Intrusive doubly linked queues of records (nginx's ngx_queue_t, with offsets for
 * pointers). A queue is two words of the shard header, head and tail; a record's links are
 * two words of the record. The LRU queue runs from most recently used (head) to least
 * (tail); the output queue runs from oldest change (head) to newest (tail).
 *
 * Invariant: a record is linked in a queue iff the queue reaches it from its head; a record
 * not in a queue has both links 0 (checked by the invariant checker for the output queue
 * through FLAG_QUEUED).
 */

export function queuePushHead(m: ZoneMemory, headWord: number, prevField: number, nextField: number, rec: number): void {
  const u32 = m.u32;
  const head = u32[headWord]!;
  u32[(rec + prevField) >>> 2] = 0;
  u32[(rec + nextField) >>> 2] = head;
  if (head !== 0) u32[(head + prevField) >>> 2] = rec;
  else u32[headWord + 1] = rec;
  u32[headWord] = rec;
}

export function queuePushTail(m: ZoneMemory, headWord: number, prevField: number, nextField: number, rec: number): void {
  const u32 = m.u32;
  const tail = u32[headWord + 1]!;
  u32[(rec + nextField) >>> 2] = 0;
  u32[(rec + prevField) >>> 2] = tail;
  if (tail !== 0) u32[(tail + nextField) >>> 2] = rec;
  else u32[headWord] = rec;
  u32[headWord + 1] = rec;
}

export function queueRemove(m: ZoneMemory, headWord: number, prevField: number, nextField: number, rec: number): void {
  const u32 = m.u32;
  const prev = u32[(rec + prevField) >>> 2]!;
  const next = u32[(rec + nextField) >>> 2]!;
  if (prev !== 0) u32[(prev + nextField) >>> 2] = next;
  else u32[headWord] = next;
  if (next !== 0) u32[(next + prevField) >>> 2] = prev;
  else u32[headWord + 1] = prev;
  u32[(rec + prevField) >>> 2] = 0;
  u32[(rec + nextField) >>> 2] = 0;
}

/** Puts `newRec` where `oldRec` stands in the queue; `oldRec` ends unlinked. */
export function queueReplace(m: ZoneMemory, headWord: number, prevField: number, nextField: number, oldRec: number, newRec: number): void {
  const u32 = m.u32;
  const prev = u32[(oldRec + prevField) >>> 2]!;
  const next = u32[(oldRec + nextField) >>> 2]!;
  u32[(newRec + prevField) >>> 2] = prev;
  u32[(newRec + nextField) >>> 2] = next;
  if (prev !== 0) u32[(prev + nextField) >>> 2] = newRec;
  else u32[headWord] = newRec;
  if (next !== 0) u32[(next + prevField) >>> 2] = newRec;
  else u32[headWord + 1] = newRec;
  u32[(oldRec + prevField) >>> 2] = 0;
  u32[(oldRec + nextField) >>> 2] = 0;
}
