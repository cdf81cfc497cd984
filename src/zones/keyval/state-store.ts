// The files of one journaled keyval zone: its state file (state-file.ts) and its journals
// (journal-file.ts), FILE.journal-G in the same directory.
//
// Generations. The state file names one journal generation G: the changes made after its
// records were read are in journal G and any newer one, never in an older one. Loading
// reads the state file, then every journal of generation G or newer in order, each
// through the one merge. Compaction, in this order, keeps that true at every step
// (a crash between two steps loses nothing and brings back nothing):
//
//   1. journal G' = G + 1 is created (empty, header only); new changes go there from now;
//   2. the zone's records are read and written as the state file naming G', atomically
//      (temp file, fsync, rename, directory fsync);
//   3. journals older than G' are removed.
//
// Before step 2 completes, the old state file and journals G..G' are loaded: everything.
// After it, the new state file and journal G' are loaded: the records hold every change
// written to journals older than G' (they were in the zone before it was read), and every
// change made after the switch is in G'. Journals older than G' are then never replayed,
// which matters: a zone that does not sync removes a deleted record, so the new state file
// holds no trace of the delete that an old journal's earlier write of the key would undo.

import { closeSync, fdatasyncSync, openSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { WireRecord } from '../merge.js';
import { errorCode, fsyncDirectorySync, ignoreErrors, writeAllSync } from './file-io.js';
import { JournalError, journalHeader, scanJournal, type JournalScan } from './journal-file.js';
import { readNginxPlusStateSync, type NginxPlusLoad } from './nginx-plus-state.js';
import { readStateSnapshotSync, writeStateFile, writeStateFileSync, type StateRecord } from './state-file.js';

const FILE_MODE = 0o600;

/** One journal as loading found it. */
export interface JournalLoad {
  path: string;
  generation: number;
  scan: JournalScan;
}

/** What loading read: the state file's records and generation, and the journals replayed. */
export interface StoreLoad {
  /** Records of the state file (0 when there is none). */
  stateRecords: number;
  /** The generation the state file names (0 when there is none, or it predates journals). */
  stateGeneration: number;
  journals: JournalLoad[];
  /** The newest generation seen, state file or journal: the next compaction goes past it. */
  newestGeneration: number;
}

export class StateStore {
  readonly statePath: string;
  readonly zoneName: string;
  private readonly dir: string;
  private readonly prefix: string;

  constructor(statePath: string, zoneName: string) {
    this.statePath = statePath;
    this.zoneName = zoneName;
    this.dir = dirname(statePath);
    this.prefix = `${basename(statePath)}.journal-`;
  }

  journalPath(generation: number): string {
    return join(this.dir, `${this.prefix}${generation}`);
  }

  /** Generations of the journals present, oldest first. */
  journalGenerations(): number[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return [];
      throw e;
    }
    const generations: number[] = [];
    for (const name of names) {
      if (!name.startsWith(this.prefix)) continue;
      const digits = name.slice(this.prefix.length);
      if (/^(0|[1-9][0-9]{0,9})$/.test(digits) && Number(digits) <= 0xffffffff) generations.push(Number(digits));
    }
    return generations.sort((a, b) => a - b);
  }

  /**
   * Reads the state file (each record to `onRecord`), then the journals of its generation
   * and newer (each whole entry to `onEntry`, a WireRecord over the journal's bytes, valid
   * during the call). A state file that NGINX Plus wrote (nginx-plus-state.ts) is read as
   * generation 0, its pairs stamped as `nginxPlus` says. Throws StateFileError for a bad
   * state file and JournalError for a journal of another zone; a journal's torn or corrupt
   * tail only ends its replay (see the `scan` of each journal in the result).
   */
  load(nginxPlus: NginxPlusLoad, onRecord: (record: StateRecord) => void, onEntry: (bytes: Uint8Array, record: WireRecord) => void): StoreLoad {
    const legacy = readNginxPlusStateSync(this.statePath, nginxPlus);
    const snapshot = legacy === null ? readStateSnapshotSync(this.statePath, this.zoneName) : { records: legacy, journalGeneration: 0 };
    const stateGeneration = snapshot?.journalGeneration ?? 0;
    for (const r of snapshot?.records ?? []) onRecord(r);
    const journals: JournalLoad[] = [];
    const generations = this.journalGenerations();
    for (const generation of generations) {
      if (generation < stateGeneration) continue;
      const path = this.journalPath(generation);
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch (e) {
        throw new JournalError(path, `cannot read: ${errorCode(e) ?? (e as Error).message}`);
      }
      journals.push({ path, generation, scan: scanJournal(path, this.zoneName, generation, bytes, onEntry) });
    }
    return {
      stateRecords: snapshot?.records.length ?? 0,
      stateGeneration,
      journals,
      newestGeneration: Math.max(stateGeneration, ...generations),
    };
  }

  /** Step 1 of a compaction: a new, empty journal; `durable`: fsync it and its directory entry. */
  createJournal(generation: number, durable: boolean): JournalFile {
    const path = this.journalPath(generation);
    const fd = openSync(path, 'wx', FILE_MODE);
    const file = new JournalFile(path, generation, fd);
    try {
      file.append(journalHeader(this.zoneName, generation));
      if (durable) {
        file.sync();
        fsyncDirectorySync(this.dir);
      }
    } catch (e) {
      file.close();
      ignoreErrors(() => unlinkSync(path));
      throw e;
    }
    return file;
  }

  /** Step 2: the state file, naming `generation`, written atomically. */
  writeState(records: Iterable<StateRecord>, generation: number): void {
    writeStateFileSync(this.statePath, this.zoneName, records, generation);
  }

  /** Step 3: removes the journals older than `generation`. */
  removeJournalsBefore(generation: number): void {
    for (const g of this.journalGenerations()) {
      if (g >= generation) break;
      try {
        unlinkSync(this.journalPath(g));
      } catch (e) {
        if (errorCode(e) !== 'ENOENT') throw e;
      }
    }
  }

  /**
   * The records as the whole state, with no journal in use: steps 2 and 3 for a
   * generation past `newestKnown` and every journal present. Returns that generation.
   */
  replaceAll(records: Iterable<StateRecord>, newestKnown: number): number {
    const generation = this.generationAfter(newestKnown);
    this.writeState(records, generation);
    this.removeJournalsBefore(generation);
    return generation;
  }

  /** replaceAll, the state file written without holding the event loop. */
  async replaceAllAsync(records: Iterable<StateRecord>, newestKnown: number): Promise<number> {
    const generation = this.generationAfter(newestKnown);
    await writeStateFile(this.statePath, this.zoneName, records, generation);
    this.removeJournalsBefore(generation);
    return generation;
  }

  private generationAfter(newestKnown: number): number {
    return Math.max(newestKnown, ...this.journalGenerations()) + 1;
  }
}

/** An open journal, appended to by its one writer. */
export class JournalFile {
  readonly path: string;
  readonly generation: number;
  /** Bytes written, header included. */
  bytes = 0;
  private fd: number;

  constructor(path: string, generation: number, fd: number) {
    this.path = path;
    this.generation = generation;
    this.fd = fd;
  }

  append(data: Uint8Array): void {
    writeAllSync(this.fd, data);
    this.bytes += data.length;
  }

  /** fdatasync: the entries written so far survive a power loss. */
  sync(): void {
    fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
  }
}
