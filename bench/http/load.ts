// The load generator: wrk where installed (C, one thread: it shares the machine's cores with
// the server measured), else autocannon through npx. Keep-alive connections, GET /.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** How the clients behave. */
export interface LoadOptions {
  /**
   * Return the session cookies the server sets, as browsers do (wrk only): the first
   * SESSIONS distinct `session` cookies answered are kept, and every later request carries
   * one of them in turn. Without it every request comes without a cookie.
   */
  returnCookies?: boolean;
}

/** Sessions the cookie-returning clients keep: one per connection. */
export const SESSIONS = 64;

export async function generateLoad(tool: LoadTool, url: string, connections: number, seconds: number, options: LoadOptions = {}): Promise<LoadResult> {
  if (options.returnCookies && tool !== 'wrk') throw new Error('returning cookies needs wrk');
  return tool === 'wrk' ? wrk(url, connections, seconds, options) : autocannon(url, connections, seconds);
}

/** wrk's Lua: keeps the first SESSIONS session cookies set, then sends them in turn. */
const COOKIE_SCRIPT = `
local cookies = {}
local next = 0
response = function(status, headers, body)
  local set = headers["set-cookie"] or headers["Set-Cookie"]
  if set ~= nil and #cookies < ${SESSIONS} then
    cookies[#cookies + 1] = string.match(set, "^[^;]*")
  end
end
request = function()
  if #cookies == 0 then return wrk.format("GET", "/") end
  next = next % #cookies + 1
  return wrk.format("GET", "/", { ["Cookie"] = cookies[next] })
end
`;
let cookieScript: string | null = null;

async function wrk(url: string, connections: number, seconds: number, options: LoadOptions): Promise<LoadResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`];
  if (options.returnCookies) {
    if (cookieScript === null) {
      cookieScript = join(mkdtempSync(join(tmpdir(), 'zonesync-bench-wrk-')), 'cookies.lua');
      writeFileSync(cookieScript, COOKIE_SCRIPT);
    }
    args.push('-s', cookieScript);
  }
  const { stdout } = await run('wrk', [...args, url], { maxBuffer: 1 << 20 });
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
