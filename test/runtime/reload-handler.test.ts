import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeProcess, api, clusterConfig, requestThatKillsItsWorker, freePorts, tempDir, waitFor, writeConfig, type NodePorts } from './cluster-helpers.js';

const running: NodeProcess[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  cleanups.splice(0).forEach((c) => c());
});

const online = async (p: NodePorts) => (await api(p.http, '/api/9/stream/zone_sync')).body.status.nodes_online as number;

describe('HUP', () => {
  it('adds and removes a peer without a restart, and refuses a change that needs one', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const ports = await freePorts(4);
    const a: NodePorts = { http: ports[0]!, sync: ports[1]! };
    const b: NodePorts = { http: ports[2]!, sync: ports[3]! };
    const aConf = writeConfig(dir, 'a.conf', clusterConfig(a, [a]));
    const bConf = writeConfig(dir, 'b.conf', clusterConfig(b, [a, b]));
    const na = new NodeProcess(aConf);
    const nb = new NodeProcess(bConf);
    running.push(na, nb);
    await Promise.all([na.ready(), nb.ready()]);
    // b dials a, a does not know b: a's pushes cannot reach b yet.
    await api(a.http, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify({ before: 'reload' }) });
    writeFileSync(aConf, clusterConfig(a, [a, b]));
    na.signal('SIGHUP');
    await waitFor(async () => (await api(b.http, '/api/9/http/keyvals/one')).body.before === 'reload', 15_000, () => `a never pushed to b after HUP:\n${na.output}`);
    await waitFor(async () => (await online(a)) === 1, 15_000, () => 'a never counted b online');
    // Remove b again.
    writeFileSync(aConf, clusterConfig(a, [a]));
    na.signal('SIGHUP');
    await waitFor(async () => {
      const peers = (await api(a.http, '/api/9/stream/zone_sync')).body.peers as Array<{ direction: string; address: string }>;
      return !peers.some((p) => p.direction === 'outbound' && p.address.endsWith(`:${b.sync}`));
    }, 15_000, () => 'a kept dialling b');
    // Timings apply live.
    writeFileSync(aConf, clusterConfig(a, [a]).replace('zone_sync_interval 50ms;', 'zone_sync_interval 70ms;'));
    na.signal('SIGHUP');
    await waitFor(() => /"intervalMs":70,.*zone_sync timings changed/.test(na.output), 10_000, () => `timings not applied:\n${na.output}`);
    // TLS or access changes need a restart: refused and said so.
    writeFileSync(aConf, clusterConfig(a, [a]).replace('zone_sync_interval 50ms;', 'zone_sync_interval 50ms; deny 10.0.0.0/8;'));
    na.signal('SIGHUP');
    await waitFor(() => /allow\/deny, resolver or buffer settings changed/.test(na.output), 10_000, () => `no refusal for an access change:\n${na.output}`);
    // A zone size change cannot apply live: refused, logged, old configuration kept.
    writeFileSync(aConf, clusterConfig(a, [a]).replace('zone=one:1m', 'zone=one:2m'));
    na.signal('SIGHUP');
    await waitFor(() => /reload refused/.test(na.output), 10_000, () => `no refusal logged:\n${na.output}`);
    expect((await api(a.http, '/api/9/http/keyvals/one')).status).toBe(200);
  });
});

describe('a handler module', () => {
  it('runs on the worker threads with the zones, by zonesync_handler or --handler', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const handler = join(dir, 'handler.mjs');
    writeFileSync(handler, `export default function handle(req, ctx) {
  const kv = ctx.keyval.get('one');
  const n = Number(kv.get('hits') ?? '0') + 1;
  kv.set('hits', String(n));
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n, worker: ctx.workerId, url: req.url, body: req.body }) };
}\n`);
    const [http, sync] = await freePorts(2);
    const self = { http: http!, sync: sync! };
    const conf = writeConfig(dir, 'h.conf', clusterConfig(self, [self]).replace('location / { }', `location / { zonesync_handler ${handler}; }`));
    const node = new NodeProcess(conf);
    running.push(node);
    await node.ready();
    const results = [];
    for (let i = 0; i < 6; i++) results.push((await api(self.http, `/x?i=${i}`, { method: 'POST', body: 'payload' })).body);
    expect(results.map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(results[0].url).toBe('/x?i=0');
    expect(results[0].body).toBe('payload');
    expect((await api(self.http, '/api/9/http/keyvals/one?key=hits')).body).toEqual({ hits: '6' });
  });

  it('a handler that throws answers 500 and the node goes on serving', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const handler = join(dir, 'bad.mjs');
    writeFileSync(handler, `export default function handle(req) { if (req.url === '/boom') throw new Error('boom'); return { body: 'fine' }; }\n`);
    const [http, sync] = await freePorts(2);
    const self = { http: http!, sync: sync! };
    const conf = writeConfig(dir, 'h.conf', clusterConfig(self, [self]));
    const node = new NodeProcess(conf, ['--handler', handler]);
    running.push(node);
    await node.ready();
    expect((await api(self.http, '/boom')).status).toBe(500);
    const ok = await api(self.http, '/fine');
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('fine');
  });

  it('a worker that dies holding a zone lock is replaced and its lock forced open', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const handler = join(dir, 'dies.mjs');
    writeFileSync(handler, `export default function handle(req, ctx) {
  const kv = ctx.keyval.get('one');
  if (req.url === '/die') {
    for (let s = 0; s < kv.shm.shardCount; s++) kv.shm.lock(s); // every shard: whatever the next key, it would block
    process.exit(3); // ends this worker thread only
  }
  kv.set('alive', req.url);
  return { body: kv.get('alive') };
}\n`);
    const [http, sync] = await freePorts(2);
    const self = { http: http!, sync: sync! };
    const conf = writeConfig(dir, 'h.conf', clusterConfig(self, [self]).replace('worker_processes 2;', 'worker_processes 1;'));
    const node = new NodeProcess(conf, ['--handler', handler, '--workers', '1']);
    running.push(node);
    await node.ready();
    const died = await requestThatKillsItsWorker(node, self.http, '/die');
    expect(died.got).toBe(died.expected);
    await waitFor(() => /forced them open/.test(node.output), 10_000, () => `no forced unlock logged:\n${node.output}`);
    // On the workers path the one worker had the listening socket too: its replacement listens again.
    await waitFor(() => /worker thread replaced/.test(node.output) || !/(each serving HTTP|serving HTTP itself);/.test(node.output), 10_000, () => `no replacement:\n${node.output}`);
    const after = await api(self.http, '/after');
    expect(after.status).toBe(200);
    expect(after.body).toBe('/after');
  });
});
