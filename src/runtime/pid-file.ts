// The `pid` directive's file and nginx's `-s SIGNAL`: the node writes its process id when it
// starts and removes the file when it exits; `-s` reads the file of the configuration and
// sends the signal, as nginx -s does.

import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** nginx's -s names and the signals they send. */
export const SIGNALS = { quit: 'SIGQUIT', stop: 'SIGTERM', reload: 'SIGHUP', reopen: 'SIGUSR1' } as const;
export type SignalName = keyof typeof SIGNALS;

export function isSignalName(name: string): name is SignalName {
  return Object.hasOwn(SIGNALS, name);
}

/** Writes "PID\n", as nginx. The directory is created when missing. */
export function writePidFile(path: string, pid: number = process.pid): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${pid}\n`);
}

/** Removes the file if it still holds `pid` (a node started since, with the same file, keeps its own). */
export function removePidFile(path: string, pid: number = process.pid): void {
  try {
    if (readFileSync(path, 'utf8').trim() === String(pid)) rmSync(path);
  } catch {
    // already gone
  }
}

/** The process id in the file; an Error in nginx's words when the file is missing or holds no id. */
export function readPidFile(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`open() "${path}" failed (${err.code ?? 'error'}: ${err.message})`);
  }
  const trimmed = text.trim();
  const pid = /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`invalid PID number "${trimmed}" in "${path}"`);
  return pid;
}

/** Sends the signal of `-s name` to the process of the pid file. */
export function signalProcess(pidPath: string, name: SignalName): number {
  const pid = readPidFile(pidPath);
  try {
    process.kill(pid, SIGNALS[name]);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`kill(${pid}, ${SIGNALS[name]}) failed (${err.code ?? 'error'}: ${err.message})`);
  }
  return pid;
}
