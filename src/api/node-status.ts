// What a node tells the NGINX Plus API about itself beyond its keyvals and zone_sync: the
// objects of /nginx, /processes, /connections, /http/requests, /ssl and /workers, in the
// shapes and field order of the NGINX Plus API reference (version 9). The node provides
// the numbers (NodeStatus); this file fixes the shapes.

import type { IncomingMessage } from 'node:http';
import type { StatsSource } from './metrics.js';
import type { LimitReqCounts } from './limit-reqs.js';
import type { UpstreamGroupInfo } from './upstreams.js';

/** What the node says of itself in /nginx (NGINX Plus: the nginx binary and its master). */
export interface NodeInfo {
  readonly version: string;
  readonly build: string;
  /** Configuration reloads applied since the start. */
  readonly generation: number;
  /** When the configuration in force was loaded, ms since the epoch. */
  readonly loadedAtMs: number;
  /** The process that answers (NGINX Plus: the worker process). */
  readonly pid: number;
  /** The process that signals reach (NGINX Plus: the master process). */
  readonly ppid: number;
}

export interface ConnectionCounts {
  readonly accepted: number;
  readonly dropped: number;
  readonly active: number;
  readonly idle: number;
}

export interface HttpRequestCounts {
  readonly total: number;
  readonly current: number;
}

/** The statistics counters a DELETE of their endpoint sets back to zero. */
export type ResettableCounters = 'processes' | 'connections' | 'http_requests' | 'ssl' | 'workers';

/**
 * Where the status endpoints read from. Every counter is the node's (all of its threads),
 * read as of the request.
 */
export interface NodeStatus {
  /** Worker threads that died and were replaced. */
  readonly respawned: () => number;
  /** HTTP client connections of the node's front end. */
  readonly connections: () => ConnectionCounts;
  readonly httpRequests: () => HttpRequestCounts;
  /** Every shared memory zone with the slab allocator: keyval, limit_req, sticky. */
  readonly slabs: readonly StatsSource[];
  readonly upstreams: () => readonly UpstreamGroupInfo[];
  /** DELETE /http/upstreams/NAME: its peers' totals back to 0. */
  readonly resetUpstream?: (name: string) => void;
  /** limit_req counters by zone, every limit_req zone of the configuration. */
  readonly limitReqs: () => ReadonlyMap<string, LimitReqCounts>;
  /** DELETE of a counters endpoint (write=on). */
  readonly reset: (what: ResettableCounters) => void;
  /** DELETE /http/limit_reqs/NAME; false when there is no such zone. */
  readonly resetLimitReq: (zone: string) => boolean;
  /** Each thread that serves HTTP, by its slot: what it counted. Absent: one front end serves (the primary's). */
  readonly workers?: () => readonly WorkerCounts[];
}

/** What one serving thread counted (ConnectionCounts and HttpRequestCounts of its own). */
export interface WorkerCounts {
  readonly connections: ConnectionCounts;
  readonly requests: HttpRequestCounts;
}

/** GET /nginx. `address`: the local address of the connection the request came on. */
export function nginxObject(info: NodeInfo, req: IncomingMessage, nowMs: number = Date.now()): Record<string, unknown> {
  return {
    version: info.version,
    build: info.build,
    address: localAddress(req),
    generation: info.generation,
    load_timestamp: new Date(info.loadedAtMs).toISOString(),
    timestamp: new Date(nowMs).toISOString(),
    pid: info.pid,
    ppid: info.ppid,
  };
}

function localAddress(req: IncomingMessage): string {
  const a = req.socket.localAddress ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export function connectionsObject(c: ConnectionCounts): ConnectionCounts {
  return { accepted: c.accepted, dropped: c.dropped, active: c.active, idle: c.idle };
}

export function httpRequestsObject(r: HttpRequestCounts): HttpRequestCounts {
  return { total: r.total, current: r.current };
}

/**
 * GET /ssl: zonesync's HTTP front end has no TLS, so every client handshake count is 0
 * (the zone_sync listener's TLS is counted in its own status).
 */
export function sslObject(): Record<string, unknown> {
  return {
    handshakes: 0, handshakes_failed: 0, session_reuses: 0, no_common_protocol: 0, no_common_cipher: 0,
    handshake_timeout: 0, peer_rejected_cert: 0,
    verify_failures: { no_cert: 0, expired_cert: 0, revoked_cert: 0, hostname_mismatch: 0, other: 0 },
  };
}

/**
 * GET /workers: an entry per thread that serves HTTP, as NGINX Plus lists one per worker
 * process: its id (0, 1, …), the node's pid (the threads share the process), its
 * connections and requests. One entry for the node when the primary thread serves.
 *
 *   [{"id":0,"pid":4242,"connections":{"accepted":8,"dropped":0,"active":1,"idle":2},"http":{"requests":{"total":93,"current":1}}}, …]
 */
export function workersArray(status: NodeStatus, pid: number): Record<string, unknown>[] {
  const threads = status.workers?.() ?? [];
  const entries = threads.length > 0 ? threads : [{ connections: status.connections(), requests: status.httpRequests() }];
  return entries.map((w, id) => ({
    id,
    pid,
    connections: connectionsObject(w.connections),
    http: { requests: httpRequestsObject(w.requests) },
  }));
}
