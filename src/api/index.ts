// The HTTP API of a zonesync node: the NGINX Plus API (version 9) over keyval zones and
// zone_sync, health and Prometheus metrics, and nginx's allow/deny and basic auth.

export { createApiHandler, API_VERSIONS, type ApiHandler, type ApiHandlerOptions } from './api-handler.js';
export { createHealthHandlers, type HealthHandlers, type HealthOptions, type ReadyAnswer, type RouteHandler } from './health.js';
export { createMetrics, type Metrics, type MetricsOptions, type StatsSource } from './metrics.js';
export type { KeyvalModule, KeyvalZones } from './keyvals.js';
export type {
  ZoneSyncNodeStatus, ZoneSyncPeerStatus, ZoneSyncStatus, ZoneSyncStatusProvider, ZoneSyncZoneStatus,
} from './zone-sync.js';
export type {
  HttpServedBy, SyncThreadState, ZoneType, ZonesyncNodeStatus, ZonesyncStatusProvider, ZonesyncZoneSource, ZonesyncZoneStatus,
} from './zonesync-status.js';
export { Dashboard, DASHBOARD_DIR, type DashboardPage } from './dashboard.js';
export { ApiError, API_DOCS_HREF, ErrorCode, type ErrorCodeName } from './errors.js';
export { errorBody, sendError, sendJson, type ErrorBody } from './respond.js';
export { DEFAULT_MAX_BODY_BYTES } from './body.js';
export { AccessList, parseAccessRule, type AccessAction, type AccessRule } from '../net/access.js';
export { RequestGuard, type AccessSettings, type GuardedLocation } from './request-guard.js';
export { HtpasswdFile, parseHtpasswd } from './htpasswd.js';
export { checkPassword, passwordScheme, type PasswordScheme } from './password-hash.js';
export { shaCrypt } from './sha-crypt.js';
export { basicChallenge, parseBasicAuth, type BasicCredentials } from './basic-auth.js';
