// Real node processes on loopback for the end-to-end tests: config files, free ports, and
// polling until a condition holds (never a fixed sleep asserted as a duration).
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaultProxy } from '../util/fault-proxy.js';

export const PRIMARY = fileURLToPath(new URL('../../dist/primary.js', import.meta.url));
export const SHIPPED_CONFIG = fileURLToPath(new URL('../../examples/zonesync.conf', import.meta.url));

/** The shipped configuration with its HTTP and sync listeners moved to the given ports. */
export function shippedConfigOn(httpPort: number, syncPort: number): string {
  const text = readFileSync(SHIPPED_CONFIG, 'utf8');
  for (const listen of ['listen 127.0.0.1:8080;', 'listen 127.0.0.1:12345;']) {
    if (!text.includes(listen)) throw new Error(`examples/zonesync.conf no longer has "${listen}"`);
  }
  return text.replace('listen 127.0.0.1:8080;', `listen 127.0.0.1:${httpPort};`).replace('listen 127.0.0.1:12345;', `listen 127.0.0.1:${syncPort};`);
}

export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<import('node:net').Server>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** `n` consecutive free loopback ports. */
export async function consecutivePorts(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const servers: import('node:net').Server[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const server = createServer();
        await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(base + i, '127.0.0.1', resolve); });
        servers.push(server);
      }
      return base;
    } catch {
      // taken: another base
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error(`no ${n} consecutive free ports found`);
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'zonesync-e2e-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface NodePorts { http: number; sync: number }

export function clusterConfig(self: NodePorts, all: NodePorts[], extraHttp = '', extraStream = ''): string {
  return clusterConfigDialling(self, all.map((p) => `127.0.0.1:${p.sync}`), extraHttp, extraStream);
}

/** clusterConfig with the addresses the node dials given as they are (fault proxies, say). */
export function clusterConfigDialling(self: NodePorts, servers: string[], extraHttp = '', extraStream = ''): string {
  return `worker_processes 2;
http {
    keyval_zone zone=one:1m timeout=1h sync;
    keyval_zone zone=denylist:1m type=ip timeout=1h sync;
    ${extraHttp}
    server {
        listen 127.0.0.1:${self.http};
        location /api { api write=on; }
        location = /metrics { zonesync_metrics; }
        location / { }
    }
}
${syncBlock(self.sync, servers, extraStream)}`;
}

/**
 * The stream block of a test node: its sync listener on `port`, fast rounds and redials, a
 * zone_sync_server line per address in `servers` (itself included, as one file for every
 * node would list it), `extra` directives in its server block (sync settings) and
 * `streamExtra` in the stream block (stream zones).
 */
export function syncBlock(port: number, servers: string[], extra = '', streamExtra = ''): string {
  return `stream {
    ${streamExtra}
    server {
        listen 127.0.0.1:${port};
        zone_sync;
        zone_sync_interval 50ms;
        zone_sync_connect_retry_interval 200ms;
${servers.map((a) => `        zone_sync_server ${a};`).join('\n')}
        ${extra}
    }
}
`;
}

/**
 * Cleanups a test registers as it starts things (nodes, proxies, temp dirs), run in reverse
 * after each test of the calling describe block, and a temp dir registered with them.
 */
export function cleanupsAfterEach(): { push: (...fns: Array<() => Promise<void> | void>) => void; tempDir: () => string } {
  const fns: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of fns.splice(0).reverse()) await fn();
  });
  return {
    push: (...more) => { fns.push(...more); },
    tempDir: () => {
      const t = tempDir();
      fns.push(t.cleanup);
      return t.dir;
    },
  };
}

/** Ports of nodes whose every sync link goes through a fault proxy. */
export interface ProxiedMesh {
  ports: NodePorts[];
  /** proxies[i][j]: node i dials node j through it (the link that carries node i's records to node j). */
  proxies: FaultProxy[][];
  /** The addresses node i dials: its proxies to every other node. */
  serversOf: (i: number) => string[];
}

/** Free ports for `n` nodes and a fault proxy on every dialling direction, closed after the test. */
export async function proxiedMesh(n: number, cleanups: ReturnType<typeof cleanupsAfterEach>): Promise<ProxiedMesh> {
  const free = await freePorts(2 * n);
  const ports: NodePorts[] = Array.from({ length: n }, (_, i) => ({ http: free[2 * i]!, sync: free[2 * i + 1]! }));
  const proxies: FaultProxy[][] = [];
  cleanups.push(async () => {
    for (const row of proxies) for (const p of row) await p?.close();
  });
  for (let i = 0; i < n; i++) {
    proxies.push([]);
    for (let j = 0; j < n; j++) if (i !== j) proxies[i]![j] = await FaultProxy.start(`127.0.0.1:${ports[j]!.sync}`);
  }
  return { ports, proxies, serversOf: (i) => proxies[i]!.filter(Boolean).map((x) => x.address) };
}

export class NodeProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  /** `node`: the Node binary to run it with (default: this process's). */
  constructor(configPath: string, args: string[] = [], node: string = process.execPath) {
    this.child = spawn(node, [PRIMARY, '-c', configPath, '--workers', '2', '--log-level', 'info', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => { this.output += d; });
    this.child.stderr!.on('data', (d) => { this.output += d; });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async ready(): Promise<void> {
    await waitFor(() => /serving http:\/\//.test(this.output), 20_000, () => `node did not start:\n${this.output}`);
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * What a client gets when its request ends the worker thread that handles it: on the
 * workers path (the node's start line says each worker serves HTTP) the thread had the
 * connection, which is cut; on the fallback path the primary has it and answers 500.
 */
export async function requestThatKillsItsWorker(node: NodeProcess, port: number, path: string): Promise<{ expected: number | 'cut'; got: number | 'cut' }> {
  const expected = /(each serving HTTP|serving HTTP itself);/.test(node.output) ? 'cut' : 500;
  const got = await fetch(`http://127.0.0.1:${port}${path}`).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  }, () => 'cut' as const);
  return { expected, got };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function api(port: number, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, init);
  const text = await r.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, body };
}

export function writeConfig(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
