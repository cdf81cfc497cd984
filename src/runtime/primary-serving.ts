import type { ZonesyncConfig } from '../config/types.js';
import type { Gateway } from '../gateway/gateway.js';
import type { ApiParts } from './api-bridge.js';
import { FrontEnd, type HandlerRunner } from './front-end.js';
import type { Logger } from './logger.js';
import type { GatewayInForce, Serving, ServingOptions } from './serving.js';
import { threadConfigOf, upstreamsOf, type ServingThread } from './thread-config.js';
import { WorkerPool } from './worker-pool.js';
import type { HandlerThreadData } from './worker-protocol.js';

export interface PrimaryServingOptions extends ServingOptions {
  /** What the pool's threads start with for a configuration. */
  handlerDataOf: (config: ZonesyncConfig) => HandlerThreadData;
  gateway: GatewayInForce;
  fallbackReason: string;
  onThreadExit: (threadId: number, died: boolean) => void;
  apiParts: ApiParts;
}

/**
 * The fallback path: the primary serves HTTP (routing, limit_req, access rules, the API)
 * and runs each request's handler as a task of the worker pool; with 0 workers there is no
 * pool, and no location runs a handler (worker-count.ts checked it). A reload swaps the
 * front end's configuration; when it changes what handlers see (ctx.upstreams, the keyval
 * variables) it also starts a new pool with it, and the previous pool ends once the
 * requests that started before the reload are answered.
 */
export async function startOnPrimary(o: PrimaryServingOptions): Promise<Serving> {
  const thread: ServingThread = { zones: o.zones, counters: o.counters, logger: o.logger };
  const pools = new Set<WorkerPool>();
  const startPool = (config: ZonesyncConfig): WorkerPool | null => {
    if (o.workers === 0) return null;
    const pool = new WorkerPool(o.workers, o.handlerDataOf(config), o.logger, o.onThreadExit);
    pools.add(pool);
    return pool;
  };
  let pool = startPool(o.config);
  const first = threadConfigOf(o.config, o.gateway.data, thread, null);
  let gateway: Gateway = first.gateway;
  const frontEnd = new FrontEnd({
    content: o.apiParts.content,
    handle: handlerRunner(pool),
    limits: first.limits,
    gateway,
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
  let served = o.config;
  const reloaded = (): void => {
    const next = o.life.config;
    const made = threadConfigOf(next, o.gateway.reload(next), thread, gateway);
    const retiring = pool !== null && handlersSee(next) !== handlersSee(served) ? pool : null;
    const nextPool = retiring !== null ? startPool(next) : pool;
    let drained: Promise<void>;
    try {
      drained = frontEnd.reconfigure(next.http, { gateway: made.gateway, limits: made.limits, handle: handlerRunner(nextPool) });
    } catch (err) {
      // Not applied (an access log that cannot be opened): the pool started for it goes.
      if (nextPool !== null && nextPool !== pool) void nextPool.destroy().finally(() => pools.delete(nextPool));
      throw err;
    }
    pool = nextPool;
    gateway = made.gateway;
    served = next;
    if (retiring !== null) void drained.then(() => retiring.close()).finally(() => pools.delete(retiring));
  };
  return {
    path: 'primary', metrics: o.apiParts.metrics, fallbackReason: o.fallbackReason, workers: o.workers, httpAddresses,
    reloaded: () => {
      try {
        reloaded();
      } catch (err) {
        o.logger.error({ err }, 'the primary thread could not apply the reloaded configuration: it keeps serving the previous one');
      }
    },
    reopenLogs: () => frontEnd.reopenLogs(),
    stop: (graceful) => (graceful ? stopGracefully(frontEnd, pools, o.config.workerShutdownTimeoutMs, o.logger) : stopNow(frontEnd, pools)),
  };
}

function handlerRunner(pool: WorkerPool | null): HandlerRunner {
  return (request, handler) => (pool === null ? Promise.reject(new Error('this node runs no worker thread')) : pool.run({ request, handler }));
}

/** What of a configuration the pool's threads start with: the upstreams and keyval directives handlers see. */
function handlersSee(config: ZonesyncConfig): string {
  return JSON.stringify({ upstreams: upstreamsOf(config), keyvals: (config.http?.keyvals ?? []).map((k) => ({ ...k, source: undefined })) });
}

async function stopNow(frontEnd: FrontEnd, pools: ReadonlySet<WorkerPool>): Promise<void> {
  void frontEnd.close();
  await Promise.all([...pools].map((p) => p.destroy()));
}

/** Requests in flight are answered, for at most `timeoutMs`; then the pools' threads are ended. */
async function stopGracefully(frontEnd: FrontEnd, pools: ReadonlySet<WorkerPool>, timeoutMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), timeoutMs); });
  const finished = frontEnd.close().then(() => Promise.all([...pools].map((p) => p.close()))).then(() => 'finished' as const);
  const outcome = await Promise.race([finished, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    logger.error({ timeoutMs }, 'requests still in flight at worker_shutdown_timeout: ending the worker threads');
    await Promise.all([...pools].map((p) => p.destroy()));
  }
}
