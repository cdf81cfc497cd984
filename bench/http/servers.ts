// The servers of the HTTP suite, each a process of its own on 127.0.0.1: zonesync with its
// default handler, a plain Node HTTP server, nginx with limit_req; the ones that run on Node
// under a launcher (valgrind) when given one.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PRIMARY = fileURLToPath(new URL('../../dist/primary.js', import.meta.url));
const SHIPPED_CONFIG = fileURLToPath(new URL('../../examples/zonesync.conf', import.meta.url));
const PLAIN_SERVER = fileURLToPath(new URL('./plain-server.js', import.meta.url));

export interface RunningServer {
  readonly pid: number;
  readonly port: number;
  /** What the server said when it started (zonesync: where it serves HTTP). */
  readonly banner: string;
  /** Sends `signal` (SIGTERM unless given), waits for the exit, removes the server's files. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A command line that runs Node in its turn, its arguments after it (valgrind's, to count
 * instructions): the servers that run on Node run under it when given.
 */
export type NodeLauncher = readonly string[];

/** The command and arguments that run `process.execPath` with `args`, under `launcher` if given. */
function nodeCommand(launcher: NodeLauncher | undefined, args: string[]): [string, string[]] {
  const [command, ...rest] = [...(launcher ?? []), process.execPath, ...args];
  return [command!, rest];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'zonesync-bench-http-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Spawns a server and waits until its output matches `ready` (null: until it answers HTTP on `port`). */
async function startProcess(command: string, args: string[], ready: RegExp | null, port: number, cleanup: () => void): Promise<RunningServer> {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onData = (d: Buffer): void => {
    output += d.toString();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (ready !== null && ready.test(output)) resolve();
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before it was ready:\n${output}`)));
    if (ready === null) void answers(port).then(resolve, reject);
  });
  // From here its output is drained, not kept: a server that logs every refused request
  // would otherwise grow this process's memory and CPU through the whole run.
  const banner = ready === null ? '' : output.split('\n').find((l) => ready.test(l)) ?? '';
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.removeAllListeners('data');
    stream.resume();
  }
  return {
    pid: child.pid!,
    port,
    banner,
    stop: async (signal = 'SIGTERM') => {
      child.kill(signal);
      await exited;
      cleanup();
    },
  };
}

export interface ZonesyncRow {
  workers: number;
  /** Replace the per-client limit_req's (a high rate and a burst above the connections' count: nothing refused, even when many requests arrive in one millisecond; a low rate: a flood of 503s). */
  rate: string;
  burst: number;
  args?: string[];
  /** The source of a handler module to run instead of the default handler. */
  handler?: string;
  /** An http access_log (nginx's combined format) in the server's temporary directory. */
  accessLog?: boolean;
  launcher?: NodeLauncher;
}

/** zonesync with the shipped configuration (deny list, limit_req, sticky) and its default handler, or `handler`. */
export async function startZonesync(row: ZonesyncRow): Promise<RunningServer> {
  const { workers, rate, burst } = row;
  const port = await freePort();
  const syncPort = await freePort();
  const { dir, cleanup } = tempDir();
  const shipped = readFileSync(SHIPPED_CONFIG, 'utf8');
  for (const part of ['\nhttp {\n', 'listen 127.0.0.1:8080;', 'listen 127.0.0.1:12345;', 'rate=10r/s', 'burst=20 nodelay']) {
    if (!shipped.includes(part)) throw new Error(`examples/zonesync.conf no longer has "${part}"`);
  }
  const text = shipped
    .replace(/^http \{$/m, row.accessLog === true ? `http {\n    access_log ${join(dir, 'access.log')};` : 'http {')
    .replace('listen 127.0.0.1:8080;', `listen 127.0.0.1:${port};`)
    .replace('listen 127.0.0.1:12345;', `listen 127.0.0.1:${syncPort};`)
    .replace('rate=10r/s', `rate=${rate}`)
    .replace('burst=20 nodelay', `burst=${burst} nodelay`);
  const conf = join(dir, 'zonesync.conf');
  writeFileSync(conf, text);
  const args = [...(row.args ?? [])];
  if (row.handler !== undefined) {
    const handler = join(dir, 'handler.mjs');
    writeFileSync(handler, row.handler);
    args.push('--handler', handler);
  }
  return startProcess(...nodeCommand(row.launcher, [PRIMARY, '-c', conf, '--workers', String(workers), ...args]), /serving http:\/\/.*/, port, cleanup);
}

export async function startPlainNode(body: string, launcher?: NodeLauncher): Promise<RunningServer> {
  const port = await freePort();
  return startProcess(...nodeCommand(launcher, [PLAIN_SERVER, String(port), body]), /listening/, port, () => {});
}

/** nginx's binary, or null with the reason it cannot be used. */
export function findNginx(): { path: string } | { reason: string } {
  for (const path of ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    try {
      execFileSync(path, ['-v'], { stdio: 'ignore' });
      return { path };
    } catch {
      // not here
    }
  }
  return { reason: 'nginx is not installed (apt-get install -y nginx)' };
}

/** nginx, `workers` worker processes, limit_req per client address at a rate and burst that refuse nothing, the same body. */
export async function startNginx(path: string, workers: number, body: string): Promise<RunningServer> {
  const port = await freePort();
  const { dir, cleanup } = tempDir();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `daemon off;
master_process on;
worker_processes ${workers};
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} error;
events { worker_connections 1024; }
http {
    access_log off;
    limit_req_zone $binary_remote_addr zone=perclient:1m rate=100000000r/s;
    server {
        listen 127.0.0.1:${port};
        location / {
            limit_req zone=perclient burst=100000 nodelay;
            default_type application/json;
            return 200 '${body.replace(/'/g, "\\'").replace(/\n$/, '')}\\n';
        }
    }
}
`);
  // nginx says nothing when it is ready.
  const server = await startProcess(path, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], null, port, cleanup);
  return { ...server, banner: `nginx, ${workers} workers` };
}

/** Resolves once `port` answers an HTTP request (10 s at most). */
async function answers(port: number): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
      return;
    } catch (e) {
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
