import { zoneSet } from '../lib/shm-strings.js';
import { ShmZone } from 'native-free-shm';
import { KEY_COUNT, ZONE_BYTES, makeKeys, makeValue } from './workload.js';
import { runBench, type ResultRow } from '../lib/report.js';

const BATCH = 1000;

/** set of existing keys (same value length, so in place) on one thread, against a Map. */
export async function benchSet(timeMs: number): Promise<{ zone: ResultRow; map: ResultRow }> {
  const keys = makeKeys();
  const values = keys.map((_, i) => makeValue(i));
  const map = new Map<string, string>();
  const zone = ShmZone.create({ sizeBytes: ZONE_BYTES, shards: 16 });
  for (let i = 0; i < KEY_COUNT; i++) {
    map.set(keys[i]!, values[i]!);
    zoneSet(zone, keys[i]!, values[i]!);
  }
  let cursor = 0;
  const rows = await runBench([
    ['Map.set (100k existing keys)', () => {
      for (let n = 0; n < BATCH; n++) {
        map.set(keys[cursor]!, values[(cursor + 1) % KEY_COUNT]!);
        cursor = cursor + 7919 < KEY_COUNT ? cursor + 7919 : cursor + 7919 - KEY_COUNT;
      }
    }],
    ['zone.set (100k existing keys, K=16)', () => {
      for (let n = 0; n < BATCH; n++) {
        zoneSet(zone, keys[cursor]!, values[(cursor + 1) % KEY_COUNT]!);
        cursor = cursor + 7919 < KEY_COUNT ? cursor + 7919 : cursor + 7919 - KEY_COUNT;
      }
    }],
  ], BATCH, timeMs);
  if (zone.stats().records !== KEY_COUNT) throw new Error('set lost records');
  return { map: rows[0]!, zone: rows[1]! };
}
