// bench:http --instructions reads callgrind's per-thread dumps: checked here on real
// callgrind runs of small programs, against callgrind_annotate's totals of the same files.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dumpThreads, perRequest } from '../../dist-bench/http/callgrind-dump.js';
import { callgrindDump, callgrindLauncher, callgrindOutFile, requireCallgrind } from '../../dist-bench/http/callgrind.js';
import { waitFor } from '../runtime/cluster-helpers.js';

/** callgrind_annotate's "PROGRAM TOTALS" of one dump file. */
function annotateTotal(file: string): number {
  const out = execFileSync('callgrind_annotate', [file], { encoding: 'utf8' });
  const total = /^\s*([\d,]+)\s+(?:\([\d.]+%\)\s+)?PROGRAM TOTALS/m.exec(out);
  if (total === null) throw new Error(`no PROGRAM TOTALS in callgrind_annotate ${file}:\n${out}`);
  return Number(total[1]!.replace(/,/g, ''));
}

/** The dump files of one part (`.2-01`, ...) or of the program's end (`-01`, ...). */
function filesOf(dir: string, suffix: RegExp): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('callgrind.out') && suffix.test(f.slice('callgrind.out'.length))).sort().map((f) => join(dir, f));
}

const timeout = 180_000;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zonesync-callgrind-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('callgrind dumps', () => {
  it('valgrind and callgrind_control are installed (bench:http --instructions needs them)', () => {
    expect(requireCallgrind()).toMatch(/^valgrind-\d+\.\d+/);
  });

  it('picks the dump asked for while the program runs: a shell loop of 1000 turns, dumped, then 2000 turns, dumped', { timeout }, async () => {
    // Each loop ends by printing a word, then the shell waits on its input: a dump asked for
    // then counts the loop just run and nothing of the next.
    const script = 'read a; i=0; while [ $i -lt 1000 ]; do i=$((i+1)); done; echo one; read b; i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; echo two; read c';
    const [command, ...args] = callgrindLauncher(dir);
    const child = spawn(command!, [...args, 'sh', '-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.resume();
    const exited = once(child, 'exit');
    child.stdin.write('go\n');
    await waitFor(() => out.includes('one'), 60_000, () => `the first loop did not end: ${out}`);
    await callgrindDump(dir, child.pid!, 'warm');
    child.stdin.write('go\n');
    await waitFor(() => out.includes('two'), 60_000, () => `the second loop did not end: ${out}`);
    await callgrindDump(dir, child.pid!, 'run');
    child.stdin.end('go\n');
    await exited;

    const threads = dumpThreads(callgrindOutFile(dir), 'dump run');
    const [runFile] = filesOf(dir, /^\.2-\d+$/);
    const [warmFile] = filesOf(dir, /^\.1-\d+$/);
    expect(threads).toEqual([{ thread: 1, instructions: annotateTotal(runFile!) }]);
    expect(dumpThreads(callgrindOutFile(dir), 'dump warm')).toEqual([{ thread: 1, instructions: annotateTotal(warmFile!) }]);
    // The second dump holds the second loop alone: a turn costs what it cost in the first
    // (whose dump also holds the shell's start), not 1.5 times as much, as a count since
    // the start would.
    const perTurn = perRequest(threads, 2000);
    const warmPerTurn = annotateTotal(warmFile!) / 1000;
    expect(perTurn.busiest).toBe(threads[0]!.instructions / 2000);
    expect(perTurn.allThreads).toBe(perTurn.busiest);
    expect(perTurn.busiest / warmPerTurn).toBeGreaterThan(0.9);
    expect(perTurn.busiest / warmPerTurn).toBeLessThan(1.05);
    expect(() => dumpThreads(callgrindOutFile(dir), 'dump other')).toThrow(/no callgrind dump made by "dump other"/);
  });

  it('counts each thread of a dump: sort --parallel=2, one count a thread, the busiest and the sum', { timeout }, () => {
    // GNU sort sorts in two threads from 2^17 lines.
    const lines = 140_000;
    const input = join(dir, 'lines');
    writeFileSync(input, Array.from({ length: lines }, (_, i) => String((i * 7919) % lines)).join('\n') + '\n');
    const [command, ...args] = callgrindLauncher(dir);
    execFileSync(command!, [...args, 'sort', '--parallel=2', '-S', '50M', '-o', join(dir, 'sorted'), input], { stdio: 'ignore' });

    const threads = dumpThreads(callgrindOutFile(dir), 'Program termination');
    const files = filesOf(dir, /^-\d+$/);
    expect(threads.length).toBeGreaterThanOrEqual(2);
    expect(threads.map((t) => t.instructions)).toEqual(files.map(annotateTotal));
    expect(threads.map((t) => t.thread)).toEqual(files.map((f) => Number(/-(\d+)$/.exec(f)![1])));
    const counts = threads.map((t) => t.instructions);
    const busiest = threads[counts.indexOf(Math.max(...counts))]!;
    // In every order of the threads (the busiest first, last and between), so that which
    // thread of this run happened to be the busiest does not decide the outcome.
    for (let turn = 0; turn < threads.length; turn++) {
      for (const order of [threads.slice(turn).concat(threads.slice(0, turn)), threads.slice(turn).concat(threads.slice(0, turn)).reverse()]) {
        const each = perRequest(order, lines);
        expect(each.busiest).toBe(busiest.instructions / lines);
        expect(each.busiestThread).toBe(busiest.thread);
        expect(each.allThreads).toBe(counts.reduce((a, b) => a + b, 0) / lines);
        expect(each.threads).toBe(threads.length);
        expect(each.allThreads).toBeGreaterThan(each.busiest);
      }
    }
  });
});
