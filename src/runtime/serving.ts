import { availableParallelism } from 'node:os';
import type { Metrics } from '../api/metrics.js';
import type { HttpServedBy } from '../api/zonesync-status.js';
import type { ZonesyncConfig } from '../config/types.js';
import type { SyncThreadHandle } from '../sync/start-sync-thread.js';
import { gatewayDataOf, type GatewayData } from '../gateway/gateway.js';
import { reloadedGatewayData } from '../gateway/reloaded-data.js';
import { createApiParts, type ApiParts } from './api-bridge.js';
import { listenSockets } from './listen-sockets.js';
import type { Logger } from './logger.js';
import { N_RESPAWNED, type NodeCounters } from './node-counters.js';
import { startOnPrimary } from './primary-serving.js';
import type { LoadedConfig, NodeState } from './serving-protocol.js';
import { ServingWorkers } from './serving-workers.js';
import { checkAddressFree, sharedListenUnavailable } from './shared-listen.js';
import { syncViewOf } from './sync-view.js';
import { upstreamsOf } from './thread-config.js';
import type { HandlerThreadData } from './worker-protocol.js';
import { forceUnlockOwner, syncedDescriptors, type ZoneHandles, type ZoneSet } from './zone-set.js';
import { levelsEnabled } from '../thread-logger.js';
import { textWriterOf } from './logger.js';

/**
 * Where HTTP is served: `workers`, every worker thread listens and serves requests start to
 * end (nginx's model); `primary`, the primary thread serves and runs each handler on the
 * worker pool (the fallback where threads cannot share a listening socket); `auto`, workers
 * where they can.
 */
export type FrontEndChoice = 'auto' | 'workers' | 'primary';

export interface Serving {
  readonly path: 'workers' | 'primary';
  /** The node's metrics, built in the primary (an embedding service registers them in its own registry). */
  readonly metrics: Metrics;
  /** Why the primary serves HTTP; null on the workers path. */
  readonly fallbackReason: string | null;
  readonly workers: number;
  readonly httpAddresses: readonly string[];
  /**
   * The node applied a reload (its `life` holds the new configuration): every serving
   * thread serves the new http block from its next request on, and the API shows it.
   */
  reloaded(): void;
  /** USR1: the threads that serve HTTP reopen their access log files. */
  reopenLogs(): void;
  /** Graceful (QUIT): stop accepting, finish requests in flight, within worker_shutdown_timeout. Fast: at once. */
  stop(graceful: boolean): Promise<void>;
}

export interface ServingOptions {
  config: ZonesyncConfig;
  zones: ZoneSet;
  handles: ZoneHandles;
  sync: SyncThreadHandle | null;
  logger: Logger;
  workers: number;
  /** `--handler FILE`: wins over every location's handler. */
  handlerOverride: string | null;
  nodeId: number;
  nodeName: string;
  /** The node's shared counters (HTTP traffic, limit_req outcomes, workers respawned). */
  counters: NodeCounters;
  /** The configuration in force; the node changes it in place on a reload, then calls reloaded(). */
  life: LoadedConfig;
  choice: FrontEndChoice;
}

/**
 * Starts the worker threads and the HTTP front end on the path the choice and the platform
 * allow. A node of 0 workers (no location runs a handler: worker-count.ts) serves from the
 * primary, with no pool.
 */
export async function startServing(o: ServingOptions): Promise<Serving> {
  const handlerBase: HandlerThreadBase = {
    zones: o.handles, nodeId: o.nodeId, nodeName: o.nodeName,
    offloadThreads: Math.max(1, Math.floor(availableParallelism() / Math.max(1, o.workers))),
  };
  const gateway = new GatewayInForce(o.config);
  const startedMs = Date.now();
  const unavailable = o.workers === 0 ? 'no worker thread'
    : o.choice === 'primary' ? 'chosen with --front-end primary' : await sharedListenUnavailable(o.config.http);
  if (unavailable === null) return startOnWorkers(o, handlerBase, gateway, primaryApiParts(o, 'workers', startedMs, gateway), startedMs);
  if (o.choice === 'workers') throw new Error(`the worker threads cannot serve HTTP themselves: ${unavailable}`);
  logPrimaryServing(o, unavailable);
  return startOnPrimary({
    ...o, handlerDataOf: (config) => ({ ...handlerBase, upstreams: upstreamsOf(config), keyvals: [...(config.http?.keyvals ?? [])] }),
    gateway, fallbackReason: unavailable, onThreadExit: onThreadExit(o), apiParts: primaryApiParts(o, 'primary', startedMs, gateway),
  });
}

/** Says how the primary serves, as it is: with a pool for handlers, with none, or no HTTP at all. */
function logPrimaryServing(o: ServingOptions, reason: string): void {
  const servesHttp = o.config.http !== null && listenSockets(o.config.http).length > 0;
  if (o.workers > 0) o.logger.info({ reason }, 'HTTP is served by the primary thread, handlers on the worker pool');
  else if (servesHttp) o.logger.info({ workers: 0 }, 'HTTP is served by the primary thread; no location runs a handler, so no worker thread is started');
  else o.logger.info({ workers: 0 }, 'no HTTP server: the node runs its zones and sync thread, and no worker thread');
}

/** What every thread that runs handlers starts with whatever the configuration. */
type HandlerThreadBase = Omit<HandlerThreadData, 'upstreams' | 'keyvals'>;

/** The gateway data of the configuration in force, made anew from the previous at each reload (reloaded-data.ts). */
export class GatewayInForce {
  data: GatewayData;

  constructor(config: ZonesyncConfig) {
    this.data = gatewayDataOf(config);
  }

  reload(next: ZonesyncConfig): GatewayData {
    this.data = reloadedGatewayData(next, this.data);
    return this.data;
  }
}

/**
 * The API parts in the primary: the content it serves on the fallback path, and on either
 * path the metrics the node exposes to an embedding service.
 */
function primaryApiParts(o: ServingOptions, http: HttpServedBy, startedMs: number, gateway: GatewayInForce): ApiParts {
  const life = o.life;
  return createApiParts(o.zones, o.sync === null ? null : syncViewOf(o.sync), o.logger, o.counters, {
    config: () => life.config, generation: () => life.generation, loadedAtMs: () => life.loadedAtMs,
  }, { nodeId: o.nodeId, nodeName: o.nodeName, workerThreads: o.workers, http, startedMs }, () => gateway.data.counters);
}

async function startOnWorkers(
  o: ServingOptions, handlerBase: HandlerThreadBase, gateway: GatewayInForce, apiParts: ApiParts, startedMs: number,
): Promise<Serving> {
  const http = o.config.http;
  for (const { address } of http === null ? [] : listenSockets(http)) await checkAddressFree(address);
  const state = (): NodeState => ({ loaded: { ...o.life }, gateway: gateway.data, syncExited });
  let syncExited = false;
  const workers = new ServingWorkers({
    count: o.workers,
    data: {
      ...handlerBase, handlerOverride: o.handlerOverride,
      sync: o.sync === null ? null : {
        countersBuffer: o.sync.countersBuffer, zoneNames: syncedDescriptors(o.zones).map((d) => d.name), listenAddress: o.sync.listenAddress,
      },
      counters: o.counters.handle, slot: 0, workerThreads: o.workers, log: { levels: levelsEnabled(o.logger), asText: textWriterOf(o.logger) !== null }, startedMs, state: state(),
    },
    logger: o.logger,
    sync: o.sync,
    shutdownTimeoutMs: o.config.workerShutdownTimeoutMs,
    onThreadExit: onThreadExit(o),
    releaseSlot: (slot) => o.counters.releaseSlot(slot),
  });
  o.sync?.worker.once('exit', () => {
    syncExited = true;
    workers.setState(state());
  });
  const httpAddresses = await workers.start();
  return {
    path: 'workers', metrics: apiParts.metrics, fallbackReason: null, workers: o.workers, httpAddresses,
    reloaded: () => {
      gateway.reload(o.life.config);
      workers.setState(state());
    },
    reopenLogs: () => workers.reopenLogs(),
    stop: (graceful) => workers.stop(graceful),
  };
}

/**
 * What the primary does when a thread that uses the zones ends: open the zone locks it held
 * (the lock word holds threadId + 1), and count it when it died rather than was stopped.
 */
function onThreadExit(o: Pick<ServingOptions, 'zones' | 'logger' | 'counters'>): (threadId: number, died: boolean) => void {
  return (threadId, died) => {
    if (died) o.counters.add(N_RESPAWNED);
    const opened = forceUnlockOwner(o.zones, threadId + 1);
    if (opened > 0) o.logger.error({ threadId, shards: opened }, 'worker thread died holding zone locks: forced them open');
  };
}
