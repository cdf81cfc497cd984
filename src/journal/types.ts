import type { StateFsyncPolicy } from '../config/types.js';
import type { KeyvalHandle } from '../zones/keyval/keyval-zone.js';
import type { LogMessage } from '../thread-logger.js';
import type { ZoneJournalStats } from './zone-journal.js';

/** One zone the journal thread keeps: its handle and the newest generation the zone read. */
export interface JournaledZone {
  handle: KeyvalHandle;
  newestGeneration: number;
}

export interface JournalThreadData {
  zones: JournaledZone[];
  fsync: StateFsyncPolicy;
  flushIntervalMs: number;
}

export type ToJournalThread =
  | { type: 'stop' }
  | { type: 'set-fsync'; fsync: StateFsyncPolicy }
  | { type: 'stats'; id: number };

export type FromJournalThread =
  | { type: 'ready' }
  | { type: 'start-failed'; message: string }
  | LogMessage
  | { type: 'stats'; id: number; zones: Record<string, ZoneJournalStats> }
  | { type: 'stopped'; failures: string[] };
