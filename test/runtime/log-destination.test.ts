// Where a node's log lines go: stdout by default (a container's log is the process's
// stdout), stderr or a file when error_log says so. A real node process, stopped with QUIT
// as soon as it says it serves; it logs the stop at info.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRIMARY, tempDir, waitFor, writeConfig } from './cluster-helpers.js';

interface Run { stdout: string; stderr: string; code: number | null; signal: string | null }

/**
 * Runs a node and sends it QUIT the moment it announces itself on stdout: a supervisor may,
 * so the node must handle its signals by then.
 */
async function runUntilQuit(configText: string, dir: string, args: string[] = []): Promise<Run> {
  const path = writeConfig(dir, 'zonesync.conf', configText);
  const child = spawn(process.execPath, [PRIMARY, '-c', path, '--workers', '1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { stdout: '', stderr: '', code: null, signal: null };
  child.stdout.on('data', (d) => {
    const announced = run.stdout.includes('serving');
    run.stdout += d;
    if (!announced && run.stdout.includes('serving')) child.kill('SIGQUIT');
  });
  child.stderr.on('data', (d) => { run.stderr += d; });
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => { run.code = code; run.signal = signal; resolve(); }));
  try {
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, 30_000, () => `node did not stop:\n${run.stdout}${run.stderr}`);
    await exited;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  return run;
}

/** The JSON log lines of a text (the startup line is not one). */
const logLines = (text: string) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string });

describe('the log destination', () => {
  it.each<[string, string, 'stdout' | 'stderr' | 'file']>([
    // No error_log: --log-level info, so that the default destination gets the stop line.
    ['no error_log', '', 'stdout'],
    ['error_log stdout', 'error_log stdout info;', 'stdout'],
    ['error_log /dev/stdout', 'error_log /dev/stdout info;', 'stdout'],
    ['error_log stderr', 'error_log stderr info;', 'stderr'],
    ['error_log FILE', 'error_log logs/zonesync.log info;', 'file'],
  ])('%s', async (_, errorLog, where) => {
    const { dir, cleanup } = tempDir();
    try {
      const run = await runUntilQuit(errorLog, dir, errorLog === '' ? ['--log-level', 'info'] : []);
      expect(run, JSON.stringify(run)).toMatchObject({ code: 0 });
      const file = join(dir, 'logs', 'zonesync.log');
      const got = { stdout: logLines(run.stdout), stderr: logLines(run.stderr), file: existsSync(file) ? logLines(readFileSync(file, 'utf8')) : [] };
      expect(got[where].map((l) => l.msg)).toContain('graceful stop');
      for (const other of (['stdout', 'stderr', 'file'] as const).filter((w) => w !== where)) expect(got[other]).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
