import { Gateway, type GatewayData } from '../gateway/gateway.js';
import { variablesFor } from '../gateway/variables.js';
import type { ApiParts } from './api-bridge.js';
import { FrontEnd } from './front-end.js';
import { LimitReqGate } from './limit-req-gate.js';
import type { Logger } from './logger.js';
import type { Serving, ServingOptions } from './serving.js';
import { WorkerPool } from './worker-pool.js';
import type { HandlerThreadData } from './worker-protocol.js';

export interface PrimaryServingOptions extends ServingOptions {
  handlerData: HandlerThreadData;
  gateway: GatewayData;
  limitReqKeys: Record<string, string>;
  fallbackReason: string;
  onThreadExit: (threadId: number, died: boolean) => void;
  apiParts: ApiParts;
}

/**
 * The fallback path: the primary serves HTTP (routing, limit_req, access rules, the API)
 * and runs each request's handler as a task of the worker pool; with 0 workers there is no
 * pool, and no location runs a handler (worker-count.ts checked it).
 */
export async function startOnPrimary(o: PrimaryServingOptions): Promise<Serving> {
  const pool = o.workers === 0 ? null : new WorkerPool(o.workers, o.handlerData, o.logger, o.onThreadExit);
  const variables = variablesFor(o.handlerData.keyvals, o.zones.keyval);
  const frontEnd = new FrontEnd({
    content: o.apiParts.content,
    handle: (request, handler) => (pool === null ? Promise.reject(new Error('this node runs no worker thread')) : pool.run({ request, handler })),
    limits: new LimitReqGate(o.zones.limitReq, o.limitReqKeys, variables, o.counters, o.logger),
    gateway: new Gateway({ data: o.gateway, sticky: o.zones.sticky, variables, logger: o.logger }),
    logger: o.logger,
    handlerOverride: o.handlerOverride,
    counters: o.counters,
  });
  let httpAddresses: string[];
  try {
    httpAddresses = o.config.http === null ? [] : await frontEnd.listen(o.config.http);
  } catch (e) {
    await frontEnd.close();
    await pool?.destroy();
    throw e;
  }
  return {
    path: 'primary', metrics: o.apiParts.metrics, fallbackReason: o.fallbackReason, workers: o.workers, httpAddresses,
    // The API here reads the node's configuration in force through the node's own `life`.
    reloaded: () => {},
    stop: (graceful) => (graceful ? stopGracefully(frontEnd, pool, o.config.workerShutdownTimeoutMs, o.logger) : stopNow(frontEnd, pool)),
  };
}

async function stopNow(frontEnd: FrontEnd, pool: WorkerPool | null): Promise<void> {
  void frontEnd.close();
  await pool?.destroy();
}

/** Requests in flight are answered, for at most `timeoutMs`; then the pool's threads are ended. */
async function stopGracefully(frontEnd: FrontEnd, pool: WorkerPool | null, timeoutMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), timeoutMs); });
  const finished = frontEnd.close().then(() => pool?.close()).then(() => 'finished' as const);
  const outcome = await Promise.race([finished, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    logger.error({ timeoutMs }, 'requests still in flight at worker_shutdown_timeout: ending the worker threads');
    await pool?.destroy();
  }
}
