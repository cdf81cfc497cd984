// The NGINX Plus API (version 9) over zonesync's zones: routing, methods, write=on|off and
// the location's access rules. The runtime's HTTP front end calls the handler for requests
// of the API location, with the path below the location's prefix:
//
//   location /api { api write=on; }   GET /api/9/http/keyvals/one?key=a
//                                     → handler(req, res, '/9/http/keyvals/one')
//
// Endpoints (every version from 1 to 9 is answered the same way):
//   /                              GET  the versions: [1,…,9]
//   /9/                            GET  the first-level endpoints
//   /9/nginx                       GET  the node (when a nodeInfo provider is given)
//   /9/http/, /9/stream/           GET  their endpoints
//   /9/{http,stream}/keyvals/…     see keyvals.ts
//   /9/stream/zone_sync            GET  the sync status (when a syncStatus provider is given)
//   /9/processes, /9/slabs/, …     the node's status (when a status provider is given):
//                                  see status-endpoints.ts
//   /9/zonesync                    GET  zonesync's own: the node, its threads, its zones (when given)
// A request is checked in this order: access (403, 401), version (404 UnknownVersion), path
// (404 PathNotFound), method (405 MethodNotSupported), write=off (405 MethodDisabled), the
// body (413, 400), the zone (404 KeyvalNotFound) and its keys (400, 404, 409, 507).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_MAX_BODY_BYTES, bodyTooLarge, readBody } from './body.js';
import { listEndpoint, type Endpoint, type RequestContext, type WriteMethod } from './endpoint.js';
import { ApiError, ErrorCode, formatError, methodDisabled, methodNotSupported, pathNotFound, unknownVersion } from './errors.js';
import { parseFields, pickFields, pickMemberFields } from './fields.js';
import { parseKeyvalBody } from './keyval-body.js';
import {
  emptyZone, findZone, keyObject, patchKey, postKeys, zoneObject, type KeyvalModule, type KeyvalZones,
} from './keyvals.js';
import type { RequestGuard } from './request-guard.js';
import { nginxObject, type NodeInfo, type NodeStatus } from './node-status.js';
import { sendError, sendJson, sendNoContent } from './respond.js';
import { HTTP_STATUS_ENDPOINTS, STREAM_STATUS_ENDPOINTS, TOP_STATUS_ENDPOINTS, statusEndpointResolver } from './status-endpoints.js';
import { zoneSyncBody, type ZoneSyncStatusProvider } from './zone-sync.js';
import { zonesyncBody, type ZonesyncStatusProvider, type ZonesyncZoneSource } from './zonesync-status.js';

export const API_VERSIONS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9];

export interface ApiHandlerOptions {
  readonly keyvals: KeyvalZones;
  /** api write=on: POST, PATCH and DELETE are allowed; otherwise 405 MethodDisabled. */
  readonly write: boolean;
  /** The zone_sync counters; absent: no /stream/zone_sync (a node without sync). */
  readonly syncStatus?: ZoneSyncStatusProvider;
  /** GET /9/nginx: what NGINX Plus says of itself (version, pid, …); absent: no endpoint. */
  readonly nodeInfo?: () => NodeInfo;
  /** The node's status endpoints (/processes, /slabs/, /http/limit_reqs/, …); absent: none of them. */
  readonly status?: NodeStatus;
  /** GET /9/zonesync: the node and its zones (zonesync-status.ts); absent: no endpoint. */
  readonly zonesync?: { readonly node: ZonesyncStatusProvider; readonly zones: readonly ZonesyncZoneSource[] };
  /** allow/deny and basic auth of the API location (a RequestGuard). */
  readonly guard?: RequestGuard;
  /** Bound of a POST or PATCH body; default 1 MiB, more is 413 BodyTooLarge. */
  readonly maxBodyBytes?: number;
  /** Called with what caused a 500, for the log. */
  readonly onError?: (error: unknown, req: IncomingMessage) => void;
}

/**
 * Never rejects: every outcome, errors included, is written to `res`. `body`: the request
 * body when the caller has read it already (bounded the same way); otherwise the handler
 * reads it from `req` when the method takes one.
 */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse, pathUnderApi: string, body?: Buffer) => Promise<void>;

const READ_METHODS = ['GET', 'HEAD'];
const VERSION_NAMES: ReadonlySet<string> = new Set(API_VERSIONS.map(String));

export function createApiHandler(options: ApiHandlerOptions): ApiHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes > 0)) throw new RangeError('maxBodyBytes must be a positive integer');
  const resolve = endpointResolver(options, maxBodyBytes);

  return async (req, res, pathUnderApi, body) => {
    try {
      if (options.guard !== undefined) await options.guard.authorize(req);
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const ctx: RequestContext = { req, query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)), body };
      await dispatch(resolve(pathUnderApi), ctx, res, options.write);
    } catch (e) {
      if (!(e instanceof ApiError) || e.code === ErrorCode.InternalError) options.onError?.(e, req);
      sendError(res, e);
    }
  };
}

async function dispatch(endpoint: Endpoint, ctx: RequestContext, res: ServerResponse, write: boolean): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  const writeMethods = Object.keys(endpoint.writes ?? {}) as WriteMethod[];
  const allowed = [...READ_METHODS, ...writeMethods];
  if (READ_METHODS.includes(method)) {
    sendJson(res, 200, await endpoint.read(ctx));
    return;
  }
  const run = endpoint.writes?.[method as WriteMethod];
  if (run === undefined) throw methodNotSupported(allowed);
  if (!write) throw methodDisabled(READ_METHODS);
  sendNoContent(res, await run(ctx));
}

function endpointResolver(options: ApiHandlerOptions, maxBodyBytes: number): (path: string) => Endpoint {
  const { keyvals, syncStatus, nodeInfo, status, zonesync } = options;
  const versions: Endpoint = { read: () => API_VERSIONS };
  // The lists in NGINX Plus's order, with what this handler serves.
  const top = listEndpoint([
    ...(nodeInfo === undefined ? [] : ['nginx']), ...(status === undefined ? [] : TOP_STATUS_ENDPOINTS.slice(0, 3)),
    'http', 'stream', ...(status === undefined ? [] : TOP_STATUS_ENDPOINTS.slice(3)), ...(zonesync === undefined ? [] : ['zonesync']),
  ]);
  const http = listEndpoint(status === undefined ? ['keyvals'] : [...HTTP_STATUS_ENDPOINTS.slice(0, -1), 'keyvals', 'upstreams']);
  const stream = listEndpoint([
    ...(status === undefined ? [] : STREAM_STATUS_ENDPOINTS.slice(0, 2)), 'keyvals',
    ...(status === undefined ? [] : STREAM_STATUS_ENDPOINTS.slice(2)), ...(syncStatus === undefined ? [] : ['zone_sync']),
  ]);
  const statusEndpoint = status === undefined ? () => null : statusEndpointResolver(status);

  const keyvalsOf = (module: KeyvalModule): Endpoint => ({
    read: ({ query }) => {
      const all = Object.create(null) as Record<string, Record<string, string>>;
      for (const [name, zone] of keyvals[module]) all[name] = zoneObject(zone);
      return pickMemberFields(all, parseFields(query));
    },
  });

  const keyvalZone = (module: KeyvalModule, name: string): Endpoint => ({
    read: ({ query }) => {
      const zone = findZone(keyvals, module, name);
      const key = query.get('key');
      return key === null ? zoneObject(zone) : keyObject(zone, key);
    },
    writes: {
      POST: async (ctx) => {
        const zone = findZone(keyvals, module, name);
        postKeys(zone, parseKeyvalBody(await bodyOf(ctx, maxBodyBytes), 'post'));
        return 201;
      },
      PATCH: async (ctx) => {
        const zone = findZone(keyvals, module, name);
        patchKey(zone, parseKeyvalBody(await bodyOf(ctx, maxBodyBytes), 'patch'));
        return 204;
      },
      DELETE: async ({ query }) => {
        // DELETE empties the whole zone, cluster-wide: one that names a key means something else.
        if (query.has('key')) throw formatError('DELETE empties the whole zone; delete one key with PATCH {"KEY": null}');
        emptyZone(findZone(keyvals, module, name));
        return 204;
      },
    },
  });

  return (path) => {
    const segments = splitPath(path);
    if (segments.length === 0) return versions;
    if (!VERSION_NAMES.has(segments[0]!)) throw unknownVersion();
    const below = segments.slice(1);
    const [first, second, third, ...more] = below;
    if (first === undefined) return top;
    if (first === 'nginx' && second === undefined && nodeInfo !== undefined) {
      return { read: ({ req, query }) => pickFields(nginxObject(nodeInfo(), req), parseFields(query)) };
    }
    if (first === 'zonesync' && second === undefined && zonesync !== undefined) {
      return { read: ({ query }) => pickFields(zonesyncBody(zonesync.node(), zonesync.zones), parseFields(query)) };
    }
    const found = statusEndpoint(below);
    if (found !== null) return found;
    if (more.length > 0) throw pathNotFound();
    if (first !== 'http' && first !== 'stream') throw pathNotFound();
    if (second === undefined) return first === 'http' ? http : stream;
    if (second === 'keyvals') return third === undefined ? keyvalsOf(first) : keyvalZone(first, third);
    if (first === 'stream' && second === 'zone_sync' && third === undefined && syncStatus !== undefined) {
      return { read: async ({ query }) => pickFields(zoneSyncBody(await syncStatus()), parseFields(query)) };
    }
    throw pathNotFound();
  };
}

function bodyOf(ctx: RequestContext, maxBodyBytes: number): Promise<Buffer> {
  if (ctx.body === undefined) return readBody(ctx.req, maxBodyBytes);
  if (ctx.body.length > maxBodyBytes) return Promise.reject(bodyTooLarge(maxBodyBytes));
  return Promise.resolve(ctx.body);
}

/** Path segments, percent-decoded; empty segments (doubled or trailing slashes) dropped. */
function splitPath(path: string): string[] {
  const q = path.indexOf('?');
  const segments = (q < 0 ? path : path.slice(0, q)).split('/').filter((s) => s !== '');
  try {
    return segments.map((s) => decodeURIComponent(s));
  } catch {
    throw pathNotFound();
  }
}
