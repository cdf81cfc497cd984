import type { ZoneSyncCounters } from '../sync/counters.js';
import type { SyncThreadHandle } from '../sync/start-sync-thread.js';
import type { PeerStatus } from '../sync/types.js';

/**
 * What a thread that serves the API knows of the sync thread: its counters (shared memory),
 * its peers' status (asked by message), its listen address, and whether it still runs. The
 * primary has the thread's handle; a serving worker has the same through the primary.
 */
export interface SyncView {
  readonly listenAddress: string | null;
  counters(): ZoneSyncCounters;
  status(): Promise<PeerStatus[]>;
  /** Calls `callback` once, when the sync thread has exited. */
  onExit(callback: () => void): void;
}

/** The view of the thread that holds the handle. */
export function syncViewOf(handle: SyncThreadHandle): SyncView {
  return {
    listenAddress: handle.listenAddress,
    counters: () => handle.counters(),
    status: () => handle.status(),
    onExit: (callback) => void handle.worker.once('exit', callback),
  };
}
