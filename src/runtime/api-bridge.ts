import type { IncomingMessage } from 'node:http';
import type { HttpLocationConfig } from '../config/types.js';
import { ApiError } from '../api/errors.js';
import { createApiHandler, createHealthHandlers, createMetrics, type ApiHandler, type ZoneSyncStatus } from '../api/index.js';
import { RequestGuard } from '../api/request-guard.js';
import type { SyncThreadHandle } from '../sync/start-sync-thread.js';
import type { AccessGate, ApiResponder } from './front-end.js';
import type { Logger } from './logger.js';
import type { ZoneSet } from './zone-set.js';

/** The access gate (allow/deny, basic auth) of every location, compiled once per location. */
export function createGate(): AccessGate {
  const guards = new WeakMap<HttpLocationConfig, RequestGuard>();
  return async (req: IncomingMessage, location: HttpLocationConfig) => {
    let guard = guards.get(location);
    if (guard === undefined) {
      guard = new RequestGuard(location);
      guards.set(location, guard);
    }
    try {
      await guard.authorize(req);
      return null;
    } catch (e) {
      if (e instanceof ApiError) return { status: e.status, headers: { ...e.headers } };
      throw e;
    }
  };
}

/**
 * The API of `api` locations (one handler per location: `write=` may differ), `/livez`,
 * `/readyz` and `/metrics` (answered on a server that has an `api` location, behind that
 * location's access rules), all on the primary thread, which is attached to every zone.
 */
export function createApiParts(zones: ZoneSet, sync: SyncThreadHandle | null, logger: Logger): { api: ApiResponder; gate: AccessGate } {
  const keyvals = { http: zones.httpKeyvals, stream: zones.streamKeyvals };
  const allZones = [...zones.keyval.values(), ...zones.limitReq.values(), ...zones.sticky.values()];
  const synced = allZones.filter((z) => z.sync);
  const syncStatus = sync === null ? undefined : async (): Promise<ZoneSyncStatus> => {
    const counters = sync.counters();
    const peers = await sync.status();
    // records_total and records_pending as of this request: live records only, from the zones themselves.
    const live: Record<string, { records_total: number; records_pending: number }> = {};
    for (const z of synced) {
      const c = z.liveCounts();
      live[z.name] = { records_total: c.records, records_pending: c.pending };
    }
    return { zones: live, status: counters.status, peers: peers.map((p) => ({ ...p })) };
  };
  const metrics = createMetrics({ zones: allZones, ...(syncStatus === undefined ? {} : { syncStatus }) });
  const health = createHealthHandlers({ ready: () => true });
  const handlers = new WeakMap<HttpLocationConfig, ApiHandler>();
  const onError = (err: unknown, req: IncomingMessage) => logger.error({ err, url: req.url }, 'API request failed');
  const api: ApiResponder = async (req, res, location, body) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/livez') return health.livez(req, res);
    if (path === '/readyz') return health.readyz(req, res);
    if (path === '/metrics') return metrics.handler(req, res);
    let handler = handlers.get(location);
    if (handler === undefined) {
      handler = createApiHandler({ keyvals, write: location.api?.write ?? false, ...(syncStatus === undefined ? {} : { syncStatus }), onError });
      handlers.set(location, handler);
    }
    return handler(req, res, path.slice(location.pattern.length), body);
  };
  return { api, gate: createGate() };
}
