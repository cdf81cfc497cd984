// What the primary calls to run the sync thread: starts the worker, waits until it listens,
// and gives back a handle to read its counters (without messages), ask peer status, change
// the server list and stop it gracefully.

import { Worker } from 'node:worker_threads';
import type { ZoneDescriptor } from '../zones/descriptor.js';
import { createSyncCountersBuffer, readSyncCounters, type ZoneSyncCounters } from './counters.js';
import { noopLogger, type SyncLogger } from './logger.js';
import type { ServerSpec, SyncOptionsInput, SyncTimings } from './options.js';
import type { FromSyncThread, PeerStatus, SyncThreadData, ToSyncThread } from './types.js';

/** How long past stopGraceMs stop() waits for the thread before terminating it. */
const STOP_MARGIN_MS = 5_000;

export interface StartSyncThreadOptions {
  nodeId: number;
  nodeName: string;
  descriptors: ZoneDescriptor[];
  clockBuffer: SharedArrayBuffer;
  options?: SyncOptionsInput;
  logger?: SyncLogger;
}

export interface SyncThreadHandle {
  readonly worker: Worker;
  /** The bound listen address, or null when the node does not listen. */
  readonly listenAddress: string | null;
  readonly countersBuffer: SharedArrayBuffer;
  /** The NGINX Plus `stream/zone_sync` counters, read from shared memory. */
  counters(): ZoneSyncCounters;
  status(): Promise<PeerStatus[]>;
  /** zone_sync_server lines (a reload): names are resolved in the thread (discovery.ts). */
  setServers(servers: readonly ServerSpec[]): void;
  /** New timings (zone_sync_interval, _timeout, _connect_timeout, _connect_retry_interval), applied live. */
  setTimings(timings: SyncTimings): void;
  /** Graceful stop; resolves when the thread has exited. */
  stop(): Promise<void>;
}

export async function startSyncThread(start: StartSyncThreadOptions): Promise<SyncThreadHandle> {
  const logger = start.logger ?? noopLogger;
  const synced = start.descriptors.filter((d) => d.sync).map((d) => d.name);
  const countersBuffer = createSyncCountersBuffer(synced.length);
  const data: SyncThreadData = {
    nodeId: start.nodeId,
    nodeName: start.nodeName,
    descriptors: start.descriptors,
    clockBuffer: start.clockBuffer,
    countersBuffer,
    options: start.options ?? {},
  };
  const worker = new Worker(new URL('./sync-thread.js', import.meta.url), { workerData: data, name: 'zonesync-sync' });
  const statusWaiters = new Map<number, (peers: PeerStatus[]) => void>();
  let nextStatusId = 1;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const listenAddress = await new Promise<string | null>((resolve, reject) => {
    worker.on('message', (message: FromSyncThread) => {
      switch (message.type) {
        case 'ready':
          resolve(message.listenAddress);
          return;
        case 'start-failed':
          reject(new Error(`sync thread failed to start: ${message.message}`));
          return;
        case 'log':
          logger[message.level](message.fields, message.message);
          return;
        case 'session':
          logger.session?.(message.session);
          return;
        case 'status':
          statusWaiters.get(message.id)?.(message.peers);
          statusWaiters.delete(message.id);
          return;
        case 'stopped':
          return;
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`sync thread exited with code ${code} before it was ready`)));
  });
  const send = (message: ToSyncThread) => worker.postMessage(message);
  return {
    worker,
    listenAddress,
    countersBuffer,
    counters: () => readSyncCounters(countersBuffer, synced),
    status: () => new Promise<PeerStatus[]>((resolve) => {
      const id = nextStatusId++;
      statusWaiters.set(id, resolve);
      send({ type: 'status', id });
    }),
    setServers: (servers) => send({ type: 'set-servers', servers: [...servers] }),
    setTimings: (timings) => send({ type: 'set-timings', timings: { ...timings } }),
    stop: async () => {
      send({ type: 'stop' });
      // The thread ends connections within stopGraceMs; past a margin more, it is terminated.
      const graceMs = (start.options?.stopGraceMs ?? 5_000) + STOP_MARGIN_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => void worker.terminate().then(() => resolve()), graceMs);
      });
      await Promise.race([exited, late]);
      clearTimeout(timer);
    },
  };
}
