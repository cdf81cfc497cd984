// examples/handler.mjs, the handler the README shows, run as the README says: a real node
// with the shipped examples/zonesync.conf (moved to free ports) and --handler.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NodeProcess, api, freePorts, shippedConfigOn, tempDir, writeConfig } from './cluster-helpers.js';

const HANDLER = fileURLToPath(new URL('../../examples/handler.mjs', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));

const running: NodeProcess[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  cleanups.splice(0).forEach((c) => c());
});

describe('examples/handler.mjs', () => {
  it('is the file the README shows in its Handlers section', () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf('## Handlers'));
    const block = /```js\n([\s\S]*?)```/.exec(section);
    expect(block, 'a js block in the README Handlers section').not.toBeNull();
    expect(block![1]).toBe(readFileSync(HANDLER, 'utf8'));
  });

  it('runs on a node of the shipped configuration: sessions learned once, the deny list matched', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const [httpPort, syncPort] = await freePorts(2);
    const node = new NodeProcess(writeConfig(dir, 'zonesync.conf', shippedConfigOn(httpPort!, syncPort!)), ['--handler', HANDLER]);
    running.push(node);
    await node.ready();

    const hello = await api(httpPort!, '/');
    expect(hello.status).toBe(200);
    expect(hello.body).toMatch(/^hello from node \S+, worker \d+\n$/);

    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await api(httpPort!, '/?session=abc'));
    const owners = answers.map((a) => /^session abc belongs to (worker \d+); served by node \S+, worker \d+\n$/.exec(a.body)?.[1]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(owners[0]).toBeDefined();
    expect(new Set(owners)).toEqual(new Set([owners[0]]));

    const tooLong = await api(httpPort!, `/?session=${'x'.repeat(33)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toContain('longer than the limit of 32');

    expect((await api(httpPort!, '/api/9/http/keyvals/denylist', { method: 'POST', body: JSON.stringify({ '127.0.0.0/8': 'blocked' }) })).status).toBe(201);
    const denied = await api(httpPort!, '/');
    expect(denied.status).toBe(403);
    expect(denied.body).toBe('127.0.0.1 is denied: blocked\n');
  });

  it('answers a clear 500 on a node without its zones', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const [httpPort] = await freePorts(1);
    const conf = writeConfig(dir, 'bare.conf', `http {\n    server {\n        listen 127.0.0.1:${httpPort};\n        location / { }\n    }\n}\n`);
    const node = new NodeProcess(conf, ['--handler', HANDLER]);
    running.push(node);
    await node.ready();
    const r = await api(httpPort!, '/');
    expect(r.status).toBe(500);
    expect(r.body).toContain('needs the zones "denylist" and "sessions"');
  });
});
