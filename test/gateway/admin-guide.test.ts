// The NGINX Plus admin guide's http examples of runtime state sharing, run on real zonesync
// nodes behind real upstream servers, with only addresses and paths changed: sticky learn
// (on two nodes that share the sessions), request limits and the key-value store with the API.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeProcess, api, cleanupsAfterEach, freePorts, syncBlock, waitFor, writeConfig } from '../runtime/cluster-helpers.js';
import { TestUpstream, get, sessionCookie } from './test-upstream.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

/** A fixture's text with each `from` (which must be there) replaced. */
function adapted(name: string, replacements: ReadonlyArray<readonly [string, string]>): string {
  let text = readFileSync(join(FIXTURES, name), 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`${name} no longer has "${from}"`);
    text = text.replace(from, to);
  }
  return text;
}

const cleanups = cleanupsAfterEach();

async function startNode(dir: string, name: string, text: string): Promise<NodeProcess> {
  const node = new NodeProcess(writeConfig(dir, name, text));
  cleanups.push(() => node.stop());
  await node.ready();
  return node;
}

async function upstreams(n: number): Promise<TestUpstream[]> {
  const started = await Promise.all(Array.from({ length: n }, (_, i) => TestUpstream.start(`backend${i + 1}`)));
  cleanups.push(...started.map((u) => () => u.close()));
  return started;
}

/**
 * The sticky learn example on a node listening on `http`, syncing on `sync` with the others
 * of `syncPorts`; with `apiPort`, a server of its own for the API, from which the test reads
 * the zone (the example's server is left as it is).
 */
function stickyConfig(backends: TestUpstream[], http: number, sync: number, syncPorts: number[], apiPort?: number): string {
  const api = apiPort === undefined ? '' : `\n    server {\n        listen 127.0.0.1:${apiPort};\n        location /api { api; }\n    }\n}`;
  const text = adapted('admin-guide-sticky.conf', [
    ['server backends.example.com resolve;', backends.map((b) => `server ${b.address};`).join('\n        ')],
    ['listen 80;', `listen 127.0.0.1:${http};`],
  ]);
  return (api === '' ? text : text.replace(/}\s*$/, api)) + syncBlock(sync, syncPorts.map((p) => `127.0.0.1:${p}`));
}

/** The records of the sticky zone "sessions" a node holds, from its API. */
async function sessionsOn(apiPort: number): Promise<number> {
  const status = await api(apiPort, '/api/9/stream/zone_sync');
  return status.body.zones?.sessions?.records_total ?? 0;
}

describe('sticky learn (admin guide)', () => {
  it('a session the backend creates sends that client to the same backend; clients without one are balanced', async () => {
    const backends = await upstreams(3);
    const [http, sync] = await freePorts(2);
    await startNode(cleanups.tempDir(), 'sticky.conf', stickyConfig(backends, http!, sync!, [sync!]));

    const first = await get(http!, '/cart');
    expect(first.status).toBe(200);
    const cookie = sessionCookie(first.headers);
    const owner = first.json.server as string;
    expect(cookie.startsWith(`session=${owner}-`)).toBe(true);
    for (let i = 0; i < 12; i++) {
      const again = await get(http!, `/cart/${i}`, { headers: { cookie: `theme=dark; ${cookie}` } });
      expect(again.json.server).toBe(owner);
      expect(again.headers.getSetCookie()).toEqual([]);
    }
    const strangers = new Set<string>();
    for (let i = 0; i < 6; i++) strangers.add((await get(http!, '/')).json.server);
    expect(strangers.size).toBe(3);
  });

  it('a session learned through node A goes to the same backend through node B', async () => {
    const backends = await upstreams(3);
    const [httpA, httpB, syncA, syncB, apiA, apiB] = await freePorts(6);
    const dir = cleanups.tempDir();
    await Promise.all([
      startNode(dir, 'a.conf', stickyConfig(backends, httpA!, syncA!, [syncA!, syncB!], apiA!)),
      startNode(dir, 'b.conf', stickyConfig(backends, httpB!, syncB!, [syncA!, syncB!], apiB!)),
    ]);
    const nodes = [[httpA!, apiA!], [httpB!, apiB!]] as const;
    let learned = 0;
    for (const [[learnAt], [askAt, askApi]] of [[nodes[0], nodes[1]], [nodes[1], nodes[0]]] as const) {
      const first = await get(learnAt, '/');
      const cookie = sessionCookie(first.headers);
      const owner = first.json.server as string;
      learned++;
      await waitFor(async () => (await sessionsOn(askApi)) >= learned, 10_000, () => `the session never reached the node on ${askAt}`);
      // Three backends: a balancer alone never sends ten requests in a row to one.
      for (let i = 0; i < 10; i++) expect((await get(askAt, '/', { headers: { cookie } })).json.server).toBe(owner);
      const seenBy = backends.find((u) => u.name === owner)!.seen.filter((r) => r.headers.cookie === cookie);
      expect(seenBy).toHaveLength(10);
    }
  });

  it('when the session\'s backend is down, another one serves it and the session moves there', async () => {
    const backends = await upstreams(2);
    const [http, sync] = await freePorts(2);
    await startNode(cleanups.tempDir(), 'sticky.conf', stickyConfig(backends, http!, sync!, [sync!]));
    const first = await get(http!, '/');
    const cookie = sessionCookie(first.headers);
    const owner = backends.find((u) => u.name === first.json.server)!;
    const other = backends.find((u) => u !== owner)!;
    await owner.close();
    // The backend that takes over sees the session's cookie and keeps it (sets no new one).
    const moved = await get(http!, '/', { headers: { cookie } });
    expect(moved.status).toBe(200);
    expect(moved.json.server).toBe(other.name);
    for (let i = 0; i < 5; i++) expect((await get(http!, '/', { headers: { cookie } })).json.server).toBe(other.name);
  });
});

describe('request limits (admin guide)', () => {
  it('requests over the rate are refused with 503 and never reach the backend', async () => {
    const [backend] = await upstreams(1);
    const [http] = await freePorts(1);
    const text = adapted('admin-guide-proxy-pass.conf', [
      // my_backend is the upstream of the guide's sticky learn example.
      ['http {', `http {\n    upstream my_backend { server ${backend!.address}; }`],
      ['listen 80;', `listen 127.0.0.1:${http};`],
    ]);
    await startNode(cleanups.tempDir(), 'limits.conf', text);
    const answers = await Promise.all(Array.from({ length: 300 }, () => get(http!, '/')));
    const passed = answers.filter((r) => r.status === 200).length;
    const refused = answers.filter((r) => r.status === 503).length;
    expect(passed + refused).toBe(300);
    expect(refused).toBeGreaterThan(0);
    expect(backend!.seen).toHaveLength(passed);
  });
});

describe('key-value storage (admin guide)', () => {
  it('a value written through the API of one node is returned by `return 200 $text` on both', async () => {
    const [httpA, httpB, syncA, syncB] = await freePorts(4);
    const dir = cleanups.tempDir();
    const config = (http: number, sync: number, state: string): string => adapted('admin-guide-keyval.conf', [
      ['state=/var/lib/nginx/state/one.keyval', `state=${join(dir, state)}`],
      ['listen 80;', `listen 127.0.0.1:${http};`],
    ]) + syncBlock(sync, [`127.0.0.1:${syncA}`, `127.0.0.1:${syncB}`]);
    await Promise.all([
      startNode(dir, 'a.conf', config(httpA!, syncA!, 'a.keyval')),
      startNode(dir, 'b.conf', config(httpB!, syncB!, 'b.keyval')),
    ]);
    expect((await get(httpA!, '/?text=greeting')).text).toBe('');
    const posted = await api(httpA!, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify({ greeting: 'hello from the key-value store' }) });
    expect(posted.status).toBe(201);
    const a = await get(httpA!, '/?text=greeting');
    expect([a.status, a.text, a.headers.get('content-type')]).toEqual([200, 'hello from the key-value store', 'text/plain']);
    await waitFor(async () => (await get(httpB!, '/?text=greeting')).text === 'hello from the key-value store', 10_000, () => 'the value never reached node B');
    expect((await get(httpB!, '/?text=other')).text).toBe('');
  });
});
