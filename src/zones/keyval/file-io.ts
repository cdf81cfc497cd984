// Small synchronous file helpers shared by the state file and the journal: whole writes,
// directory syncs, error codes.

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

/** Writes all of `data` at the file's current position (write() may take less than asked). */
export function writeAllSync(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/**
 * fsync of a directory: makes a file created or renamed in it durable. Throws what fsync
 * throws. Windows cannot fsync a directory: nothing is done there.
 */
export function fsyncDirectorySync(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    ignoreErrors(() => closeSync(fd));
  }
}

export function errorCode(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

export function ignoreErrors(action: () => void): void {
  try {
    action();
  } catch {
    // Cleanup after a failure: the first error is the one to report.
  }
}
