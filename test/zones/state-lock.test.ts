// The lock of a keyval state file: a live other process's lock refuses; a dead owner's, a
// recycled pid's (another start time), an unreadable one and this process's own are taken.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateFileInUseError, lockPathOf, lockStateFile, releaseAllStateLocks } from '../../dist/zones/keyval/state-lock.js';

let dir: string;
let other: ChildProcess;

function ticksOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'state-lock-'));
  other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
});
afterAll(() => {
  other.kill('SIGKILL');
  releaseAllStateLocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('lockStateFile', () => {
  const cases: Array<{ name: string; content: () => string; taken: boolean }> = [
    { name: 'another live process', content: () => `${other.pid} ${ticksOf(other.pid!)}\n`, taken: false },
    { name: 'another live process, start time unknown', content: () => `${other.pid} -\n`, taken: false },
    { name: 'a pid now given to another process (another start time)', content: () => `${other.pid} 1\n`, taken: true },
    { name: 'a process that is gone', content: () => '999999999 12345\n', taken: true },
    { name: 'this process (the zone created again)', content: () => `${process.pid} ${ticksOf(process.pid)}\n`, taken: true },
    { name: 'a lock cut short by a crash', content: () => '12', taken: true },
  ];
  it.each(cases)('a lock held by $name is taken: $taken', ({ name, content, taken }) => {
    const state = join(dir, `${name.replace(/\W+/g, '-')}.state`);
    writeFileSync(lockPathOf(state), content());
    if (!taken) {
      expect(() => lockStateFile(state, 'z')).toThrow(StateFileInUseError);
      expect(() => lockStateFile(state, 'z')).toThrow(new RegExp(`in use by process ${other.pid}`));
      return;
    }
    lockStateFile(state, 'z');
    expect(readFileSync(lockPathOf(state), 'utf8')).toBe(`${process.pid} ${ticksOf(process.pid)}\n`);
  });

  it('a free state file is locked, and the lock is gone once released', () => {
    const state = join(dir, 'free.state');
    lockStateFile(state, 'z');
    expect(existsSync(lockPathOf(state))).toBe(true);
    releaseAllStateLocks();
    expect(existsSync(lockPathOf(state))).toBe(false);
  });

  it('a directory that does not exist is a clear error', () => {
    expect(() => lockStateFile(join(dir, 'no', 'such', 'x.state'), 'z')).toThrow(/keyval zone "z": cannot create .*x\.state\.lock", the lock of its state file: ENOENT/);
  });
});
