// The node's side of /api/9/zonesync: who it is, since when, its threads, and its zones.

import type { HttpServedBy, ZonesyncNodeStatus, ZonesyncStatusProvider, ZonesyncZoneSource, SyncThreadState } from '../api/zonesync-status.js';
import type { SyncView } from './sync-view.js';
import { zonesyncVersion } from './version.js';
import type { ZoneSet } from './zone-set.js';

export interface NodeIdentity {
  readonly nodeId: number;
  readonly nodeName: string;
  readonly workerThreads: number;
  /** Which threads serve HTTP (serving.ts). */
  readonly http: HttpServedBy;
  /** When the node started (ms since the epoch): the same in every thread that answers. */
  readonly startedMs: number;
}

/**
 * What /api/9/zonesync says of the node: fixed at start but for the uptime and the sync
 * thread's state, which follows the thread's exit event.
 */
export function nodeStatusProvider(identity: NodeIdentity, sync: SyncView | null): ZonesyncStatusProvider {
  const { startedMs } = identity;
  const version = zonesyncVersion();
  let syncState: SyncThreadState = sync === null ? 'off' : 'running';
  sync?.onExit(() => { syncState = 'exited'; });
  return (): ZonesyncNodeStatus => ({
    node: {
      id: identity.nodeId, name: identity.nodeName, version, pid: process.pid,
      start_time: new Date(startedMs).toISOString(), uptime_ms: Math.max(0, Date.now() - startedMs),
    },
    workers: { threads: identity.workerThreads, http: identity.http },
    sync: { state: syncState, listen: sync?.listenAddress ?? null },
  });
}

/** Every zone of the node, as /api/9/zonesync lists them. */
export function zoneSources(zones: ZoneSet): ZonesyncZoneSource[] {
  const source = (zone: { name: string; sync: boolean; stats: ZonesyncZoneSource['stats'] }, type: ZonesyncZoneSource['type'], context: 'http' | 'stream'): ZonesyncZoneSource =>
    ({ name: zone.name, type, context, sync: zone.sync, stats: () => zone.stats() });
  return [
    ...[...zones.httpKeyvals.values()].map((z) => source(z, 'keyval', 'http')),
    ...[...zones.streamKeyvals.values()].map((z) => source(z, 'keyval', 'stream')),
    ...[...zones.limitReq.values()].map((z) => source(z, 'limit_req', 'http')),
    ...[...zones.sticky.values()].map((z) => source(z, 'sticky', 'http')),
    ...[...zones.counter.values()].map((z) => source(z, 'counter', 'http')),
  ];
}
