// Worker threads that serve HTTP themselves, as nginx's workers do: every thread listens on
// the same port (SO_REUSEPORT) and serves its requests start to end, reading the shared
// zones. These run on a Node that can share a listening socket between threads (22.12+ on
// Linux, found by shared-listen-node.ts; never skipped), with --front-end workers so that a
// node that could not serve this way fails to start instead of falling back.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { NodeProcess, freePorts, tempDir, waitFor, writeConfig, type NodePorts } from './cluster-helpers.js';
import { nodeHasReusePort } from '../../dist/runtime/shared-listen.js';
import { sharedListenFile, sharedListenNode } from './shared-listen-node.js';
import {
  Pinned, countBy, fresh, freshMany, keysOf, pinnedToEachWorker, servingConfig, writeTestHandler, type Answer,
} from './worker-serving-helpers.js';

const { running, cleanups } = sharedListenFile();

interface Started { node: NodeProcess; ports: NodePorts; handler: string; dir: string; conf: string }

async function startNode(options: { workers?: number; peers?: (self: NodePorts) => NodePorts[]; shutdownTimeout?: string; args?: string[] } = {}): Promise<Started> {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const [http, sync] = await freePorts(2);
  const ports = { http: http!, sync: sync! };
  const handler = writeTestHandler(dir);
  const conf = writeConfig(dir, 'node.conf', servingConfig(ports, options.peers?.(ports) ?? [ports], handler, options.shutdownTimeout));
  const node = new NodeProcess(conf, ['--workers', String(options.workers ?? 2), '--front-end', 'workers', ...(options.args ?? [])], sharedListenNode());
  running.push(node);
  await node.ready();
  return { node, ports, handler, dir, conf };
}

const workerOf = (a: Answer): number => a.json.worker as number;

describe('every worker thread serves', () => {
  it('answers carry the worker id, and each of three workers answers some of the requests', async () => {
    const { node, ports } = await startNode({ workers: 3 });
    expect(node.output).toMatch(/with 3 workers, each serving HTTP/);
    const answers = await freshMany(ports.http, Array.from({ length: 150 }, () => '/'), 16);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const perWorker = countBy(answers.map(workerOf));
    expect([...perWorker.keys()].length, JSON.stringify([...perWorker])).toBe(3);
    expect([...perWorker.values()].every((n) => n > 0)).toBe(true);
    // The node's own status, from whichever worker answers, says so; the traffic of all counts once.
    const status = await freshMany(ports.http, Array.from({ length: 9 }, () => '/api/9/zonesync'), 3);
    expect(status.every((a) => a.json.workers.threads === 3 && a.json.workers.http === 'workers' && a.json.sync.state === 'running')).toBe(true);
    // /workers lists each serving thread, as NGINX Plus lists each worker process: its own counts, the node's pid.
    const workers = (await fresh(ports.http, '/api/9/workers')).json as Array<Record<string, any>>;
    expect(workers.map((w) => [w.id, w.pid])).toEqual([[0, node.child.pid], [1, node.child.pid], [2, node.child.pid]]);
    for (const w of workers) {
      expect(Object.keys(w)).toEqual(['id', 'pid', 'connections', 'http']);
      expect(Object.keys(w.connections)).toEqual(['accepted', 'dropped', 'active', 'idle']);
      expect(w.connections.accepted).toBeGreaterThan(0);
      expect(w.http.requests.total).toBeGreaterThan(0);
    }
    const served = workers.reduce((n, w) => n + (w.http.requests.total as number), 0);
    expect(served).toBeGreaterThanOrEqual(150 + 9);
    expect((await fresh(ports.http, '/api/9/workers/2')).json).toMatchObject({ id: 2, pid: node.child.pid });
    expect((await fresh(ports.http, '/api/9/http/requests')).json.total).toBeGreaterThanOrEqual(150 + 9 + 1);
  });
});

describe('zones shared by the serving threads', () => {
  it('a rate limit holds across all workers, its 503s never run the handler; a deny entry written in one worker holds in all', async () => {
    const { node, ports } = await startNode({ workers: 3 });
    // 1r/m, burst=4 nodelay: 5 requests pass in the test's time, whichever thread takes them.
    const limited = await freshMany(ports.http, Array.from({ length: 45 }, (_, i) => `/limited?id=${i}`), 9);
    const statuses = countBy(limited.map((a) => a.status));
    expect(Object.fromEntries(statuses)).toEqual({ 200: 5, 503: 40 });
    // Each refusal is logged by the thread that refused it, as nginx logs it, a JSON line the node's pino would write.
    const refusalLines = (): Array<Record<string, unknown>> => node.output.split('\n').filter((l) => l.includes('"limiting requests"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor(() => refusalLines().length === 40, 5000, () => node.output);
    for (const line of refusalLines()) {
      expect(Object.keys(line)).toEqual(['level', 'time', 'pid', 'threadId', 'zone', 'excess', 'client', 'request', 'msg']);
      expect(line).toMatchObject({ level: 50, pid: node.child.pid, zone: 'rl', client: '127.0.0.1' });
      // What the request would have made the excess (nginx's "excess: 5.000" past burst=4), less what 1r/m drained meanwhile.
      expect(line.excess).toBeGreaterThan(4);
      expect(line.excess).toBeLessThanOrEqual(5);
      expect(line.request).toMatch(/^GET \/limited\?id=\d+$/);
    }
    expect(new Set(refusalLines().map((l) => l.threadId)).size).toBeGreaterThan(1);
    expect(limited.filter((a) => a.status === 503).every((a) => a.body.includes('<center><h1>503 Service Temporarily Unavailable</h1></center>'))).toBe(true);
    expect(await keysOf(ports.http, 'call-')).toHaveLength(5);
    expect((await fresh(ports.http, '/api/9/http/limit_reqs/rl')).json).toMatchObject({ passed: 5, delayed: 0, rejected: 40 });
    // One worker writes the deny entry; then every worker refuses this client.
    const writer = workerOf(await fresh(ports.http, '/t/deny'));
    const refused = await freshMany(ports.http, Array.from({ length: 60 }, () => '/'), 8);
    expect(refused.every((a) => a.status === 403 && a.json.reason === `by worker ${writer}`)).toBe(true);
    expect(new Set(refused.map(workerOf)).size).toBe(3);
  });

  it('a request limit_req delays waits on a timer: the one worker serves another request meanwhile', async () => {
    const { ports } = await startNode({ workers: 1 });
    const done: string[] = [];
    // 2r/s, burst=5, no nodelay: the first passes at once, the next four wait 0.5 s to 2 s.
    const paced = Array.from({ length: 5 }, (_, i) => fresh(ports.http, `/paced?id=${i}`).then((a) => {
      done.push(`paced ${a.status}`);
    }));
    const other = fresh(ports.http, '/t/whoami').then((a) => {
      done.push(`other ${a.status}`);
    });
    await Promise.all([...paced, other]);
    expect(done.filter((d) => d.startsWith('paced'))).toEqual(Array(5).fill('paced 200'));
    expect(done.indexOf('other 200'), done.join(', ')).toBeLessThanOrEqual(1);
  });

  it('a handler runs CPU-heavy work on the ctx.run pool, off the serving thread', async () => {
    const { ports } = await startNode({ workers: 2 });
    const answers = await freshMany(ports.http, [3, 7, 12, 40].map((n) => `/t/offload?n=${n}`), 2);
    expect(answers.map((a) => a.json.square), JSON.stringify(answers)).toEqual([9, 49, 144, 1600]);
    expect(answers.every((a) => a.json.threadId !== a.json.worker)).toBe(true);
  });
});

describe('the primary supervises', () => {
  it('a worker that dies holding zone locks mid-request is replaced, its locks forced open, the zones keep their records', async () => {
    const { node, ports } = await startNode({ workers: 2 });
    const keys = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, `v${i}`]));
    expect((await fresh(ports.http, '/api/9/http/keyvals/one', 'POST', JSON.stringify(keys))).status).toBe(201);
    const before = new Set((await freshMany(ports.http, Array.from({ length: 30 }, () => '/t/whoami'), 4)).map(workerOf));
    expect(before.size).toBe(2);
    const died = await fresh(ports.http, '/t/die').then(() => 'answered', (e: Error) => e.message);
    expect(died).not.toBe('answered');
    // keyval zone "one" (1 MiB) has 16 shards: all of them were held.
    await waitFor(() => /"shards":16,"msg":"worker thread died holding zone locks: forced them open"/.test(node.output), 15_000, () => node.output);
    await waitFor(() => /worker thread replaced/.test(node.output), 15_000, () => node.output);
    // Every shard is free again: writes of keys in every shard, each by whichever worker takes it, are answered; nothing was lost.
    const more = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`after${i}`, 'x']));
    for (const [k, v] of Object.entries(more)) {
      const wrote = await fresh(ports.http, '/api/9/http/keyvals/one', 'POST', JSON.stringify({ [k]: v }));
      expect(wrote.status, wrote.body).toBe(201);
    }
    const stored = (await fresh(ports.http, '/api/9/http/keyvals/one')).json as Record<string, string>;
    expect(stored).toEqual({ ...keys, ...more });
    const after = new Set((await freshMany(ports.http, Array.from({ length: 30 }, () => '/t/whoami'), 4)).map(workerOf));
    expect(after.size).toBe(2);
    expect([...after].filter((w) => before.has(w))).toHaveLength(1);
    expect((await fresh(ports.http, '/api/9/processes')).json).toEqual({ respawned: 1 });
  });

  it('QUIT under load: every request in flight is answered, the last sync round carries what they wrote, the node exits 0', async () => {
    const [h, s] = await freePorts(2);
    const b: NodePorts = { http: h!, sync: s! };
    const a = await startNode({ workers: 2, peers: (self) => [self, b] });
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const nodeB = new NodeProcess(writeConfig(dir, 'b.conf', servingConfig(b, [a.ports, b], writeTestHandler(dir))), ['--front-end', 'workers'], sharedListenNode());
    running.push(nodeB);
    await nodeB.ready();
    const ids = Array.from({ length: 16 }, (_, i) => `q${i}`);
    const slow = ids.map((id) => fresh(a.ports.http, `/t/slow?id=${id}&ms=1500`));
    // Load beside them until the node is gone: each of these is answered whole, or refused at connect.
    let loading = true;
    const background: Array<{ status: number } | { error: string }> = [];
    const load = Promise.all(Array.from({ length: 4 }, async () => {
      while (loading) {
        background.push(await fresh(a.ports.http, '/t/whoami').then((r) => ({ status: r.status }), (e: Error) => ({ error: e.message })));
      }
    }));
    await waitFor(async () => (await keysOf(a.ports.http, 'started-')).length === ids.length, 15_000, () => 'the slow requests never all started');
    const workersInFlight = new Set(Object.values((await fresh(a.ports.http, '/api/9/http/keyvals/one')).json as Record<string, string>));
    a.node.signal('SIGQUIT');
    const answers = await Promise.all(slow);
    expect(answers.map((r) => r.status)).toEqual(ids.map(() => 200));
    expect(answers.map((r) => r.json.id)).toEqual(ids);
    expect(await a.node.exited).toBe(0);
    loading = false;
    await load;
    expect(workersInFlight.size, 'the requests in flight were all on one worker').toBe(2);
    expect(background.filter((r) => 'status' in r && r.status !== 200)).toEqual([]);
    expect(background.filter((r) => 'status' in r).length).toBeGreaterThan(0);
    await waitFor(async () => (await keysOf(b.http, 'done-')).length === ids.length, 15_000, () => 'the last writes never reached the peer');
    expect(await keysOf(b.http, 'done-')).toEqual(ids.map((id) => `done-${id}`).sort());
  });

  it.each(['workers', 'primary'])('QUIT (--front-end %s): an answer in flight on a kept-alive connection says Connection: close, as one at its start said keep-alive', async (frontEnd) => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const [h, s] = await freePorts(2);
    const ports = { http: h!, sync: s! };
    const node = new NodeProcess(writeConfig(dir, 'node.conf', servingConfig(ports, [ports], writeTestHandler(dir))), ['--workers', '2', '--front-end', frontEnd], sharedListenNode());
    running.push(node);
    await node.ready();
    const conn = new Pinned(ports.http);
    const before = await conn.get('/t/whoami');
    expect(before.headers.connection).toBe('keep-alive');
    const slow = conn.get('/t/slow?id=c&ms=1500');
    await waitFor(async () => (await keysOf(ports.http, 'started-c')).length === 1, 15_000, () => 'the slow request never started');
    node.signal('SIGQUIT');
    const answer = await slow;
    conn.close();
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBe('close');
    expect(await node.exited).toBe(0);
  });

  it('QUIT with a worker stuck in a loop: the other finishes its request, the stuck one is ended at worker_shutdown_timeout', async () => {
    const { node, ports } = await startNode({ workers: 2, shutdownTimeout: '2s' });
    const conns = await pinnedToEachWorker(ports.http, 2, 2);
    const [[stuck], [healthy, watcher]] = [...conns.values()] as [Pinned[], [Pinned, Pinned]];
    const spin = stuck!.get('/t/spin').then(() => 'answered', () => 'cut');
    const slow = healthy.get('/t/slow?id=h&ms=1000');
    // The healthy worker's request is in flight (its started key is written), the other thread spins.
    await waitFor(async () => (await watcher.keys('started-h')).length === 1, 10_000, () => 'the slow request never started');
    node.signal('SIGQUIT');
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(answer.json.id).toBe('h');
    expect(await node.exited).toBe(0);
    expect(await spin).toBe('cut');
    expect(node.output).toMatch(/worker thread still busy at worker_shutdown_timeout: ending it/);
    for (const c of [...conns.values()].flat()) c.close();
  });

  it('HUP: the peer list changes live, and the API of every worker reports the sync thread\'s peers', async () => {
    const [h, s] = await freePorts(2);
    const b: NodePorts = { http: h!, sync: s! };
    const a = await startNode({ workers: 2 });
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const nodeB = new NodeProcess(writeConfig(dir, 'b.conf', servingConfig(b, [a.ports, b], writeTestHandler(dir))), ['--front-end', 'workers'], sharedListenNode());
    running.push(nodeB);
    await nodeB.ready();
    writeFileSync(a.conf, servingConfig(a.ports, [a.ports, b], a.handler));
    a.node.signal('SIGHUP');
    const dialsB = (body: any) => (body.peers as Array<{ direction: string; address: string; state: string }>)
      .some((p) => p.direction === 'outbound' && p.address.endsWith(`:${b.sync}`) && p.state === 'open');
    await waitFor(async () => dialsB((await fresh(a.ports.http, '/api/9/stream/zone_sync')).json), 15_000, () => `a never dialled b:\n${a.node.output}`);
    const answers = await freshMany(a.ports.http, Array.from({ length: 16 }, () => '/api/9/stream/zone_sync'), 4);
    expect(answers.every((r) => r.status === 200 && dialsB(r.json))).toBe(true);
    // Every worker knows the reload: the configuration in force is the second generation.
    const nginx = await freshMany(a.ports.http, Array.from({ length: 16 }, () => '/api/9/nginx'), 4);
    expect(nginx.map((r) => r.json.generation)).toEqual(Array(16).fill(1));
  });

  it('a second node on the same HTTP port fails to start, as a plain bind would, instead of sharing the port', async () => {
    const a = await startNode({ workers: 2 });
    const [sync] = await freePorts(1);
    const other = { http: a.ports.http, sync: sync! };
    const conf = writeConfig(a.dir, 'second.conf', servingConfig(other, [other], a.handler));
    const second = new NodeProcess(conf, ['--front-end', 'workers'], sharedListenNode());
    running.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output).toMatch(/EADDRINUSE/);
    expect((await fresh(a.ports.http, '/t/whoami')).status).toBe(200);
  });
});

describe('where HTTP is served, said at start', () => {
  it(`auto on this process's Node (${process.versions.node}): the path it can take, and why when it is the primary`, async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const [http, sync] = await freePorts(2);
    const self = { http: http!, sync: sync! };
    const node = new NodeProcess(writeConfig(dir, 'node.conf', servingConfig(self, [self], writeTestHandler(dir))));
    running.push(node);
    await node.ready();
    const version = process.versions.node;
    const startLine = /serving http:\/\/\S+ with (.*); zone_sync/.exec(node.output)![1];
    if (!nodeHasReusePort(version)) {
      expect(startLine).toBe(`2 workers behind the primary thread's HTTP front end (Node ${version} cannot share a listening socket between threads; reusePort needs Node 22.12+ or 23.1+)`);
    } else if (process.platform === 'linux') {
      expect(startLine).toBe('2 workers, each serving HTTP');
    } else {
      expect(startLine).toMatch(new RegExp(`^2 workers (each serving HTTP|behind the primary thread's HTTP front end \\(${process.platform} does not share)`));
    }
    const answers = await freshMany(self.http, Array.from({ length: 10 }, () => '/t/whoami'), 2);
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });

  it('one worker is "1 worker" at start', async () => {
    const { node } = await startNode({ workers: 1 });
    expect(node.output).toMatch(/with 1 worker, serving HTTP itself;/);
  });

  it('--front-end primary on a Node that could share: the primary serves, the handlers run on the pool', async () => {
    const { node, ports } = await startNode({ workers: 2, args: ['--front-end', 'primary'] });
    expect(node.output).toMatch(/with 2 workers behind the primary thread's HTTP front end \(chosen with --front-end primary\)/);
    const answers = await freshMany(ports.http, Array.from({ length: 20 }, () => '/t/whoami'), 4);
    expect(answers.every((a) => a.status === 200 && typeof a.json.worker === 'number')).toBe(true);
  });
});
