// A second node started by mistake on the state file of a running node (the same
// configuration, or another one naming the same file) must leave the running node's files
// alone: before the lock, it loaded and compacted them (rotating the journal the running node
// was appending to, which then wrote to a deleted file) and failed only when it could not
// listen; a key acknowledged afterwards was lost at the running node's next kill -9.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NodeProcess, api, cleanupsAfterEach, freePorts, syncBlock, waitFor, writeConfig } from './cluster-helpers.js';

function config(http: number, sync: number, state: string): string {
  return `worker_processes 1;
http {
    keyval_zone zone=flags:1m timeout=1h sync state=${state};
    server {
        listen 127.0.0.1:${http};
        location /api { api write=on; }
    }
}
${syncBlock(sync, [`127.0.0.1:${sync}`])}`;
}

async function post(port: number, body: object): Promise<number> {
  const r = await api(port, '/api/9/http/keyvals/flags', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return r.status;
}

describe('a state file has one owner (real nodes)', () => {
  const cleanups = cleanupsAfterEach();

  it.each([
    { second: 'the same configuration' },
    { second: 'another configuration with the same state file' },
  ])('a second node started with $second fails, and the running node loses nothing', async ({ second }) => {
    const dir = cleanups.tempDir();
    const [h1, s1, h2, s2] = await freePorts(4);
    const state = `${dir}/flags.json`;
    const firstPath = writeConfig(dir, 'a.conf', config(h1!, s1!, state));
    const start = (path: string) => {
      const n = new NodeProcess(path, ['--workers', '1']);
      cleanups.push(() => n.stop());
      return n;
    };
    const a = start(firstPath);
    await a.ready();
    expect(await post(h1!, { before: '1' })).toBe(201);
    const filesBefore = readdirSync(dir).filter((f) => f.startsWith('flags.json')).sort();

    const b = start(second === 'the same configuration' ? firstPath : writeConfig(dir, 'b.conf', config(h2!, s2!, state)));
    expect(await b.exited).not.toBe(0);
    expect(b.output).toMatch(new RegExp(`state file "${state.replace(/[.]/g, '\\.')}" is in use by process ${a.child.pid}`));
    expect(readdirSync(dir).filter((f) => f.startsWith('flags.json')).sort()).toEqual(filesBefore);

    // What the running node acknowledges now survives its kill -9.
    expect(await post(h1!, { after: '1' })).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 300)); // "a few tens of ms" before the kill, with room
    a.signal('SIGKILL');
    await a.exited;
    const again = start(firstPath);
    await again.ready();
    const r = await api(h1!, '/api/9/http/keyvals/flags');
    expect(r.body).toEqual({ before: '1', after: '1' });
  });
});
