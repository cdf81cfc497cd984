// The node's side of the NGINX Plus status endpoints: what src/api's NodeStatus reads, from
// the node's shared counters, its zones and the configuration in force.

import type { NodeInfo, NodeStatus, ResettableCounters, WorkerCounts } from '../api/node-status.js';
import type { UpstreamGroupInfo } from '../api/upstreams.js';
import type { ZonesyncConfig } from '../config/types.js';
import { UpstreamCounters } from '../gateway/upstream-counters.js';
import {
  N_CONNECTIONS_ACCEPTED, N_REQUESTS_TOTAL, N_RESPAWNED, type NodeCounters, type ThreadCounts,
} from './node-counters.js';
import { zonesyncVersion } from './version.js';
import { allZonesOf, type ZoneSet } from './zone-set.js';

/** What the node knows of its own life: reloads and when the configuration in force was loaded. */
export interface NodeLife {
  readonly config: () => ZonesyncConfig;
  readonly generation: () => number;
  readonly loadedAtMs: () => number;
}

export function nodeInfoOf(life: NodeLife): () => NodeInfo {
  return () => ({
    version: zonesyncVersion(), build: 'zonesync', generation: life.generation(), loadedAtMs: life.loadedAtMs(),
    // One process is both nginx's master and its worker: signals go to this pid.
    pid: process.pid, ppid: process.pid,
  });
}

/** The counters each DELETE sets back to zero: the totals (gauges such as active stay). */
const RESETS: Record<ResettableCounters, readonly number[]> = {
  processes: [N_RESPAWNED],
  connections: [N_CONNECTIONS_ACCEPTED],
  http_requests: [N_REQUESTS_TOTAL],
  workers: [N_CONNECTIONS_ACCEPTED, N_REQUESTS_TOTAL],
  ssl: [],
};

/**
 * `upstreamCounters`: the gateway's counters of each upstream block in the configuration in
 * force (GatewayData.counters); a reload may give a block new ones, read from then on.
 */
export function nodeStatusOf(
  counters: NodeCounters, zones: ZoneSet, life: NodeLife, upstreamCounters: () => Readonly<Record<string, SharedArrayBuffer>> = () => ({}),
  perThread = false,
): NodeStatus {
  let readFrom: Readonly<Record<string, SharedArrayBuffer>> | null = null;
  let views = new Map<string, UpstreamCounters>();
  const traffic = (): ReadonlyMap<string, UpstreamCounters> => {
    const buffers = upstreamCounters();
    if (buffers !== readFrom) {
      readFrom = buffers;
      views = new Map(Object.entries(buffers).map(([name, buffer]) => [name, new UpstreamCounters(buffer)]));
    }
    return views;
  };
  return {
    ...(perThread ? { workers: () => counters.perSlot().map(workerCountsOf) } : {}),
    respawned: () => counters.read(N_RESPAWNED),
    connections: () => counters.connections(),
    httpRequests: () => counters.httpRequests(),
    slabs: allZonesOf(zones),
    upstreams: () => upstreamGroups(life.config(), traffic()),
    resetUpstream: (name) => traffic().get(name)?.reset(),
    limitReqs: () => counters.limitReqCounts(),
    // clear() zeroes a word in every replica: DELETE /workers sets each thread's totals back too.
    reset: (what) => {
      for (const word of RESETS[what]) counters.clear(word);
    },
    resetLimitReq: (zone) => counters.resetLimitReq(zone),
  };
}

function workerCountsOf(t: ThreadCounts): WorkerCounts {
  return { connections: { accepted: t.accepted, dropped: 0, active: t.active, idle: t.idle }, requests: { total: t.requests, current: t.current } };
}

function upstreamGroups(config: ZonesyncConfig, traffic: ReadonlyMap<string, UpstreamCounters>): UpstreamGroupInfo[] {
  const now = Date.now();
  return (config.http?.upstreams ?? []).map((u) => ({
    name: u.name,
    zone: u.zone?.name ?? null,
    peers: u.servers.map((s, id) => {
      const peer = { server: s.text, weight: s.weight, maxConns: s.maxConns, backup: s.backup, down: s.down };
      const counts = traffic.get(u.name);
      if (counts === undefined || id >= counts.peers) return peer;
      const c = counts.read(id, now);
      return { ...peer, unavailable: c.unavailableUntilMs > now, traffic: c };
    }),
  }));
}
