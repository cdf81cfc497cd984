import type { ZoneMemory } from './memory.js';
import { SHARD_HEADER_BYTES, S_DIRTY, S_LOCK_WAITS } from './layout.js';
import { initSlab } from './slab.js';

/**
 * Empties a shard: counters, queues and buckets zeroed, every page one free run. The lock
 * line is left alone, so this may run under the lock (forceUnlock resets a torn shard).
 */
export function initShard(m: ZoneMemory, base: number): void {
  const w = base >>> 2;
  m.u32.fill(0, w + S_DIRTY, w + S_LOCK_WAITS);
  m.u32.fill(0, w + SHARD_HEADER_BYTES / 4, (base + m.descsOffset) >>> 2);
  initSlab(m, base);
}
