import type { HttpConfig, HttpLocationConfig } from '../config/types.js';

/** Whether any location of the http block serves the dashboard. */
export function usesDashboard(http: HttpConfig | null): boolean {
  const any = (locations: readonly HttpLocationConfig[]): boolean => locations.some((l) => l.dashboard !== null || any(l.locations));
  return (http?.servers ?? []).some((server) => any(server.locations));
}
