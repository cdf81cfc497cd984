// A small router for the API tests' servers, which serve only the API and the operational
// endpoints: `${apiPrefix}…` to the API, /livez, /readyz and /metrics to theirs. (The
// runtime's front end matches nginx locations itself and calls the handlers directly.)

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiHandler, HealthHandlers, Metrics } from '../../dist/api/index.js';

export interface AdminRouterOptions {
  /** The API location's prefix, as `location /api`; default "/api". */
  readonly apiPrefix?: string;
  readonly api: ApiHandler;
  readonly health?: HealthHandlers;
  readonly metrics?: Metrics;
}

/** Resolves true when it answered the request, false when the path is none of its own. */
export type AdminRouter = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export function createAdminRouter(options: AdminRouterOptions): AdminRouter {
  const prefix = options.apiPrefix ?? '/api';
  return async (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path.startsWith(prefix)) {
      await options.api(req, res, path.slice(prefix.length));
      return true;
    }
    const route = path === '/livez' ? options.health?.livez
      : path === '/readyz' ? options.health?.readyz
        : path === '/metrics' ? options.metrics?.handler
          : undefined;
    if (route === undefined) return false;
    await route(req, res);
    return true;
  };
}
