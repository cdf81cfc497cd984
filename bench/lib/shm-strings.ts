// String forms of ShmZone operations for the substrate's own benchmarks and tests: a
// whole get, set or remove of one key, each a lock tenure of its own. zonesync's zones
// (src/zones) do not use these: they stamp versions from the node's clock and outrank
// the version they replace. Tests load this file from dist-bench/lib/.
import { RecordVersion, WRITE_NO_MEMORY, WRITE_OK, copyScratchText, scratchText, type ShmZone, type WriteStatus } from 'native-free-shm';

/** Version fields a test may set; the rest default to a local write stamped now, origin 0. */
export interface VersionFields {
  stampMs?: number;
  logical?: number;
  origin?: number;
  /** Enter the output queue (a version made on this node); default true. */
  queue?: boolean;
}

const version = new RecordVersion();

/** The live value of `key`, or undefined (absent, deleted, expired). */
export function zoneGet(zone: ShmZone, key: string): string | undefined {
  zone.setKey(key);
  return zone.readCurrent();
}

/** Writes `value` for `key` unconditionally. Returns WRITE_NO_MEMORY when the shard is full. */
export function zoneSet(zone: ShmZone, key: string, value: string, expireAtMs = 0, tombstone = false, fields: VersionFields = {}): WriteStatus {
  zone.setKey(key);
  const valueBytes = scratchText(value);
  zone.assertRecordFits(valueBytes);
  const nowMs = zone.now();
  version.stampMs = fields.stampMs ?? nowMs;
  version.logical = fields.logical ?? 0;
  version.origin = fields.origin ?? 0;
  version.expireAtMs = expireAtMs;
  version.tombstone = tombstone;
  const shard = zone.shardOfKey();
  let rec = 0;
  zone.lock(shard);
  try {
    rec = zone.writeLocked(shard, zone.findLocked(shard, nowMs), valueBytes, version, fields.queue ?? true, nowMs);
    if (rec !== 0) copyScratchText(zone.memory.view, zone.valueOffset(rec), valueBytes);
  } finally {
    zone.unlock(shard);
  }
  return rec === 0 ? WRITE_NO_MEMORY : WRITE_OK;
}

/** Removes the key's record outright (no tombstone). Returns whether it was there. */
export function zoneRemove(zone: ShmZone, key: string): boolean {
  zone.setKey(key);
  const shard = zone.shardOfKey();
  zone.lock(shard);
  try {
    const rec = zone.findLiveLocked(shard);
    if (rec !== 0) zone.removeLocked(shard, rec);
    return rec !== 0;
  } finally {
    zone.unlock(shard);
  }
}
