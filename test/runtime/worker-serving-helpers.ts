// Helpers for the tests of worker threads that serve HTTP: requests on fresh connections
// (the kernel hands each new connection to one of the threads listening on the port), a
// connection kept to one thread, the test handler module and the configuration.
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodePorts } from './cluster-helpers.js';

export interface Answer {
  status: number;
  body: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: any;
  headers: http.IncomingHttpHeaders;
}

export function answerOf(status: number, body: string, headers: http.IncomingHttpHeaders = {}): Answer {
  let json: unknown;
  try { json = JSON.parse(body); } catch { json = undefined; }
  return { status, body, json, headers };
}

function request(port: number, path: string, agent: http.Agent | false, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(answerOf(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), res.headers)));
      res.on('error', reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer to ${path} in 15 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** One request on a connection of its own. */
export function fresh(port: number, path: string, method = 'GET', body?: string): Promise<Answer> {
  return request(port, path, false, method, body);
}

/** `count` requests on fresh connections, `concurrency` at a time; answers in the order of `paths`. */
export async function freshMany(port: number, paths: string[], concurrency: number): Promise<Answer[]> {
  const answers: Answer[] = new Array(paths.length);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < paths.length) {
      const i = next++;
      answers[i] = await fresh(port, paths[i]!);
    }
  }));
  return answers;
}

/**
 * The generation every serving thread has applied: each thread answers the API with its
 * own and applies a reload in its own time, so one answer may come from a thread that has
 * applied the last reload and the next from one that has not yet. The lowest of 16
 * answers on fresh connections (the kernel spreads them over the threads).
 */
export async function appliedGeneration(port: number): Promise<number> {
  const answers = await freshMany(port, Array.from({ length: 16 }, () => '/api/9/nginx'), 4);
  return Math.min(...answers.map((r) => r.json.generation as number));
}

/** One kept-alive connection: every request goes to the same worker thread. */
export class Pinned {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(private readonly port: number) {}

  get(path: string): Promise<Answer> {
    return request(this.port, path, this.agent);
  }

  /** The keys of keyval zone "one" that start with `prefix`, asked on this connection. */
  async keys(prefix: string): Promise<string[]> {
    return Object.keys((await this.get('/api/9/http/keyvals/one')).json as Record<string, string>).filter((k) => k.startsWith(prefix));
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Kept-alive connections to the worker threads, `perWorker` to each of `workers`, by worker
 * id: fresh connections are opened until every thread has its share.
 */
export async function pinnedToEachWorker(port: number, workers: number, perWorker = 1): Promise<Map<number, Pinned[]>> {
  const byWorker = new Map<number, Pinned[]>();
  const complete = (): boolean => byWorker.size === workers && [...byWorker.values()].every((c) => c.length === perWorker);
  for (let tries = 0; !complete(); tries++) {
    if (tries > 200) throw new Error(`the ${workers} worker threads did not take ${perWorker} connections each in 200 tries`);
    const conn = new Pinned(port);
    const worker = (await conn.get('/t/whoami')).json.worker as number;
    const conns = byWorker.get(worker) ?? [];
    if (conns.length === perWorker) conn.close();
    else byWorker.set(worker, [...conns, conn]);
  }
  return byWorker;
}

/**
 * The test handler, under /t/ (and /limited, /paced): whoami; slow (writes started-ID, waits
 * on a timer, writes done-ID); spin (never returns); die (takes every shard lock of zone
 * "one" and ends its thread); offload (ctx.run); deny (this client into the deny list);
 * limited and paced (record the call as call-ID).
 */
export function writeTestHandler(dir: string): string {
  writeFileSync(join(dir, 'square.mjs'), `import { threadId } from 'node:worker_threads';
export default function square(n) { return { square: n * n, threadId }; }
`);
  const path = join(dir, 'handler.mjs');
  writeFileSync(path, `import { setTimeout as sleep } from 'node:timers/promises';
const json = (status, body) => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
export default async function handle(req, ctx) {
  const [path, query = ''] = req.url.split('?');
  const q = new URLSearchParams(query);
  const one = ctx.keyval.get('one');
  const id = q.get('id') ?? '';
  switch (path) {
    case '/t/whoami':
      return json(200, { worker: ctx.workerId });
    case '/t/slow':
      one.set('started-' + id, String(ctx.workerId));
      await sleep(Number(q.get('ms') ?? '500'));
      one.set('done-' + id, String(ctx.workerId));
      return json(200, { worker: ctx.workerId, id });
    case '/t/spin':
      for (;;) {}
    case '/t/die': {
      for (let s = 0; s < one.shm.memory.shardCount; s++) one.shm.lock(s);
      process.exit(7);
    }
    case '/t/offload':
      return json(200, { worker: ctx.workerId, ...(await ctx.run(new URL('./square.mjs', import.meta.url), Number(q.get('n')))) });
    case '/t/deny':
      ctx.keyval.get('denylist').set(req.remoteAddress, 'by worker ' + ctx.workerId);
      return json(200, { worker: ctx.workerId });
    case '/limited':
    case '/paced':
      one.set('call-' + id, String(ctx.workerId));
      return json(200, { worker: ctx.workerId, id });
  }
  return json(404, { path });
}
`);
  return path;
}

/** A node for these tests: the test handler's locations, two limit_req locations, the API, the default handler at /. */
export function servingConfig(self: NodePorts, peers: NodePorts[], handler: string, shutdownTimeout = '10s'): string {
  return `worker_shutdown_timeout ${shutdownTimeout};
http {
    keyval_zone zone=one:1m timeout=1h sync;
    keyval_zone zone=denylist:1m type=ip timeout=1h sync;
    limit_req_zone $binary_remote_addr zone=rl:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=paced:1m rate=2r/s;
    server {
        listen 127.0.0.1:${self.http};
        location /api { api write=on; }
        location /limited { limit_req zone=rl burst=4 nodelay; zonesync_handler ${handler}; }
        location /paced { limit_req zone=paced burst=5; zonesync_handler ${handler}; }
        location /t/ { zonesync_handler ${handler}; }
        location / { }
    }
}
stream {
    server {
        listen 127.0.0.1:${self.sync};
        zone_sync;
        zone_sync_interval 50ms;
        zone_sync_connect_retry_interval 200ms;
${peers.map((p) => `        zone_sync_server 127.0.0.1:${p.sync};`).join('\n')}
    }
}
`;
}

/** The keys of keyval zone "one" on a node that start with `prefix`. */
export async function keysOf(port: number, prefix: string): Promise<string[]> {
  const all = (await fresh(port, '/api/9/http/keyvals/one')).json as Record<string, string>;
  return Object.keys(all).filter((k) => k.startsWith(prefix)).sort();
}

export function countBy<T>(items: T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}
