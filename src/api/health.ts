// Health endpoints for orchestrators: /livez answers 200 while the process serves HTTP at
// all; /readyz answers 200 when the node says it is ready (zones attached, threads started,
// the peers' snapshots received) and 503 otherwise, saying what it waits for, including when
// the readiness check itself fails.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, ErrorCode, methodNotSupported } from './errors.js';
import { sendError, sendJson } from './respond.js';
import type { RequestGuard } from './request-guard.js';

/** A plain endpoint: answers every request it is given. Never rejects. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Ready or not; not ready may say why (the 503's error text). */
export type ReadyAnswer = boolean | { readonly ready: boolean; readonly reason?: string };

export interface HealthOptions {
  /** Whether the node is ready to take traffic; default: always. */
  readonly ready?: () => ReadyAnswer | Promise<ReadyAnswer>;
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
      let answer: ReadyAnswer;
      try {
        answer = await ready();
      } catch (e) {
        answer = { ready: false, reason: `the readiness check failed: ${e instanceof Error ? e.message : String(e)}` };
      }
      const isReady = typeof answer === 'boolean' ? answer : answer.ready;
      const reason = typeof answer === 'boolean' ? undefined : answer.reason;
      if (!isReady) throw new ApiError(503, ErrorCode.NotReady, reason === undefined ? 'not ready' : `not ready: ${reason}`);
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
