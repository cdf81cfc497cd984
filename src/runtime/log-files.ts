// The files of access logs, as one thread writes them: each opened once for appending
// (O_APPEND), lines kept in memory and written whole, several at a time, by one write() each
// time. Threads and processes that append to the same file then never interleave within a
// line: an append of a buffer lands in one piece on a local file system.
//
// When lines go out: without buffer=, at the end of the current turn of the event loop (a
// burst of requests answered in one turn costs one write); with buffer=SIZE, once SIZE bytes
// wait, or flush=TIME after the first of them when given; and always on reopen and close.

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AccessLogConfig } from '../config/types.js';

interface LogFile {
  fd: number | null;
  pending: string[];
  pendingBytes: number;
  /** The smallest buffer= of the logs on this path; 0: none. */
  readonly bufferBytes: number;
  /** The shortest flush= of the logs on this path; null: none. */
  readonly flushMs: number | null;
  timer: NodeJS.Timeout | NodeJS.Immediate | null;
}

export class LogFiles {
  private readonly files = new Map<string, LogFile>();
  private readonly onError: (err: unknown) => void;

  /**
   * Opens every path of `logs` (creating its directory): a path that cannot be opened throws
   * here, at start. A write that fails later (a full disk) is told to `onError`; its lines are lost.
   */
  constructor(logs: Iterable<AccessLogConfig>, onError: (err: unknown) => void) {
    this.onError = onError;
    for (const log of logs) {
      const known = this.files.get(log.path);
      const bufferBytes = log.bufferBytes ?? 0;
      const flushMs = log.flushMs ?? null;
      this.files.set(log.path, {
        fd: known?.fd ?? null, pending: [], pendingBytes: 0, timer: null,
        bufferBytes: known === undefined ? bufferBytes : Math.min(known.bufferBytes, bufferBytes),
        flushMs: known?.flushMs == null ? flushMs : flushMs === null ? known.flushMs : Math.min(known.flushMs, flushMs),
      });
    }
    this.openAll();
  }

  /** Adds a line (without its newline) to the file at `path`. */
  append(path: string, line: string): void {
    const file = this.files.get(path);
    if (file === undefined) return;
    const text = `${line}\n`;
    file.pending.push(text);
    file.pendingBytes += Buffer.byteLength(text);
    if (file.bufferBytes > 0 && file.pendingBytes >= file.bufferBytes) this.flushFile(file);
    else if (file.timer === null) {
      file.timer = file.bufferBytes === 0 ? setImmediate(() => this.flushFile(file))
        : file.flushMs === null ? null : setTimeout(() => this.flushFile(file), file.flushMs).unref();
    }
  }

  /** USR1: what waits is written, then each path is opened anew (a rotated file is let go). */
  reopen(): void {
    this.close();
    this.openAll();
  }

  close(): void {
    for (const file of this.files.values()) {
      this.flushFile(file);
      if (file.fd !== null) closeSync(file.fd);
      file.fd = null;
    }
  }

  private openAll(): void {
    for (const [path, file] of this.files) {
      mkdirSync(dirname(path), { recursive: true });
      file.fd = openSync(path, 'a');
    }
  }

  private flushFile(file: LogFile): void {
    if (file.timer !== null) {
      clearTimeout(file.timer as NodeJS.Timeout);
      clearImmediate(file.timer as NodeJS.Immediate);
      file.timer = null;
    }
    if (file.pending.length === 0 || file.fd === null) return;
    const text = file.pending.join('');
    file.pending = [];
    file.pendingBytes = 0;
    try {
      writeSync(file.fd, text);
    } catch (err) {
      this.onError(err);
    }
  }
}
