// GET /api/9/zonesync: zonesync's own view of the node, where NGINX Plus has no endpoint
// for it: which node this is and since when, its worker threads and which thread serves
// HTTP, the sync thread's state, and every zone's memory and counters (read from the
// zone's own counters, no walk: cheap enough to poll every second). The runtime provides
// the node's part; this file fixes the shape:
//
//   {"node":{"id","name","version","pid","start_time","uptime_ms"},
//    "workers":{"threads","http"},
//    "sync":{"state","listen"},
//    "zones":{NAME:{"type","context","sync","records","tombstones","pending","size","used",
//                   "evictions","expired","alloc_failures"}}}

import type { ZoneStats } from 'native-free-shm';

/** off: the node has no zone_sync server; running; exited: the thread ended (a crash, or the node stopping). */
export type SyncThreadState = 'off' | 'running' | 'exited';

/**
 * Which thread answers HTTP: `primary`, the primary's front end (handlers run on the worker
 * pool), or `workers`, each worker thread's own server.
 */
export type HttpServedBy = 'primary' | 'workers';

export interface ZonesyncNodeStatus {
  readonly node: {
    readonly id: number;
    readonly name: string;
    readonly version: string;
    readonly pid: number;
    /** ISO 8601, as NGINX Plus's load_timestamp. */
    readonly start_time: string;
    readonly uptime_ms: number;
  };
  readonly workers: { readonly threads: number; readonly http: HttpServedBy };
  readonly sync: { readonly state: SyncThreadState; readonly listen: string | null };
}

export type ZoneType = 'keyval' | 'limit_req' | 'sticky' | 'counter';

/** A zone as the endpoint lists it. */
export interface ZonesyncZoneSource {
  readonly name: string;
  readonly type: ZoneType;
  /** keyval zones: the block that declared them; the others are http ones. */
  readonly context: 'http' | 'stream';
  readonly sync: boolean;
  stats(): ZoneStats;
}

export interface ZonesyncZoneStatus {
  readonly type: ZoneType;
  readonly context: 'http' | 'stream';
  readonly sync: boolean;
  /** Records stored, tombstones excluded (expired ones not yet swept included). */
  readonly records: number;
  /** Deletes kept so that they reach and hold in the cluster. */
  readonly tombstones: number;
  /** Records waiting to be sent to the cluster. */
  readonly pending: number;
  /** The zone's size in bytes, and of them the bytes holding records or the zone's own tables. */
  readonly size: number;
  readonly used: number;
  readonly evictions: number;
  readonly expired: number;
  readonly alloc_failures: number;
}

export type ZonesyncStatusProvider = () => ZonesyncNodeStatus;

export function zonesyncBody(node: ZonesyncNodeStatus, zones: readonly ZonesyncZoneSource[]): Record<string, unknown> {
  const byName = Object.create(null) as Record<string, ZonesyncZoneStatus>;
  for (const zone of zones) byName[zone.name] = zoneStatus(zone);
  return { node: node.node, workers: node.workers, sync: node.sync, zones: byName };
}

function zoneStatus(zone: ZonesyncZoneSource): ZonesyncZoneStatus {
  const s = zone.stats();
  return {
    type: zone.type, context: zone.context, sync: zone.sync,
    records: s.records - s.tombstones, tombstones: s.tombstones, pending: s.pending,
    size: s.sizeBytes, used: s.sizeBytes - s.bytesFree,
    evictions: s.evictions, expired: s.expired, alloc_failures: s.allocFailures,
  };
}
