import { zoneGet, zoneSet } from '../lib/shm-strings.js';
import { ShmZone } from 'native-free-shm';
import { KEY_COUNT, ZONE_BYTES, makeKeys, makeValue } from './workload.js';
import { runBench, type ResultRow } from '../lib/report.js';

const BATCH = 1000;

/** get (hit) of 100k keys on one thread: the zone against a thread-local Map of the same keys. */
export async function benchGet(timeMs: number): Promise<{ zone: ResultRow; map: ResultRow }> {
  const keys = makeKeys();
  const map = new Map<string, string>();
  const zone = ShmZone.create({ sizeBytes: ZONE_BYTES, shards: 16 });
  for (let i = 0; i < KEY_COUNT; i++) {
    map.set(keys[i]!, makeValue(i));
    zoneSet(zone, keys[i]!, makeValue(i));
  }
  let cursor = 0;
  let sink = 0;
  const rows = await runBench([
    ['Map.get (100k keys)', () => {
      for (let n = 0; n < BATCH; n++) {
        sink += map.get(keys[cursor]!)!.length;
        cursor = cursor + 7919 < KEY_COUNT ? cursor + 7919 : cursor + 7919 - KEY_COUNT;
      }
    }],
    ['zone.get (100k keys, K=16)', () => {
      for (let n = 0; n < BATCH; n++) {
        sink += zoneGet(zone, keys[cursor]!)!.length;
        cursor = cursor + 7919 < KEY_COUNT ? cursor + 7919 : cursor + 7919 - KEY_COUNT;
      }
    }],
  ], BATCH, timeMs);
  if (sink === 0) throw new Error('nothing was read');
  return { map: rows[0]!, zone: rows[1]! };
}
