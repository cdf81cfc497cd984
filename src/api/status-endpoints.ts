// The NGINX Plus status endpoints of a node (API version 9), for the monitoring that reads
// NGINX Plus (nginx-prometheus-exporter, nginx-plus-go-client): every endpoint they ask
// for answers, with zonesync's figures where it has them and an empty collection where it
// has no such feature (caches, limit_conn, status zones, stream upstreams, resolver zones).
//
//   /processes /connections /slabs/[zone] /ssl /workers/[id] /resolvers/[zone]
//   /http/requests /http/{server_zones,location_zones,caches,limit_conns,limit_reqs,upstreams}/[name]
//   /stream/{server_zones,limit_conns,upstreams}/[name]
//
// GET and HEAD read (with `fields=`); DELETE resets the counters NGINX Plus lets it reset
// (204, or 405 MethodDisabled under write=off). A member that does not exist is 404 with
// the NGINX Plus code of its collection (UpstreamNotFound, LimitReqNotFound, …).

import type { Endpoint, RequestContext } from './endpoint.js';
import { ErrorCode, memberNotFound, type ErrorCodeName } from './errors.js';
import { parseFields, pickFields, pickMemberFields } from './fields.js';
import { limitReqObject } from './limit-reqs.js';
import {
  connectionsObject, httpRequestsObject, sslObject, workersArray, type NodeStatus, type ResettableCounters,
} from './node-status.js';
import { slabZone } from './slabs.js';
import { upstreamObject } from './upstreams.js';

export const TOP_STATUS_ENDPOINTS = ['processes', 'connections', 'slabs', 'resolvers', 'ssl', 'workers'] as const;
export const HTTP_STATUS_ENDPOINTS = ['requests', 'server_zones', 'location_zones', 'caches', 'limit_conns', 'limit_reqs', 'upstreams'] as const;
export const STREAM_STATUS_ENDPOINTS = ['server_zones', 'limit_conns', 'upstreams'] as const;

/** A named collection of status objects ({"name": {…}}), and how its members are reset. */
interface Collection {
  readonly members: () => Record<string, object>;
  readonly notFound: readonly [ErrorCodeName, string];
  /** DELETE of a member; absent: its counters cannot be reset (405 MethodNotSupported). */
  readonly reset?: (name: string) => void;
}

const EMPTY: () => Record<string, object> = () => ({});

/**
 * The status endpoint a path names, or null when it names none of them. `segments` are the
 * path below the version ("http", "upstreams", "backend").
 */
export function statusEndpointResolver(status: NodeStatus): (segments: readonly string[]) => Endpoint | null {
  const resetOnly = (what: ResettableCounters) => ({ DELETE: () => { status.reset(what); return Promise.resolve(204 as const); } });
  const object = (read: (ctx: RequestContext) => object, reset?: ResettableCounters): Endpoint => ({
    read: (ctx) => pickFields(read(ctx), parseFields(ctx.query)),
    ...(reset === undefined ? {} : { writes: resetOnly(reset) }),
  });
  const workers = () => workersArray(status, process.pid);

  const collections: Record<string, Collection> = {
    slabs: {
      members: () => Object.fromEntries(status.slabs.map((z) => [z.name, slabZone(z.stats())])),
      notFound: [ErrorCode.SlabNotFound, 'slab not found'],
    },
    resolvers: { members: EMPTY, notFound: [ErrorCode.ResolverZoneNotFound, 'resolver zone not found'] },
    'http/server_zones': { members: EMPTY, notFound: [ErrorCode.ServerZoneNotFound, 'server zone not found'] },
    'http/location_zones': { members: EMPTY, notFound: [ErrorCode.LocationZoneNotFound, 'location zone not found'] },
    'http/caches': { members: EMPTY, notFound: [ErrorCode.CacheNotFound, 'cache not found'] },
    'http/limit_conns': { members: EMPTY, notFound: [ErrorCode.LimitConnNotFound, 'limit_conn not found'] },
    'http/limit_reqs': {
      members: () => Object.fromEntries([...status.limitReqs()].map(([name, c]) => [name, limitReqObject(c)])),
      notFound: [ErrorCode.LimitReqNotFound, 'limit_req not found'],
      reset: (name) => { status.resetLimitReq(name); },
    },
    'http/upstreams': {
      members: () => Object.fromEntries(status.upstreams().map((u) => [u.name, upstreamObject(u)])),
      notFound: [ErrorCode.UpstreamNotFound, 'upstream not found'],
      reset: (name) => { status.resetUpstream?.(name); },
    },
    'stream/server_zones': { members: EMPTY, notFound: [ErrorCode.ServerZoneNotFound, 'server zone not found'] },
    'stream/limit_conns': { members: EMPTY, notFound: [ErrorCode.LimitConnNotFound, 'limit_conn not found'] },
    'stream/upstreams': { members: EMPTY, notFound: [ErrorCode.UpstreamNotFound, 'upstream not found'] },
  };

  const objects: Record<string, Endpoint> = {
    processes: object(() => ({ respawned: status.respawned() }), 'processes'),
    connections: object(() => connectionsObject(status.connections()), 'connections'),
    ssl: object(() => sslObject(), 'ssl'),
    'http/requests': object(() => httpRequestsObject(status.httpRequests()), 'http_requests'),
    workers: { read: () => workers(), writes: resetOnly('workers') },
  };

  return (segments) => {
    const [first, second, third, ...more] = segments;
    if (first === undefined) return null;
    const nested = first === 'http' || first === 'stream';
    const name = nested ? `${first}/${second ?? ''}` : first;
    const member = nested ? third : second;
    if (more.length > 0 || (!nested && third !== undefined)) return null;
    if (name === 'workers' && member !== undefined) return workerEndpoint(member, workers, resetOnly('workers'));
    const plain = objects[name];
    if (plain !== undefined) return member === undefined ? plain : null;
    const collection = collections[name];
    if (collection === undefined) return null;
    return member === undefined ? collectionEndpoint(collection) : memberEndpoint(collection, member);
  };
}

function collectionEndpoint(c: Collection): Endpoint {
  return { read: ({ query }) => pickMemberFields(c.members(), parseFields(query)) };
}

function memberEndpoint(c: Collection, name: string): Endpoint {
  const find = (): object => {
    const members = c.members();
    if (!Object.hasOwn(members, name)) throw memberNotFound(...c.notFound);
    return members[name]!;
  };
  const reset = c.reset;
  return {
    read: ({ query }) => pickFields(find(), parseFields(query)),
    ...(reset === undefined ? {} : {
      writes: {
        DELETE: () => {
          find();
          reset(name);
          return Promise.resolve(204 as const);
        },
      },
    }),
  };
}

function workerEndpoint(id: string, workers: () => Record<string, unknown>[], writes: Endpoint['writes']): Endpoint {
  const find = (): Record<string, unknown> => {
    const w = workers().find((x) => String(x['id']) === id);
    if (w === undefined) throw memberNotFound(ErrorCode.WorkerNotFound, 'worker not found');
    return w;
  };
  return {
    read: ({ query }) => pickFields(find(), parseFields(query)),
    writes: { DELETE: (ctx) => { find(); return writes!.DELETE!(ctx); } },
  };
}
