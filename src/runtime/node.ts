import { hostname } from 'node:os';
import type { ZonesyncConfig } from '../config/types.js';
import { formatRate } from '../config/units.js';
import { checkProxyTls } from '../gateway/upstream-tls.js';
import { startJournalThread, type JournalThreadHandle } from '../journal/start-journal-thread.js';
import { startSyncThread, type SyncThreadHandle } from '../sync/start-sync-thread.js';
import { createNodeContext, type NodeContext } from '../zones/node.js';
import type { Metrics } from '../api/metrics.js';
import { checkAccessLogs } from './http-access-log.js';
import { checkHandlerFiles, STARTNODE_HANDLER, type HandlerOption, type HandlerOverride } from './handler-files.js';
import { liveChangeProblems } from './live-changes.js';
import { changedRates } from './zone-changes.js';
import type { Logger } from './logger.js';
import { NodeCounters } from './node-counters.js';
import { startServing, type FrontEndChoice, type Serving } from './serving.js';
import type { LoadedConfig } from './serving-protocol.js';
import { openStreamLogs, type StreamLogs } from './stream-logs.js';
import { syncOptionsOf } from './sync-options.js';
import { workerCount } from './worker-count.js';
import { createZones, forceUnlockOwner, journaledZones, syncedDescriptors, type ZoneHandles, type ZoneSet } from './zone-set.js';

export interface NodeStartOptions {
  config: ZonesyncConfig;
  logger: Logger;
  /** `--workers N`: wins over worker_processes; 0 starts no worker pool. */
  workers?: number | undefined;
  /** `--handler FILE`: wins over zonesync_handler. */
  handler?: string | null | undefined;
  /** How errors name the option `handler` came by; default startNode's `handler` option. */
  handlerOption?: HandlerOption | undefined;
  nodeId?: number | undefined;
  /** `--log-level`: wins over the error_log levels. */
  logLevel?: string | undefined;
  /** `--front-end`: where HTTP is served; default auto (the worker threads where Node can). */
  frontEnd?: FrontEndChoice | undefined;
}

/**
 * One running node: its zones (created here, before any thread), the sync thread, and the
 * worker threads with the HTTP front end (serving.ts; none with 0 workers, the primary then
 * serving the API alone). Stop it with stop(): graceful by default.
 */
export class ZonesyncNode {
  readonly node: NodeContext;
  readonly nodeName: string;
  readonly zones: ZoneSet;
  readonly sync: SyncThreadHandle | null;
  /** The journal thread, when a keyval zone has a state file. */
  readonly journal: JournalThreadHandle | null;
  readonly serving: Serving;
  /** The configuration in force, how many reloads applied one, and when. */
  private readonly life: LoadedConfig;
  /** `--workers N`, which wins over worker_processes at start and at each reload. */
  private readonly requestedWorkers: number | undefined;
  /** `--handler FILE`, whose file a reload checks again as it checks the configuration's. */
  private readonly handlerOverride: HandlerOverride | null;
  private readonly logger: Logger;
  private readonly streamLogs: StreamLogs | null;
  private stopping: Promise<void> | null = null;

  static async start(options: NodeStartOptions): Promise<ZonesyncNode> {
    const { config, logger } = options;
    checkProxyTls(config.http); // nginx loads proxy_ssl_* files with the configuration: an error names its file and line
    checkHandlerFiles(config.http, handlerOverrideOf(options)); // so are the handler modules' files (not run here)
    const workers = workerCount(config, options.workers);
    const node = createNodeContext(options.nodeId);
    const { zones, handles } = createZones(config, node);
    logStateLoads(zones, logger);
    const journaled = journaledZones(zones);
    // Before any thread that writes: every zone's first journal and state file are written here.
    const journal = journaled.length === 0 ? null : await startJournalThread({ zones: journaled, fsync: config.stateFsync, logger });
    const journalOwnerId = (journal?.worker.threadId ?? -1) + 1; // threadId reads -1 once the thread has exited
    journal?.worker.once('exit', () => {
      // It takes shard locks only to read a snapshot: should it have died in one, open it.
      const opened = forceUnlockOwner(zones, journalOwnerId);
      if (opened > 0) logger.error({ locks: opened }, 'the journal thread died holding zone locks: forced them open');
    });
    try {
      return await ZonesyncNode.startThreads(options, workers, node, zones, handles, journal);
    } catch (err) {
      await journal?.stop().catch(() => []);
      throw err;
    }
  }

  /** The rest of start(): sync thread, worker threads, front end. */
  private static async startThreads(
    options: NodeStartOptions, workers: number, node: NodeContext, zones: ZoneSet, handles: ZoneHandles, journal: JournalThreadHandle | null,
  ): Promise<ZonesyncNode> {
    const { config, logger } = options;
    const syncConfig = config.stream?.sync ?? null;
    const syncOptions = syncConfig === null ? null : syncOptionsOf(syncConfig);
    const nodeName = `${hostname()}/${syncOptions?.listen ?? node.nodeId}`;
    const streamLogs = syncConfig === null ? null : openStreamLogs(syncConfig, logger, options.logLevel);
    const sync = syncOptions === null ? null : await startSyncThread({
      nodeId: node.nodeId, nodeName, descriptors: syncedDescriptors(zones), clockBuffer: node.clockBuffer,
      options: syncOptions, logger: streamLogs!.logger,
    });
    const counters = NodeCounters.create([...zones.limitReq.keys()], workers);
    const life = { config, generation: 0, loadedAtMs: Date.now() };
    let serving: Serving;
    try {
      serving = await startServing({
        config, zones, handles, sync, logger, workers, handlerOverride: options.handler ?? null, nodeId: node.nodeId, nodeName,
        counters, life, choice: options.frontEnd ?? 'auto',
      });
    } catch (err) {
      await sync?.stop();
      throw err;
    }
    return new ZonesyncNode(node, nodeName, zones, sync, journal, serving, life, logger, streamLogs, options.workers, handlerOverrideOf(options));
  }

  private constructor(
    node: NodeContext, nodeName: string, zones: ZoneSet, sync: SyncThreadHandle | null, journal: JournalThreadHandle | null,
    serving: Serving, life: LoadedConfig, logger: Logger, streamLogs: StreamLogs | null, requestedWorkers: number | undefined,
    handlerOverride: HandlerOverride | null,
  ) {
    this.requestedWorkers = requestedWorkers;
    this.handlerOverride = handlerOverride;
    this.node = node;
    this.nodeName = nodeName;
    this.zones = zones;
    this.sync = sync;
    this.journal = journal;
    this.serving = serving;
    this.life = life;
    this.logger = logger;
    this.streamLogs = streamLogs;
  }

  private get config(): ZonesyncConfig {
    return this.life.config;
  }

  /** The addresses the HTTP front end listens on. */
  get httpAddresses(): readonly string[] {
    return this.serving.httpAddresses;
  }

  /** Every zone's and the sync thread's metrics, as the zonesync_metrics locations serve them. */
  get metrics(): Metrics {
    return this.serving.metrics;
  }

  /**
   * HUP: applies what can change live, as nginx's reload does: the http block's servers,
   * locations, upstream blocks and keyval directives (every serving thread serves the new
   * ones from its next request on; requests in flight finish on the old), the peer list,
   * the sync timings (on the next restart of a connection), zonesync_state_fsync, a
   * limit_req zone's rate (its buckets kept, as nginx's). A change
   * that needs a restart (live-changes.ts: zones, listeners, worker threads, sync TLS…)
   * refuses the whole reload: logged, the old configuration kept. Throws, applying
   * nothing, when a proxy_ssl_*, access_log or handler file of `next` cannot be loaded.
   */
  reload(next: ZonesyncConfig): void {
    // As at start: a proxy_ssl_* file that cannot be loaded fails the reload (it throws), nothing applied.
    checkProxyTls(next.http);
    // So are the access_log files (each serving thread then opens its own descriptors of them).
    checkAccessLogs(next.http);
    // And the handler modules' files, read again as nginx reads its files at each reload.
    checkHandlerFiles(next.http, this.handlerOverride);
    const problems = liveChangeProblems(this.config, next, { workers: this.serving.workers, requestedWorkers: this.requestedWorkers });
    if (problems.length > 0) {
      this.logger.error({ problems }, 'configuration reload refused: these changes need a restart; the old configuration stays');
      return;
    }
    // nginx's limit_req takes the new rate with the zone's memory kept: every thread judges by it from its next request on.
    for (const zc of changedRates(this.config.zones, next.zones)) this.zones.limitReq.get(zc.name)?.setRate(formatRate(zc.rate));
    const syncConfig = next.stream?.sync ?? null;
    if (this.sync !== null && syncConfig !== null) {
      this.sync.setServers(syncOptionsOf(syncConfig).servers ?? []);
      this.sync.setTimings({
        intervalMs: syncConfig.intervalMs, timeoutMs: syncConfig.timeoutMs,
        connectRetryIntervalMs: syncConfig.connectRetryIntervalMs, connectTimeoutMs: syncConfig.connectTimeoutMs,
      });
      // limit_req judges how late a peer's share can be by the interval.
      for (const zone of this.zones.limitReq.values()) zone.setSyncInterval(syncConfig.intervalMs);
    }
    if (this.journal !== null && JSON.stringify(next.stateFsync) !== JSON.stringify(this.config.stateFsync)) this.journal.setFsync(next.stateFsync);
    this.life.config = next;
    this.life.generation++;
    this.life.loadedAtMs = Date.now();
    this.serving.reloaded();
    this.logger.info({ peers: syncConfig?.peers.map((p) => p.text) ?? [] }, 'configuration reloaded');
  }

  /** USR1: reopens the log files the node writes besides its error log: the stream error and access logs, the http access logs. */
  reopenLogs(): void {
    this.streamLogs?.reopen();
    this.serving.reopenLogs();
  }

  /**
   * Graceful (QUIT): stop taking requests, let the workers finish, a last sync round, a
   * last journal flush and compaction into the keyval state files, close. Fast (TERM/INT):
   * the same without waiting for requests.
   */
  stop(graceful = true): Promise<void> {
    this.stopping ??= this.doStop(graceful);
    return this.stopping;
  }

  private async doStop(graceful: boolean): Promise<void> {
    await this.serving.stop(graceful);
    if (this.sync !== null) await this.sync.stop();
    this.streamLogs?.close();
    await this.saveState();
  }

  /** The journal thread's last compaction; should the thread be gone, the state files written here. */
  private async saveState(): Promise<void> {
    if (this.journal?.running) {
      try {
        const failures = await this.journal.stop();
        for (const failure of failures) this.logger.error({ failure }, 'could not write the keyval state file at stop; its journal is kept for the next start');
        return;
      } catch (err) {
        this.logger.error({ err }, 'the journal thread ended before its last compaction; writing the keyval state files from here');
      }
    }
    for (const kv of this.zones.keyval.values()) {
      try {
        kv.saveStateSync();
      } catch (err) {
        this.logger.error({ err, zone: kv.name }, 'could not save the keyval state file');
      }
    }
  }
}

/** The `handler` option as errors name it. */
function handlerOverrideOf(options: NodeStartOptions): HandlerOverride | null {
  if (options.handler == null) return null;
  return { path: options.handler, ...(options.handlerOption ?? STARTNODE_HANDLER) };
}

/** Logs what loading the keyval state files found: journals replayed, and where one stopped early. */
function logStateLoads(zones: ZoneSet, logger: Logger): void {
  for (const kv of zones.keyval.values()) {
    const load = kv.lastLoad;
    if (load === null) continue;
    for (const j of load.journals) {
      if (j.scan.cut === null) continue;
      logger.warn({ zone: kv.name, journal: j.path, entries: j.scan.entries, at: j.scan.cut.offset, bytesDropped: j.scan.totalBytes - j.scan.validBytes, reason: j.scan.cut.reason, detail: j.scan.cut.detail },
        'keyval journal replayed up to its last whole entry; the rest (a write cut short by a crash) is dropped');
    }
    const entries = load.journals.reduce((n, j) => n + j.scan.entries, 0);
    if (entries > 0) logger.info({ zone: kv.name, stateRecords: load.stateRecords, journalEntries: entries }, 'keyval state file and journal loaded');
  }
}
