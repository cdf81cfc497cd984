import type { ZoneHandle } from 'native-free-shm';

/** Module tags of docs/PROTOCOL.md "Frame": which functional module owns a zone's records. */
export const MODULE_KEYVAL = 1;
export const MODULE_LIMIT_REQ = 2;
export const MODULE_STICKY = 3;
/**
 * A keyval zone declared in `stream`: records as keyval's, but a zone of its own, so that an
 * http zone and a stream zone of the same name never sync into each other.
 */
export const MODULE_STREAM_KEYVAL = 4;
/** A counter zone: one count per (key, node), summed across the cluster (zones/counter). */
export const MODULE_COUNTER = 5;
export type ModuleTag = typeof MODULE_KEYVAL | typeof MODULE_LIMIT_REQ | typeof MODULE_STICKY | typeof MODULE_STREAM_KEYVAL | typeof MODULE_COUNTER;
export type ModuleName = 'keyval' | 'limit_req' | 'sticky' | 'counter';

/**
 * The record format version (a data frame's module_version) of a module tag's zones, 0 for a
 * tag no zone has: limit_req's share is version 3 (level, last, admitted, seen, refunded,
 * refund_seen, reset: see docs/LIMIT_REQ.md), the others' records version 1. A peer's frames
 * of another version are skipped and counted, never merged.
 */
export function moduleVersionOf(moduleTag: number): number {
  if (moduleTag === MODULE_LIMIT_REQ) return 3;
  return moduleTag === MODULE_KEYVAL || moduleTag === MODULE_STICKY || moduleTag === MODULE_STREAM_KEYVAL || moduleTag === MODULE_COUNTER ? 1 : 0;
}

/**
 * Everything another thread (a worker, the sync thread) needs to attach to a zone: plain
 * data, structured-clonable. The record layout every module keeps in shared memory is the
 * wire layout of docs/PROTOCOL.md "Record", so the sync thread moves records without knowing modules:
 *
 *  - record key = wire key, followed by the origin as 4 big-endian bytes when
 *    `originKeySuffix` (limit_req and counter keep one share per (key, origin));
 *  - record value = wire payload; tombstone flag, origin, stamp and expiry as on the wire.
 */
export interface ZoneDescriptor {
  name: string;
  module: ModuleName;
  moduleTag: ModuleTag;
  moduleVersion: number;
  handle: ZoneHandle;
  /** Whether the zone's changes are pushed to, and merged from, the cluster. */
  sync: boolean;
  originKeySuffix: boolean;
  /**
   * In a synced zone, the most key and payload bytes one record may have and still travel in
   * one zone_sync_buffers buffer (its size less the frame header, the zone's name and the
   * record header); a local write over it is refused. 0: no limit known (a zone not synced).
   */
  maxSyncedBytes: number;
  /**
   * The longest any version of a record may live past its stamp (expire_at − stamp ms), so
   * that a tombstone living that long past its own stamp outlives every older version; a
   * merged record that claims more (or never to expire) could not have been written by the
   * zone and is refused. 0: no bound (limit_req, zones that do not sync).
   */
  maxLifetimeMs: number;
  /**
   * The zone's change ring (change-ring.ts) when its changes are journaled (keyval
   * `state=`): every thread that changes the zone, the sync thread's merges included,
   * appends each change to it. Absent otherwise.
   */
  changeRing?: SharedArrayBuffer;
}

/** Bytes the origin adds to a record key when `originKeySuffix`. */
export const ORIGIN_SUFFIX_BYTES = 4;
