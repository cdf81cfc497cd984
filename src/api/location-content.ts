// Which of a node's own endpoints a location serves, from the directive that enables it:
//   api [write=on|off]        the NGINX Plus API, under the location's prefix
//   zonesync_health live      liveness, for every request of the location
//   zonesync_health ready     readiness, for every request of the location
//   zonesync_metrics          the Prometheus metrics, for every request of the location
//   zonesync_dashboard [api=URI]  the live dashboard page, which reads the API at URI
// A location without one of them runs a handler. The configuration allows one per location;
// none is inherited by nested locations, as nginx's content handlers are not.

import type { DashboardConfig, HealthProbe, HttpLocationConfig } from '../config/types.js';

export type LocationContent =
  | { readonly kind: 'api'; readonly write: boolean }
  | { readonly kind: 'health'; readonly probe: HealthProbe }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'dashboard'; readonly dashboard: DashboardConfig };

export function locationContent(location: Pick<HttpLocationConfig, 'api' | 'health' | 'metrics' | 'dashboard'>): LocationContent | null {
  if (location.api !== null) return { kind: 'api', write: location.api.write };
  if (location.health !== null) return { kind: 'health', probe: location.health };
  if (location.metrics) return { kind: 'metrics' };
  if (location.dashboard !== null) return { kind: 'dashboard', dashboard: location.dashboard };
  return null;
}

/** Whether a location serves one of the node's own endpoints (locationContent is not null), without building its description. */
export function servesOwnContent(location: Pick<HttpLocationConfig, 'api' | 'health' | 'metrics' | 'dashboard'>): boolean {
  return location.api !== null || location.health !== null || location.metrics || location.dashboard !== null;
}
