import type { HttpConfig, ZonesyncConfig } from '../config/types.js';
import type { GatewayData } from '../gateway/gateway.js';
import type { PeerStatus } from '../sync/types.js';
import type { LogMessage } from '../thread-logger.js';
import type { NodeCountersHandle } from './node-counters.js';
import type { HandlerThreadData } from './worker-protocol.js';

/** The configuration in force and how many reloads applied one, and when (the API reports them). */
export interface LoadedConfig {
  config: ZonesyncConfig;
  generation: number;
  loadedAtMs: number;
}

/** What changes in a node's life and every serving worker must know: sent at start, again on each change. */
export interface NodeState {
  loaded: LoadedConfig;
  /** The sync thread has exited (a crash, or the node stopping). */
  syncExited: boolean;
}

/** What a serving worker thread starts with (workerData): plain, structured-clonable. */
export interface ServingWorkerData extends HandlerThreadData {
  /** The http block it serves (the start's: a reload does not change listeners or locations); null: it serves nothing. */
  http: HttpConfig | null;
  /** limit_req_zone KEY templates by zone name. */
  limitReqKeys: Record<string, string>;
  /** `--handler FILE`: overrides every location's handler. */
  handlerOverride: string | null;
  /** What the thread's gateway (return, proxy_pass) starts from, made once by the primary. */
  gateway: GatewayData;
  /** The sync thread's counters and listen address, for the API and metrics; null without zone_sync. */
  sync: { countersBuffer: SharedArrayBuffer; zoneNames: string[]; listenAddress: string | null } | null;
  counters: NodeCountersHandle;
  /** Each thread's share of the node's gauges (thread-gauges.ts), and the slot of this thread. */
  gauges: SharedArrayBuffer;
  slot: number;
  workerThreads: number;
  /** When the node started, ms since the epoch. */
  startedMs: number;
  state: NodeState;
}

/** From the primary to a serving worker. */
export type ToServingWorker =
  /** Graceful stop: stop accepting, answer what is in flight, exit. */
  | { type: 'stop' }
  /** The answer to a peer-status question. */
  | { type: 'peer-status'; id: number; peers: PeerStatus[] }
  | { type: 'state'; state: NodeState };

/** From a serving worker to the primary. */
export type FromServingWorker =
  /** Listening on every address of the http block. */
  | { type: 'ready'; addresses: string[] }
  | { type: 'start-failed'; message: string }
  /** The API wants the sync thread's peer status (only the primary talks to the sync thread). */
  | { type: 'peer-status'; id: number }
  | LogMessage;
