// Running a program under valgrind's callgrind and asking it for dumps while it runs.
// Everything callgrind writes (its dumps, the FIFOs vgdb talks through) goes into one
// directory of the caller's, so that removing it leaves nothing behind, even after SIGKILL.
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const INSTALL = 'apt-get install valgrind';

/** valgrind's version ("valgrind-3.19.0"); throws, saying how to install it, when valgrind or callgrind_control is missing. */
export function requireCallgrind(): string {
  let version = '';
  for (const tool of ['valgrind', 'callgrind_control']) {
    try {
      const out = execFileSync(tool, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
      if (tool === 'valgrind') version = out;
    } catch (e) {
      throw new Error(`counting instructions needs valgrind's callgrind: ${tool} ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is not installed' : `failed (${(e as Error).message})`}; install it with \`${INSTALL}\``);
    }
  }
  return version;
}

/** The file name callgrind's dumps start with in `dir` (see callgrind-dump.ts for the rest of their names). */
export function callgrindOutFile(dir: string): string {
  return join(dir, 'callgrind.out');
}

function vgdbPrefix(dir: string): string {
  return join(dir, 'vgdb-pipe');
}

/**
 * The command line that runs a program (its command and arguments appended) under callgrind,
 * one count per thread. --smc-check=all-non-file: V8 writes the machine code it runs (without
 * it valgrind would run stale translations of rewritten code).
 */
export function callgrindLauncher(dir: string): string[] {
  return [
    'valgrind', '--tool=callgrind', `--callgrind-out-file=${callgrindOutFile(dir)}`, `--vgdb-prefix=${vgdbPrefix(dir)}`,
    '--smc-check=all-non-file', '--separate-threads=yes',
  ];
}

/**
 * Has the callgrind run of process `pid` (started with callgrindLauncher(dir)) write a dump
 * now, each file of it triggered by "dump `label`", and counts start again from zero.
 * Resolves once the dump is written.
 */
export async function callgrindDump(dir: string, pid: number, label: string): Promise<void> {
  const { stdout, stderr } = await run('callgrind_control', [`--vgdb-prefix=${vgdbPrefix(dir)}`, `--dump=${label}`, String(pid)]);
  // callgrind_control exits 0 whatever happened: only its "OK." says the dump was made.
  if (!/^\s*OK\.$/m.test(stdout)) throw new Error(`callgrind_control could not dump process ${pid}:\n${stdout}${stderr}`);
}
