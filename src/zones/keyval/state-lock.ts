// One process at a time owns a keyval state file and its journals: loading rewrites them
// (the first compaction), so a second node started on the same file by mistake, even one
// that then fails to start, would take the journal from under the running node and lose
// what it acknowledged afterwards. The owner holds FILE.lock, which names it: its pid and,
// where /proc tells it, the process's start time (a pid the kernel gave to another process
// since is not the owner). A lock whose owner is gone is taken over; the owner's own lock is
// taken again (a zone created again in the same process). Locks are removed at exit.

import { closeSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { errorCode, ignoreErrors, writeAllSync } from './file-io.js';

const held = new Set<string>();
let exitHookInstalled = false;

/** The lock file of a state file. */
export function lockPathOf(statePath: string): string {
  return `${statePath}.lock`;
}

export class StateFileInUseError extends Error {
  constructor(zoneName: string, statePath: string, pid: number) {
    super(`keyval zone "${zoneName}": the state file "${statePath}" is in use by process ${pid} (it holds "${lockPathOf(statePath)}"): `
      + 'two nodes cannot share a state file; stop the other node, or remove the lock file if that process is not a zonesync node');
    this.name = 'StateFileInUseError';
  }
}

/** Takes the lock of `statePath` for this process, or throws StateFileInUseError naming its owner. */
export function lockStateFile(statePath: string, zoneName: string): void {
  const path = lockPathOf(statePath);
  if (held.has(path)) return;
  const own = ownerText(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeAllSync(fd, Buffer.from(own));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if (errorCode(e) !== 'EEXIST' || attempt > 0) {
        throw new Error(`keyval zone "${zoneName}": cannot create "${path}", the lock of its state file: ${errorCode(e) ?? (e as Error).message}`, { cause: e });
      }
    }
    const owner = readOwner(path);
    if (owner !== null && owner.pid !== process.pid && isRunning(owner.pid, owner.startTicks)) {
      throw new StateFileInUseError(zoneName, statePath, owner.pid);
    }
    ignoreErrors(() => unlinkSync(path)); // its owner is gone (or is this process): take it over
  }
  held.add(path);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', releaseAllStateLocks);
  }
}

/** Removes every lock this process holds (at exit; a node stopped in a process that goes on keeps them). */
export function releaseAllStateLocks(): void {
  for (const path of held) {
    const owner = readOwner(path);
    if (owner?.pid === process.pid) ignoreErrors(() => unlinkSync(path));
  }
  held.clear();
}

interface Owner {
  pid: number;
  startTicks: string | null;
}

function ownerText(pid: number): string {
  return `${pid} ${startTicksOf(pid) ?? '-'}\n`;
}

function readOwner(path: string): Owner | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const m = /^(\d{1,10}) (\d+|-)\n?$/.exec(text);
  if (m === null) return null; // not a lock of ours (or cut short by a crash): no owner
  return { pid: Number(m[1]), startTicks: m[2] === '-' ? null : m[2]! };
}

/** Whether process `pid` runs, and is the one that took the lock (same start time, where known). */
function isRunning(pid: number, startTicks: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (errorCode(e) !== 'EPERM') return false;
  }
  if (startTicks === null) return true;
  const now = startTicksOf(pid);
  return now === null || now === startTicks;
}

/** The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or null without /proc. */
function startTicksOf(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count from its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}
