// The load generator: wrk where installed (C, one thread: it shares the machine's cores with
// the server measured), else autocannon through npx. Keep-alive connections, GET /.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadResult {
  /** Requests answered (every status). */
  requests: number;
  seconds: number;
  requestsPerSec: number;
  /** Answers that were not 2xx or 3xx. */
  non2xx: number;
}

export type LoadTool = 'wrk' | 'autocannon';

export function loadTool(): LoadTool {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (e) {
    // wrk prints its version and exits 1.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'autocannon';
  }
  return 'wrk';
}

export async function generateLoad(tool: LoadTool, url: string, connections: number, seconds: number): Promise<LoadResult> {
  return tool === 'wrk' ? wrk(url, connections, seconds) : autocannon(url, connections, seconds);
}

async function wrk(url: string, connections: number, seconds: number): Promise<LoadResult> {
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, url], { maxBuffer: 1 << 20 });
  const total = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(stdout);
  if (total === null) throw new Error(`cannot read wrk's output:\n${stdout}`);
  const unit = total[3] === 'ms' ? 0.001 : total[3] === 'm' ? 60 : 1;
  const requests = Number(total[1]);
  const elapsed = Number(total[2]) * unit;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  return { requests, seconds: elapsed, requestsPerSec: requests / elapsed, non2xx };
}

async function autocannon(url: string, connections: number, seconds: number): Promise<LoadResult> {
  const { stdout } = await run('npx', ['-y', 'autocannon@8', '--json', '-c', String(connections), '-d', String(seconds), url], { maxBuffer: 16 << 20 });
  const r = JSON.parse(stdout) as { requests: { total: number }; duration: number; non2xx: number };
  return { requests: r.requests.total, seconds: r.duration, requestsPerSec: r.requests.total / r.duration, non2xx: r.non2xx };
}
