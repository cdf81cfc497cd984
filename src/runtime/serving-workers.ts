import { Worker } from 'node:worker_threads';
import type { SyncThreadHandle } from '../sync/start-sync-thread.js';
import { textWriterOf, type Logger } from './logger.js';
import { deliverLines } from '../thread-logger.js';
import type { FromServingWorker, NodeState, ServingWorkerData, ToServingWorker } from './serving-protocol.js';

export interface ServingWorkersOptions {
  count: number;
  data: ServingWorkerData;
  logger: Logger;
  /** For the API's peer status, which only the primary may ask the sync thread. */
  sync: SyncThreadHandle | null;
  /** worker_shutdown_timeout: how long a graceful stop waits for one thread. */
  shutdownTimeoutMs: number;
  /** Every thread that ends, and whether it died (rather than was stopped): the primary forces open the zone locks it held. */
  onThreadExit: (threadId: number, died: boolean) => void;
  /** A slot's thread has ended: what it held in the node's gauges is given back, before another takes the slot. */
  releaseSlot: (slot: number) => void;
}

/** A replacement started this soon after its predecessor did is delayed (a thread that dies at once must not spin). */
const QUICK_DEATH_MS = 1_000;
const MAX_RESTART_DELAY_MS = 5_000;

interface Slot {
  readonly index: number;
  worker: Worker | null;
  startedAt: number;
  restartDelayMs: number;
  restartTimer: NodeJS.Timeout | null;
  /** Resolves when the slot's current thread has exited. */
  exited: Promise<void>;
}

/**
 * The primary's side of the serving worker threads (serving-worker.ts), nginx's master
 * process for its workers: starts N, replaces one that exits (after its locks are forced
 * open), relays the peer status the API asks for and the log lines the threads send, and
 * stops them: gracefully each on its own (one stuck thread is ended after the shutdown
 * timeout and holds no other), or at once. It runs nothing per request.
 */
export class ServingWorkers {
  readonly count: number;
  private readonly options: ServingWorkersOptions;
  /** What each thread starts with; its state follows setState, so that a replacement starts with the current one. */
  private data: ServingWorkerData;
  /** What writes the text lines threads make, where the node's logger is its own (thread-log.ts). */
  private readonly logText: ((text: string) => void) | null;
  private readonly slots: Slot[];
  private stopping = false;

  constructor(options: ServingWorkersOptions) {
    this.options = options;
    this.logText = textWriterOf(options.logger);
    this.data = options.data;
    this.count = options.count;
    this.slots = Array.from({ length: options.count }, (_, index) => ({
      index, worker: null, startedAt: 0, restartDelayMs: 0, restartTimer: null, exited: Promise.resolve(),
    }));
  }

  /** Starts every thread; resolves with the addresses they listen on, or rejects (and ends them all) if one cannot start. */
  async start(): Promise<string[]> {
    try {
      // Every thread is told to listen once all are prepared (serving-worker.ts): they join the port together.
      let everyonePrepared: () => void = () => undefined;
      const listen = new Promise<void>((resolve) => { everyonePrepared = resolve; });
      const starts = this.slots.map((slot) => this.spawn(slot, listen));
      await Promise.all(starts.map((s) => s.prepared));
      everyonePrepared();
      const bound = await Promise.all(starts.map((s) => s.ready));
      return bound[0] ?? [];
    } catch (e) {
      await this.stop(false);
      throw e;
    }
  }

  /** The node's state changed (a reload, the sync thread's exit): every thread, and every later one, learns it. */
  setState(state: NodeState): void {
    this.data = { ...this.data, state };
    for (const slot of this.slots) if (slot.worker !== null) post(slot.worker, { type: 'state', state });
  }

  /** USR1: every thread reopens its access log files. */
  reopenLogs(): void {
    for (const slot of this.slots) if (slot.worker !== null) post(slot.worker, { type: 'reopen-logs' });
  }

  /** Graceful: every thread stops accepting and finishes its requests, within the shutdown timeout. Fast: ended at once. */
  async stop(graceful: boolean): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map((slot) => this.stopSlot(slot, graceful)));
  }

  private async stopSlot(slot: Slot, graceful: boolean): Promise<void> {
    if (slot.restartTimer !== null) clearTimeout(slot.restartTimer);
    const worker = slot.worker;
    if (worker === null) return;
    if (!graceful) {
      void worker.terminate();
      return slot.exited;
    }
    post(worker, { type: 'stop' });
    const threadId = worker.threadId;
    const timer = setTimeout(() => {
      this.options.logger.error({ threadId, timeoutMs: this.options.shutdownTimeoutMs },
        'worker thread still busy at worker_shutdown_timeout: ending it');
      void worker.terminate();
    }, this.options.shutdownTimeoutMs);
    await slot.exited;
    clearTimeout(timer);
  }

  /**
   * Starts the slot's thread, which listens once it is prepared and `listen` has resolved
   * (at once for a replacement); `ready` resolves with its addresses once it listens. Both
   * reject if it cannot start.
   */
  private spawn(slot: Slot, listen: Promise<void> = Promise.resolve()): { prepared: Promise<void>; ready: Promise<string[]> } {
    const { logger } = this.options;
    const data: ServingWorkerData = { ...this.data, slot: slot.index };
    const worker = new Worker(new URL('./serving-worker.js', import.meta.url), { workerData: data, name: `zonesync-worker-${slot.index}` });
    const threadId = worker.threadId;
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('error', (err) => logger.error({ err, threadId }, 'worker thread failed'));
    // worker.threadId reads -1 once the thread has exited: the id is kept from here.
    worker.once('exit', (code) => this.exited(slot, worker, threadId, code));
    let preparedNow: () => void = () => undefined;
    let failed: (err: Error) => void = () => undefined;
    const prepared = new Promise<void>((resolve, reject) => {
      preparedNow = resolve;
      failed = reject;
    });
    const ready = new Promise<string[]>((resolve, reject) => {
      const fail = (err: Error): void => {
        failed(err);
        reject(err);
      };
      worker.on('message', (message: FromServingWorker) => {
        switch (message.type) {
          case 'prepared':
            preparedNow();
            void listen.then(() => post(worker, { type: 'listen' }));
            return;
          case 'ready':
            resolve(message.addresses);
            return;
          case 'start-failed':
            fail(new Error(message.message));
            return;
          case 'peer-status':
            this.answerPeerStatus(worker, message.id);
            return;
          case 'log':
            deliverLines(logger, message, { threadId });
            return;
          case 'log-text':
            // A thread makes its lines as text only when the node's logger takes text (serving.ts).
            this.logText?.(message.text);
            return;
        }
      });
      worker.once('exit', (code) => fail(new Error(`worker thread exited with code ${code} before it listened`)));
    });
    // Whoever awaits only one of them: the other's rejection is the same failure, not an unhandled one.
    prepared.catch(() => undefined);
    ready.catch(() => undefined);
    return { prepared, ready };
  }

  private answerPeerStatus(worker: Worker, id: number): void {
    const sync = this.options.sync;
    const peers = sync === null ? Promise.resolve([]) : sync.status();
    peers.then((p) => post(worker, { type: 'peer-status', id, peers: p }), () => post(worker, { type: 'peer-status', id, peers: [] }));
  }

  private exited(slot: Slot, worker: Worker, threadId: number, code: number): void {
    this.options.onThreadExit(threadId, !this.stopping);
    this.options.releaseSlot(slot.index);
    if (slot.worker !== worker) return;
    slot.worker = null;
    if (this.stopping) return;
    const livedMs = Date.now() - slot.startedAt;
    slot.restartDelayMs = livedMs < QUICK_DEATH_MS ? Math.min(MAX_RESTART_DELAY_MS, Math.max(100, slot.restartDelayMs * 2)) : 0;
    this.options.logger.error({ threadId, code, restartInMs: slot.restartDelayMs }, 'worker thread exited: starting another');
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      this.spawn(slot).ready.then(
        () => this.options.logger.info({ threadId: slot.worker?.threadId, replaced: threadId }, 'worker thread replaced'),
        (err: unknown) => this.options.logger.error({ err }, 'replacement worker thread could not start'),
      );
    }, slot.restartDelayMs);
  }
}

function post(worker: Worker, message: ToServingWorker): void {
  worker.postMessage(message);
}
