import type { IncomingMessage } from 'node:http';
import type { HttpLocationConfig } from '../config/types.js';
import { ApiError } from '../api/errors.js';
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

export function createApiParts(zones: ZoneSet, sync: SyncThreadHandle | null, logger: Logger): { api: ApiResponder; gate: AccessGate } {
  void zones; void sync; void logger;
  throw new Error('the HTTP API is not wired yet');
}
