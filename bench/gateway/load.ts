// The load of the gateway benchmark: wrk (one thread, keep-alive connections, GET /).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why wrk cannot run here, or null. */
export function wrkMissing(): string | null {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (e) {
    // wrk prints its version and exits 1.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'wrk is not installed (apt-get install -y wrk)';
  }
  return null;
}

export interface Load {
  requestsPerSec: number;
  /** Answers that were not 2xx or 3xx, and socket errors. */
  failures: number;
}

export async function wrk(url: string, connections: number, seconds: number): Promise<Load> {
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, url], { maxBuffer: 1 << 20 });
  const total = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(stdout);
  if (total === null) throw new Error(`cannot read wrk's output:\n${stdout}`);
  const unit = total[3] === 'ms' ? 0.001 : total[3] === 'm' ? 60 : 1;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = socketErrors === null ? 0 : socketErrors.slice(1).reduce((a, b) => a + Number(b), 0);
  return { requestsPerSec: Number(total[1]) / (Number(total[2]) * unit), failures: non2xx + errors };
}
