// Health endpoints for orchestrators: /livez answers 200 while the process serves HTTP at
// all; /readyz answers 200 when the node says it is ready (zones attached, sync thread
// started, …) and 503 otherwise, including when the readiness check itself fails.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, ErrorCode, methodNotSupported } from './errors.js';
import { sendError, sendJson } from './respond.js';
import type { RequestGuard } from './request-guard.js';

/** A plain endpoint: answers every request it is given. Never rejects. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HealthOptions {
  /** Whether the node is ready to take traffic; default: always. */
  readonly ready?: () => boolean | Promise<boolean>;
  readonly guard?: RequestGuard;
}

export interface HealthHandlers {
  readonly livez: RouteHandler;
  readonly readyz: RouteHandler;
}

const READ_METHODS = ['GET', 'HEAD'];

export function createHealthHandlers(options: HealthOptions = {}): HealthHandlers {
  const ready = options.ready ?? (() => true);
  return {
    livez: readOnly(options.guard, (_req, res) => sendJson(res, 200, { status: 'ok' })),
    readyz: readOnly(options.guard, async (_req, res) => {
      let isReady = false;
      try {
        isReady = await ready();
      } catch {
        isReady = false;
      }
      if (!isReady) throw new ApiError(503, ErrorCode.NotReady, 'not ready');
      sendJson(res, 200, { status: 'ready' });
    }),
  };
}

/** A GET/HEAD endpoint behind an optional guard, its errors written as the API's. */
export function readOnly(
  guard: RequestGuard | undefined, serve: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): RouteHandler {
  return async (req, res) => {
    try {
      if (guard !== undefined) await guard.authorize(req);
      if (!READ_METHODS.includes(req.method ?? 'GET')) throw methodNotSupported(READ_METHODS);
      await serve(req, res);
    } catch (e) {
      sendError(res, e);
    }
  };
}
