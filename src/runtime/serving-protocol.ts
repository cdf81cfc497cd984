import type { ZonesyncConfig } from '../config/types.js';
import type { GatewayData } from '../gateway/gateway.js';
import type { PeerStatus } from '../sync/types.js';
import type { LogMessage } from '../thread-logger.js';
import type { LogTextMessage, ThreadLogSettings } from './thread-log.js';
import type { NodeCountersHandle } from './node-counters.js';
import type { HandlerThreadData } from './worker-protocol.js';

/** The configuration in force and how many reloads applied one, and when (the API reports them). */
export interface LoadedConfig {
  config: ZonesyncConfig;
  generation: number;
  loadedAtMs: number;
}

/**
 * What changes in a node's life and every serving worker must know: sent at start, again on
 * each change. A thread serves the http block of `loaded.config`, and serves a new one
 * when a state of a new generation comes (a reload).
 */
export interface NodeState {
  loaded: LoadedConfig;
  /** What the thread's gateway (return, proxy_pass) is made from for that configuration, made by the primary. */
  gateway: GatewayData;
  /** The sync thread has exited (a crash, or the node stopping). */
  syncExited: boolean;
}

/**
 * What a serving worker thread starts with (workerData): plain, structured-clonable. What
 * it serves (the http block, the upstreams and keyval directives handlers see) comes from
 * `state`, the current one when the thread starts.
 */
export interface ServingWorkerData extends Omit<HandlerThreadData, 'upstreams' | 'keyvals'> {
  /** `--handler FILE`: overrides every location's handler. */
  handlerOverride: string | null;
  /** The sync thread's counters and listen address, for the API and metrics; null without zone_sync. */
  sync: { countersBuffer: SharedArrayBuffer; zoneNames: string[]; listenAddress: string | null } | null;
  counters: NodeCountersHandle;
  /** This thread's slot: its replica of the counters (node-counters.ts). */
  slot: number;
  workerThreads: number;
  /** How the thread's log lines reach the node's log (thread-log.ts). */
  log: ThreadLogSettings;
  /** When the node started, ms since the epoch. */
  startedMs: number;
  state: NodeState;
}

/** From the primary to a serving worker. */
export type ToServingWorker =
  /** Graceful stop: stop accepting, answer what is in flight, exit. */
  | { type: 'stop' }
  /** Every thread of the start is prepared (or this one replaces a thread): listen now. */
  | { type: 'listen' }
  /** The answer to a peer-status question. */
  | { type: 'peer-status'; id: number; peers: PeerStatus[] }
  | { type: 'state'; state: NodeState }
  /** USR1: reopen the access log files. */
  | { type: 'reopen-logs' };

/** From a serving worker to the primary. */
export type FromServingWorker =
  /** Listening on every address of the http block. */
  /** Built and ready to listen; waits for 'listen'. */
  | { type: 'prepared' }
  | { type: 'ready'; addresses: string[] }
  | { type: 'start-failed'; message: string }
  /** The API wants the sync thread's peer status (only the primary talks to the sync thread). */
  | { type: 'peer-status'; id: number }
  | LogMessage
  | LogTextMessage;
