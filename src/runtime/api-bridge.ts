import type { IncomingMessage } from 'node:http';
import type { HttpLocationConfig } from '../config/types.js';
import {
  Dashboard, createApiHandler, createHealthHandlers, createMetrics, type ApiHandler, type Metrics, type ZoneSyncStatus,
} from '../api/index.js';
import type { RouteHandler } from '../api/health.js';
import type { ThreadLogger } from '../thread-logger.js';
import { usesDashboard } from './dashboard-use.js';
import type { ContentResponder } from './front-end.js';
import type { NodeCounters } from './node-counters.js';
import { nodeInfoOf, nodeStatusOf, type NodeLife } from './status-source.js';
import type { SyncView } from './sync-view.js';
import { ReadinessLatch, readinessGraceMs, syncReadiness } from './sync-readiness.js';
import { nodeStatusProvider, zoneSources, type NodeIdentity } from './zonesync-status-source.js';
import { allZonesOf, type ZoneSet } from './zone-set.js';

/**
 * The node's own content, in a thread that serves HTTP and is attached to every zone: the API
 * of `api` locations (one handler per location: `write=` may differ), the health and
 * metrics of `zonesync_health` and `zonesync_metrics` locations, and the page of
 * `zonesync_dashboard` ones. The front end has applied the location's access rules before.
 */
/** The node's own content, and its metrics (an embedding service may register them in its registry). */
export interface ApiParts {
  content: ContentResponder;
  metrics: Metrics;
}

/**
 * `upstreamCounters`: the gateway's counters of each upstream block in the configuration in
 * force (GatewayData.counters); `perThread`: whether worker threads serve HTTP, each counting
 * in a slot of `counters` of its own (/workers shows each).
 */
export function createApiParts(
  zones: ZoneSet, sync: SyncView | null, logger: ThreadLogger, counters: NodeCounters, life: NodeLife, identity: NodeIdentity,
  upstreamCounters: () => Readonly<Record<string, SharedArrayBuffer>> = () => ({}), perThread = false,
): ApiParts {
  const keyvals = { http: zones.httpKeyvals, stream: zones.streamKeyvals };
  const allZones = allZonesOf(zones);
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
    return { zones: live, status: counters.status, peers: peers.map((p) => ({ ...p })), counters: counters.extra };
  };
  const metrics = createMetrics({ zones: allZones, ...(syncStatus === undefined ? {} : { syncStatus }) });
  const readiness = sync === null ? null : new ReadinessLatch(async () => {
    const timings = life.config().stream?.sync;
    const graceMs = timings === undefined || timings === null ? 0 : readinessGraceMs(timings);
    return syncReadiness(await sync.status(), synced.length, Date.now() - identity.startedMs, graceMs);
  });
  const health = createHealthHandlers({
    ready: async () => {
      const answer = await readiness?.current() ?? { ready: true };
      return answer.ready ? true : { ready: false, reason: `waiting for ${answer.waitingFor.join(', ')}` };
    },
  });
  const handlers = new WeakMap<HttpLocationConfig, ApiHandler>();
  const zonesync = { node: nodeStatusProvider(identity, sync), zones: zoneSources(zones) };
  // Read at start when a location serves it, so that a broken dashboard/ stops the start.
  let dashboard = usesDashboard(life.config().http) ? Dashboard.load() : null;
  const pages = new WeakMap<HttpLocationConfig, RouteHandler>();
  const status = nodeStatusOf(counters, zones, life, upstreamCounters, perThread);
  const nodeInfo = nodeInfoOf(life);
  const onError = (err: unknown, req: IncomingMessage) => logger.error({ err, url: req.url }, 'API request failed');
  const content: ContentResponder = async (req, res, location, what, body) => {
    if (what.kind === 'health') return what.probe === 'live' ? health.livez(req, res) : health.readyz(req, res);
    if (what.kind === 'metrics') return metrics.handler(req, res);
    if (what.kind === 'dashboard') {
      let page = pages.get(location);
      if (page === undefined) {
        dashboard ??= Dashboard.load();
        page = dashboard.handler(what.dashboard.api);
        pages.set(location, page);
      }
      return page(req, res);
    }
    let handler = handlers.get(location);
    if (handler === undefined) {
      handler = createApiHandler({ keyvals, write: what.write, ...(syncStatus === undefined ? {} : { syncStatus }), status, nodeInfo, zonesync, onError });
      handlers.set(location, handler);
    }
    const path = (req.url ?? '/').split('?')[0]!;
    return handler(req, res, path.slice(location.pattern.length), body);
  };
  return { content, metrics };
}
