/**
 * zonesync: shared-memory zones for Node.js worker threads (keyval, limit_req, sticky),
 * synchronised across a cluster, after NGINX Plus zone_sync.
 */
export * from './zones/index.js';
export { HybridClock, compareStamps } from './clock.js';
export { SharedHybridClock } from './shared-clock.js';
export { loadConfig, normalizeConfig, parseConfigText, ConfigError } from './config/index.js';
export type { ZonesyncConfig } from './config/index.js';
