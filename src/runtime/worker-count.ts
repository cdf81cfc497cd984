import { availableParallelism } from 'node:os';
import { locationContent } from '../api/location-content.js';
import { ConfigError } from '../config/errors.js';
import type { HttpLocationConfig, ZonesyncConfig } from '../config/types.js';

/**
 * The patterns of the locations whose requests run a handler on the worker threads: every
 * location, nested ones included, that is not an api, zonesync_health, zonesync_metrics or
 * zonesync_dashboard one, nor one that answers with `return` or proxies with `proxy_pass`.
 * Without such a location a node needs no worker thread.
 */
export function handlerLocations(config: ZonesyncConfig): string[] {
  const patterns: string[] = [];
  const needsPool = (l: HttpLocationConfig): boolean => l.return === null && l.proxyPass === null && locationContent(l) === null;
  const visit = (locations: readonly HttpLocationConfig[]): void => {
    for (const location of locations) {
      if (needsPool(location)) patterns.push(location.pattern);
      visit(location.locations);
    }
  };
  for (const server of config.http?.servers ?? []) visit(server.locations);
  return patterns;
}

/**
 * The size of the worker pool: `requested` (--workers, or an embedding service's option)
 * wins over worker_processes. 0 starts no pool, which only a configuration without handler
 * locations allows.
 */
export function workerCount(config: ZonesyncConfig, requested: number | undefined): number {
  if (requested !== undefined && !(Number.isSafeInteger(requested) && requested >= 0)) {
    throw new ConfigError(`invalid number of worker threads ${requested}, it must be 0 or more`);
  }
  const count = requested ?? (config.workerProcesses === 'auto' ? availableParallelism() : config.workerProcesses);
  const needing = handlerLocations(config);
  if (count === 0 && needing.length > 0) {
    throw new ConfigError(`location "${needing[0]}" runs a handler on the worker threads: a node with no worker thread serves only api, zonesync_health and zonesync_metrics locations`);
  }
  return count;
}
