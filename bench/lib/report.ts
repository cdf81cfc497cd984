import { Bench, type Task } from 'tinybench';

/** Command-line switches every suite takes: `--quick` for a run under 45 s. */
export const quick = process.argv.includes('--quick');

export interface ResultRow {
  name: string;
  opsPerSec: number;
  rmePercent?: number;
  samples?: number;
  note?: string;
}

/** Runs tinybench tasks whose functions each do `batch` operations; returns ops/s per task. */
export async function runBench(tasks: Array<[string, () => void]>, batch: number, timeMs: number): Promise<ResultRow[]> {
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(500, timeMs / 2) });
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  return bench.tasks.map((t: Task) => rowOf(t, batch));
}

function rowOf(task: Task, batch: number): ResultRow {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`benchmark ${task.name} ${r.state}${'error' in r ? `: ${r.error}` : ''}`);
  return { name: task.name, opsPerSec: r.throughput.mean * batch, rmePercent: r.throughput.rme, samples: r.throughput.samplesCount };
}

export function ratio(a: number, b: number): number {
  return Math.round((a / b) * 1000) / 1000;
}

/** `figure`: the heading of the column of `opsPerSec` (a suite that measures something else than a rate names it). */
export function printTable(rows: ResultRow[], figure = 'ops/s'): void {
  console.table(rows.map((r) => ({
    name: r.name,
    [figure]: Math.round(r.opsPerSec).toLocaleString('en-US'),
    'rme %': r.rmePercent === undefined ? '' : r.rmePercent.toFixed(1),
    note: r.note ?? '',
  })));
}

/** The suite's last line: one JSON object. */
export function printSummary(summary: Record<string, unknown>): void {
  console.log(JSON.stringify(summary));
}

/** A small, fast, seeded generator (xorshift32), the same in every thread. */
export function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}
