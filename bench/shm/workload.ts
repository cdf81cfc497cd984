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

/** 32 MiB holds 100k records of this workload with room to spare. */
export const ZONE_BYTES = 32 << 20;
