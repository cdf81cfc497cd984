// What the primary calls to run the journal thread: starts it, waits until every zone's
// first journal and state file are written, and gives back a handle to change the fsync
// policy, read the writers' totals and stop it (a last flush and compaction).

import { Worker } from 'node:worker_threads';
import type { StateFsyncPolicy } from '../config/types.js';
import { deliverLines, noopLogger, type ThreadLogger } from '../thread-logger.js';
import type { FromJournalThread, JournalThreadData, JournaledZone, ToJournalThread } from './types.js';
import type { ZoneJournalStats } from './zone-journal.js';

/** How often the thread drains the change rings: a change reaches its journal within about this long. */
export const DEFAULT_FLUSH_INTERVAL_MS = 25;

export interface StartJournalThreadOptions {
  zones: JournaledZone[];
  fsync: StateFsyncPolicy;
  logger?: ThreadLogger;
  flushIntervalMs?: number;
}

export interface JournalThreadHandle {
  readonly worker: Worker;
  /** False once the thread has exited, stopped or not. */
  readonly running: boolean;
  setFsync(policy: StateFsyncPolicy): void;
  stats(): Promise<Record<string, ZoneJournalStats>>;
  /**
   * A last flush and compaction of every zone, then the thread exits. Resolves with the
   * zones whose last compaction failed (their journals stay, and are replayed at the next
   * start); rejects if the thread was gone before it could do it.
   */
  stop(): Promise<string[]>;
}

export async function startJournalThread(start: StartJournalThreadOptions): Promise<JournalThreadHandle> {
  const logger = start.logger ?? noopLogger;
  const data: JournalThreadData = { zones: start.zones, fsync: start.fsync, flushIntervalMs: start.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS };
  const worker = new Worker(new URL('./journal-thread.js', import.meta.url), { workerData: data, name: 'zonesync-journal' });
  let running = true;
  let stopped: ((failures: string[]) => void) | null = null;
  const statsWaiters = new Map<number, (zones: Record<string, ZoneJournalStats>) => void>();
  let nextStatsId = 1;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => {
    running = false;
    resolve();
  }));
  worker.on('error', (err) => logger.error({ err: err.message }, 'journal thread failed: keyval changes are no longer journaled'));
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (message: FromJournalThread) => {
      switch (message.type) {
        case 'ready':
          resolve();
          return;
        case 'start-failed':
          reject(new Error(`keyval state journal: ${message.message}`));
          return;
        case 'log':
          deliverLines(logger, message);
          return;
        case 'stats':
          statsWaiters.get(message.id)?.(message.zones);
          statsWaiters.delete(message.id);
          return;
        case 'stopped':
          stopped?.(message.failures);
          return;
      }
    });
    void exited.then(() => reject(new Error('the journal thread exited before it was ready')));
  });
  const send = (message: ToJournalThread) => worker.postMessage(message);
  return {
    worker,
    get running() {
      return running;
    },
    setFsync: (fsync) => send({ type: 'set-fsync', fsync }),
    stats: () => new Promise((resolve) => {
      const id = nextStatsId++;
      statsWaiters.set(id, resolve);
      send({ type: 'stats', id });
    }),
    stop: async () => {
      if (!running) throw new Error('the journal thread is not running');
      const result = new Promise<string[]>((resolve, reject) => {
        stopped = resolve;
        void exited.then(() => reject(new Error('the journal thread exited before its last compaction')));
      });
      send({ type: 'stop' });
      const failures = await result;
      await exited;
      return failures;
    },
  };
}
