/** The data every shm benchmark uses: 100k keys and values, the same in every thread. */
export const KEY_COUNT = 100_000;
export const VALUE_BYTES = 32;

export function makeKeys(count = KEY_COUNT): string[] {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) keys.push(`user:${String(i).padStart(8, '0')}`);
  return keys;
}

export function makeValue(i: number): string {
  return `session-${String(i).padStart(VALUE_BYTES - 8, '0')}`;
}

/**
 * The loops of contention-worker.ts. 'zone': 90% get / 10% set, uniform over the keys.
 * 'map': the same loop on a thread-local Map, sharing nothing: what the harness itself
 * allows. 'hot': read-mostly, every thread on the same hot keys (1 set in 256), through get
 * (lock-free when it can); 'hot-locked': the same with every read under the shard lock, as
 * get did before the lock-free path.
 */
export type ContentionMode = 'zone' | 'map' | 'hot' | 'hot-locked';

/** The hot keys of the read-mostly rows are keys[0..HOT_KEY_MASK]: 64 keys, spread over the shards. */
export const HOT_KEY_MASK = 63;

/** 32 MiB holds 100k records of this workload with room to spare. */
export const ZONE_BYTES = 32 << 20;
