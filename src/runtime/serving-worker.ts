/**
 * A serving worker thread's entry: nginx's worker, in a thread. It attaches to every zone,
 * listens on every address of the http block itself (SO_REUSEPORT: every serving thread
 * binds the same ones), and serves each request start to end in this thread: routing,
 * limit_req, access rules, the API or the handler. The primary only supervises: it sends
 * 'stop' and the node's state, relays the sync thread's peer status, and writes the log
 * lines sent here. A state of a new generation (a reload) makes the thread serve the new
 * configuration from its next request on; a thread started later starts with it.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { readSyncCounters } from '../sync/counters.js';
import type { PeerStatus } from '../sync/types.js';
import { usesDashboard } from './dashboard-use.js';
import { FrontEnd, type ContentResponder, type ReloadedParts } from './front-end.js';
import { HandlerRuntime } from './handler-runtime.js';
import { NodeCounters } from './node-counters.js';
import type { FromServingWorker, NodeState, ServingWorkerData, ToServingWorker } from './serving-protocol.js';
import type { NodeLife } from './status-source.js';
import type { SyncView } from './sync-view.js';
import { threadConfigOf, upstreamsOf, type ServingThread } from './thread-config.js';
import { threadLogger } from './thread-log.js';
import { attachZones } from './zone-set.js';

const data = workerData as ServingWorkerData;
const port = parentPort!;
const send = (message: FromServingWorker): void => port.postMessage(message);

const logger = threadLogger(data.log, threadId, send);
const zones = attachZones(data.zones);
// This thread adds to its slot's replica of the counters; what it reads is the node's.
const counters = NodeCounters.attach(data.counters, data.slot);
const thread: ServingThread = { zones, counters, logger };

let state: NodeState = data.state;
const first = threadConfigOf(state.loaded.config, state.gateway, thread, null);
const runtime = new HandlerRuntime({ ...data, zones, workerId: threadId, variables: first.variables, upstreams: upstreamsOf(state.loaded.config) });
const syncExitWaiters: Array<() => void> = [];
const life: NodeLife = {
  config: () => state.loaded.config, generation: () => state.loaded.generation, loadedAtMs: () => state.loaded.loadedAtMs,
};

const statusWaiters = new Map<number, (peers: PeerStatus[]) => void>();
let nextStatusId = 1;
const syncData = data.sync;
const sync: SyncView | null = syncData === null ? null : {
  listenAddress: syncData.listenAddress,
  counters: () => readSyncCounters(syncData.countersBuffer, syncData.zoneNames),
  status: () => new Promise<PeerStatus[]>((resolve) => {
    const id = nextStatusId++;
    statusWaiters.set(id, resolve);
    send({ type: 'peer-status', id });
  }),
  onExit: (callback) => {
    if (state.syncExited) callback();
    else syncExitWaiters.push(callback);
  },
};

// The API, health, metrics and dashboard (prom-client and all) load on their first request,
// so that a thread that never answers one never holds them; at start when a location serves
// the dashboard, so that a broken dashboard/ stops the start as it does on the primary.
let ownContent: Promise<ContentResponder> | null = null;
const loadOwnContent = (): Promise<ContentResponder> => {
  ownContent ??= import('./api-bridge.js').then((m) => m.createApiParts(zones, sync, logger, counters, life, {
    nodeId: data.nodeId, nodeName: data.nodeName, workerThreads: data.workerThreads, http: 'workers', startedMs: data.startedMs,
  }, () => state.gateway.counters, true).content);
  return ownContent;
};
const content: ContentResponder = async (req, res, location, what, body) => (await loadOwnContent())(req, res, location, what, body);

const frontEnd = new FrontEnd({
  content,
  handle: (request, handler) => runtime.handle(request, handler),
  limits: first.limits,
  gateway: first.gateway,
  logger,
  handlerOverride: data.handlerOverride,
  counters,
  reusePort: true,
});

let gateway = first.gateway;
/* The primary's word to listen (true), or a stop before it (false). */
let toldToListen: (listen: boolean) => void = () => undefined;
const listenOrder = new Promise<boolean>((resolve) => { toldToListen = resolve; });
// The threads of a start listen together, once every one is prepared: the kernel spreads
// connections among the sockets listening on a port, and a client that connects at once
// (a load balancer, a load generator reconnecting) must not find one thread alone there.
// Its servers are built before it says it is prepared: at the word it only binds them. (A
// reload meanwhile reconfigures the front end; the sockets listened on never change on one.)
const listening = (async () => {
  if (usesDashboard(state.loaded.config.http)) await loadOwnContent();
  const http = state.loaded.config.http;
  if (http !== null) frontEnd.prepare(http);
  send({ type: 'prepared' });
  if (!(await listenOrder) || http === null) return [];
  return frontEnd.listen();
})();

/** A reload: the front end serves the new configuration's parts from its next request on; should they fail to build, the old stay. */
function reconfigure(next: NodeState): void {
  const { config } = next.loaded;
  try {
    const made = threadConfigOf(config, next.gateway, thread, gateway);
    const context = runtime.contextOf(upstreamsOf(config), made.variables);
    const parts: ReloadedParts = { gateway: made.gateway, limits: made.limits, handle: (request, handler) => runtime.handle(request, handler, context) };
    frontEnd.reconfigure(config.http, parts);
    gateway = made.gateway;
  } catch (err) {
    logger.error({ err, generation: next.loaded.generation }, 'this worker thread could not apply the reloaded configuration: it keeps serving the previous one');
  }
}
let stopping = false;

port.on('message', (message: ToServingWorker) => {
  switch (message.type) {
    case 'stop':
      toldToListen(false);
      void stop();
      return;
    case 'listen':
      toldToListen(true);
      return;
    case 'peer-status':
      statusWaiters.get(message.id)?.(message.peers);
      statusWaiters.delete(message.id);
      return;
    case 'state':
      if (message.state.loaded.generation !== state.loaded.generation) reconfigure(message.state);
      state = message.state;
      if (state.syncExited) for (const callback of syncExitWaiters.splice(0)) callback();
      return;
    case 'reopen-logs':
      frontEnd.reopenLogs();
      return;
  }
});

/** Stops accepting, answers what is in flight, waits for offloaded tasks, exits. */
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await listening.catch(() => undefined);
  await frontEnd.close();
  await runtime.close();
  logger.flush();
  process.exit(0);
}

listening.then(
  (addresses) => send({ type: 'ready', addresses }),
  (err: unknown) => {
    logger.flush();
    send({ type: 'start-failed', message: (err as Error).message });
    process.exit(1);
  },
);
