// Reading callgrind's output: the instructions each thread ran in one dump, and what that
// makes a request.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** One thread's count in one dump. */
export interface ThreadInstructions {
  /** Valgrind's number of the thread (1: the main thread), from the file's `thread:` line. */
  readonly thread: number;
  /** Instructions executed (callgrind's event Ir) since the previous dump. */
  readonly instructions: number;
}

/**
 * The threads of the dump that `trigger` made. With --separate-threads=yes callgrind writes
 * a dump as one file a thread, named after --callgrind-out-file=OUT: OUT.PART-TT for a dump
 * asked for while the program runs (PART counts dumps from 1: `callgrind_control
 * --dump=warm` then `--dump=run` make parts 1 and 2), OUT-TT for the one at its end. Each
 * file's header says what made it (`desc: Trigger: dump run`, `desc: Trigger: Program
 * termination`) and holds the thread's count since the previous dump (`summary:`; a file
 * without it has the same figures in `totals:` at its end). Throws when no file of `trigger`
 * is found, or when two dumps had it.
 */
export function dumpThreads(outFile: string, trigger: string): ThreadInstructions[] {
  const dir = dirname(outFile);
  const base = basename(outFile);
  const files = readdirSync(dir).filter((f) => f.startsWith(base) && /^(\.\d+)?-\d+$/.test(f.slice(base.length))).sort();
  const threads: ThreadInstructions[] = [];
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    if (header(text, 'desc: Trigger') !== trigger) continue;
    const thread = Number(header(text, 'thread'));
    if (threads.some((t) => t.thread === thread)) throw new Error(`two callgrind dumps made by "${trigger}" in ${dir} (thread ${thread} twice)`);
    threads.push({ thread, instructions: irOf(text, file) });
  }
  if (threads.length === 0) throw new Error(`no callgrind dump made by "${trigger}" in ${dir} (files: ${files.join(' ') || 'none'})`);
  return threads.sort((a, b) => a.thread - b.thread);
}

/** Instructions per request of the busiest thread and of all threads together. */
export interface PerRequest {
  readonly busiest: number;
  /** Valgrind's number of the busiest thread. */
  readonly busiestThread: number;
  readonly allThreads: number;
  readonly threads: number;
}

export function perRequest(threads: readonly ThreadInstructions[], requests: number): PerRequest {
  if (threads.length === 0 || !(requests > 0)) throw new Error(`no instructions per request from ${threads.length} threads and ${requests} requests`);
  const busiest = threads.reduce((a, b) => (b.instructions > a.instructions ? b : a));
  const all = threads.reduce((sum, t) => sum + t.instructions, 0);
  return { busiest: busiest.instructions / requests, busiestThread: busiest.thread, allThreads: all / requests, threads: threads.length };
}

/** The value of the first `key: value` line (`key` holds no character special in a RegExp), or undefined. */
function header(text: string, key: string): string | undefined {
  return new RegExp(`^${key}: ?(.*)$`, 'm').exec(text)?.[1]?.trim();
}

/** The Ir figure of a thread's file: the `summary:` (or `totals:`) value in the column `events:` gives Ir. */
function irOf(text: string, file: string): number {
  const events = (header(text, 'events') ?? '').split(/\s+/);
  const column = events.indexOf('Ir');
  const figures = (header(text, 'summary') ?? header(text, 'totals'))?.split(/\s+/);
  const ir = column < 0 || figures === undefined ? undefined : figures[column];
  if (ir === undefined || !/^\d+$/.test(ir)) throw new Error(`callgrind file ${file} has no instruction count (events: ${events.join(' ')})`);
  return Number(ir);
}
