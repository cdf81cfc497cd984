// The node's side of /api/9/zonesync: who it is, since when, its threads, and its zones.

import type { ZonesyncNodeStatus, ZonesyncStatusProvider, ZonesyncZoneSource, SyncThreadState } from '../api/zonesync-status.js';
import type { SyncThreadHandle } from '../sync/start-sync-thread.js';
import { zonesyncVersion } from './version.js';
import type { ZoneSet } from './zone-set.js';

export interface NodeIdentity {
  readonly nodeId: number;
  readonly nodeName: string;
  readonly workerThreads: number;
}

/**
 * What /api/9/zonesync says of the node: fixed at start but for the uptime and the sync
 * thread's state, which follows the thread's exit event.
 */
export function nodeStatusProvider(identity: NodeIdentity, sync: SyncThreadHandle | null): ZonesyncStatusProvider {
  const startedMs = Date.now();
  const version = zonesyncVersion();
  let syncState: SyncThreadState = sync === null ? 'off' : 'running';
  sync?.worker.once('exit', () => { syncState = 'exited'; });
  return (): ZonesyncNodeStatus => ({
    node: {
      id: identity.nodeId, name: identity.nodeName, version, pid: process.pid,
      start_time: new Date(startedMs).toISOString(), uptime_ms: Math.max(0, Date.now() - startedMs),
    },
    workers: { threads: identity.workerThreads, http: 'primary' },
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
