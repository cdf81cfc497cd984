// One journaled keyval zone as the journal writer keeps it: the consumer of its change
// ring, its current journal file, the fsync policy, and compaction into the state file
// (the steps and why they are safe: src/zones/keyval/state-store.ts).
//
// flush(), called every few tens of ms, never throws and never waits for anything but the
// disk: it drains the ring into the journal (one write of whole entries), fsyncs as the
// policy says, and compacts when the journal has grown past the state file (or 4 MiB), when
// the ring dropped changes (a snapshot holds them), or when a write failed (the journal may
// end in a partial entry: nothing more may follow it); at most once a second. While the
// disk refuses, changes are drained and dropped, a compaction is tried again every
// second, and the first one to succeed holds every change made before it.

import { statSync } from 'node:fs';
import type { StateFsyncPolicy } from '../config/types.js';
import { ChangeRing } from '../zones/change-ring.js';
import { JournalEncoder } from '../zones/keyval/journal-file.js';
import { KeyvalZone, type KeyvalHandle } from '../zones/keyval/keyval-zone.js';
import { StateStore, type JournalFile } from '../zones/keyval/state-store.js';
import { threadOwnerId } from '../zones/node.js';
import type { VersionedRecord } from '../zones/zone-base.js';
import type { ThreadLogger } from '../thread-logger.js';

/** The journal is compacted into the state file once it holds more bytes than this, or than the last state file. */
export const COMPACT_MIN_BYTES = 4 * 1024 * 1024;
/** Compactions flush() starts are this far apart at least (a failed one is tried again after it). */
const COMPACT_SPACING_MS = 1_000;
/** Records a compaction writes between two drains of the ring. */
const DRAIN_EVERY_RECORDS = 2048;
/** The ring's dropped changes are logged at most this often. */
const DROP_LOG_MS = 60_000;

export interface ZoneJournalOptions {
  handle: KeyvalHandle;
  /** The newest generation the zone read (KeyvalZone.stateGeneration): journals start past it. */
  newestGeneration: number;
  fsync: StateFsyncPolicy;
  logger: ThreadLogger;
  /** A monotonic clock in ms, for fsync intervals and retries. */
  clock?: () => number;
  /** The zone's wall clock (expiry of what a snapshot takes), as for KeyvalZone.attach. */
  now?: () => number;
  compactMinBytes?: number;
}

/** Totals since the writer started. */
export interface ZoneJournalStats {
  entries: number;
  bytes: number;
  fsyncs: number;
  compactions: number;
  /** Changes the ring dropped for want of room (a snapshot then held them). */
  dropped: number;
  failures: number;
}

export class ZoneJournal {
  readonly name: string;
  readonly stats: ZoneJournalStats = { entries: 0, bytes: 0, fsyncs: 0, compactions: 0, dropped: 0, failures: 0 };
  private readonly zone: KeyvalZone;
  private readonly ring: ChangeRing;
  private readonly store: StateStore;
  private readonly encoder = new JournalEncoder();
  private readonly logger: ThreadLogger;
  private readonly clock: () => number;
  private readonly compactMinBytes: number;
  private fsync: StateFsyncPolicy;
  private journal: JournalFile | null = null;
  private generation: number;
  private stateBytes = 0;
  /** Entries written since the last fsync. */
  private unsynced = false;
  private lastSyncAt: number;
  /** The journal may end in a partial entry: nothing more is appended to it. */
  private broken = false;
  /** The ring dropped changes, or a compaction failed: the next compaction must happen. */
  private needsSnapshot = false;
  private nextCompactAt = 0;
  private lastDropLogAt = -Infinity;
  /** A write, fsync or compaction failed since the last compaction that succeeded. */
  private failing = false;
  private droppedSeen: number;

  constructor(options: ZoneJournalOptions) {
    const ring = options.handle.descriptor.changeRing;
    const state = options.handle.settings.stateFile;
    if (ring === undefined || state === null) throw new Error(`keyval zone "${options.handle.descriptor.name}" is not journaled`);
    this.zone = KeyvalZone.attach(options.handle, options.now === undefined ? {} : { now: options.now });
    this.name = this.zone.name;
    this.ring = new ChangeRing(ring, threadOwnerId());
    this.store = new StateStore(state, this.name);
    this.generation = options.newestGeneration;
    this.fsync = options.fsync;
    this.logger = options.logger;
    this.clock = options.clock ?? (() => performance.now());
    this.compactMinBytes = options.compactMinBytes ?? COMPACT_MIN_BYTES;
    this.lastSyncAt = this.clock();
    this.droppedSeen = this.ring.dropped();
  }

  /** Starts the first journal and writes the state file (a compaction); throws when that fails. */
  open(): void {
    // Past every journal present, should one have appeared since the zone was loaded.
    try {
      this.generation = Math.max(this.generation, ...this.store.journalGenerations());
      this.compact();
    } catch (err) {
      throw new Error(`keyval zone "${this.name}": cannot write its state file "${this.store.statePath}" and journal: ${errorText(err)}`, { cause: err });
    }
  }

  setFsync(policy: StateFsyncPolicy): void {
    this.fsync = policy;
  }

  get journalGeneration(): number {
    return this.generation;
  }

  /** Drains the ring into the journal, fsyncs and compacts as due. Never throws. */
  flush(): void {
    if (this.ring.takeOverflow()) this.noteDropped();
    this.drain();
    if (this.unsynced && !this.broken && this.syncDue()) this.sync();
    const due = this.broken || this.needsSnapshot || (this.journal?.bytes ?? 0) >= Math.max(this.compactMinBytes, this.stateBytes);
    if (due && this.clock() >= this.nextCompactAt) {
      this.nextCompactAt = this.clock() + COMPACT_SPACING_MS;
      try {
        this.compact();
      } catch (err) {
        this.failed(err, 'could not compact the keyval journal into the state file; retrying');
        this.needsSnapshot = true;
      }
    }
  }

  /** A last flush and compaction (a graceful stop): the state file then holds everything. Throws when that fails. */
  close(): void {
    this.flush();
    try {
      this.compact();
    } finally {
      this.journal?.close();
      this.journal = null;
    }
  }

  /** The ring's entries to the current journal (dropped while it is broken: the next compaction holds them). */
  private drain(): void {
    this.ring.drain((bytes, _view, offset, length) => {
      if (!this.broken) this.encoder.add(bytes, offset, length);
      this.stats.entries++;
    });
    if (this.encoder.pendingBytes > 0) this.write();
  }

  /**
   * The zone's records for the state file, read as the file is written; every
   * DRAIN_EVERY_RECORDS records the ring is drained into the new journal, so that a large
   * zone's compaction does not leave the ring to fill meanwhile.
   */
  private *snapshot(): Generator<VersionedRecord> {
    let n = 0;
    for (const r of this.zone.eachVersion()) {
      yield r;
      if (++n % DRAIN_EVERY_RECORDS === 0) this.drain();
    }
  }

  private write(): void {
    const bytes = this.encoder.take();
    try {
      this.journal!.append(bytes);
      this.stats.bytes += bytes.length;
      this.unsynced = true;
    } catch (err) {
      this.failed(err, 'could not write the keyval journal; the state file will be rewritten');
      this.broken = true;
    }
  }

  private syncDue(): boolean {
    const f = this.fsync;
    return f.mode === 'always' || (f.mode === 'interval' && this.clock() - this.lastSyncAt >= f.intervalMs);
  }

  private sync(): void {
    try {
      this.journal!.sync();
      this.stats.fsyncs++;
      this.unsynced = false;
      this.lastSyncAt = this.clock();
    } catch (err) {
      // After a failed fsync the kernel may have dropped the pages: what the file holds is unknown.
      this.failed(err, 'could not fsync the keyval journal; the state file will be rewritten');
      this.broken = true;
    }
  }

  /**
   * Compacts now: steps 1-3 of state-store.ts (call flush() first, or the changes in the
   * ring go to the new journal, which is sound too). Throws when step 1 or 2 fails; the
   * files are then still sound, and the next flush() tries again.
   */
  compact(): void {
    const next = this.generation + 1;
    const durable = this.fsync.mode !== 'off';
    const fresh = this.store.createJournal(next, durable);
    const old = this.journal;
    if (old !== null && !this.broken && this.unsynced && durable) {
      try {
        old.sync();
      } catch {
        // Its changes go into the state file below; the old journal matters only if that fails.
      }
    }
    old?.close();
    this.journal = fresh;
    this.generation = next;
    this.broken = false;
    this.unsynced = false;
    this.needsSnapshot = true; // until the state file naming `next` is written
    this.store.writeState(this.snapshot(), next);
    this.needsSnapshot = false;
    this.stats.compactions++;
    this.stateBytes = statSync(this.store.statePath).size;
    try {
      this.store.removeJournalsBefore(next);
    } catch (err) {
      this.logger.warn({ zone: this.name, err: errorText(err) }, 'could not remove an old keyval journal (it is never replayed)');
    }
    if (this.failing) {
      this.failing = false;
      this.logger.info({ zone: this.name, failures: this.stats.failures }, 'keyval state file and journal written again');
    }
  }

  private noteDropped(): void {
    const dropped = this.ring.dropped();
    const n = (dropped - this.droppedSeen) >>> 0;
    this.droppedSeen = dropped;
    this.stats.dropped += n;
    this.needsSnapshot = true;
    if (this.clock() - this.lastDropLogAt < DROP_LOG_MS) return;
    this.lastDropLogAt = this.clock();
    this.logger.warn({ zone: this.name, dropped: this.stats.dropped }, 'keyval change ring full: changes dropped from it are written by a snapshot of the zone instead');
  }

  /** Counts a failure; logs the first of a run of them (the recovery is logged too). */
  private failed(err: unknown, message: string): void {
    this.stats.failures++;
    if (this.failing) return;
    this.failing = true;
    this.logger.error({ zone: this.name, err: errorText(err) }, message);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
