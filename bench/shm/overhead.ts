import { zoneSet } from '../lib/shm-strings.js';
import { ShmZone, type SizeClassScheme } from 'native-free-shm';
import { KEY_COUNT, ZONE_BYTES, makeKeys, makeValue } from './workload.js';

/**
 * Zone bytes in use per record beyond its key and value bytes, at 100k records: everything
 * that is not free (headers, buckets, page descriptors, record headers, slab rounding)
 * divided by the records, less their key and value bytes. `sizeClasses` 'pow2' measures
 * nginx's power-of-two slab classes for comparison.
 */
export function measureOverhead(sizeClasses: SizeClassScheme = 'fine'): { bytesPerRecord: number; keyValueBytes: number } {
  const zone = ShmZone.create({ sizeBytes: ZONE_BYTES, shards: 16, sizeClasses });
  const keys = makeKeys();
  let payload = 0;
  for (let i = 0; i < KEY_COUNT; i++) {
    const value = makeValue(i);
    zoneSet(zone, keys[i]!, value);
    payload += keys[i]!.length + value.length;
  }
  const s = zone.stats();
  if (s.records !== KEY_COUNT) throw new Error(`zone holds ${s.records} of ${KEY_COUNT} records`);
  // Free pages count as unused; the zone is sized with headroom, which is not overhead per record.
  const used = s.sizeBytes - s.bytesFree;
  return { bytesPerRecord: Math.round((used - payload) / KEY_COUNT * 10) / 10, keyValueBytes: payload / KEY_COUNT };
}
