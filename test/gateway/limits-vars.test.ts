// limit_req_dry_run, limit_req_log_level and keyval variables in limit_req keys, proxy
// locations and handlers (ctx.vars), on a real node behind a real upstream server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { NodeProcess, api, freePorts, tempDir, waitFor, writeConfig } from '../runtime/cluster-helpers.js';
import { TestUpstream, get } from './test-upstream.js';

let node: NodeProcess;
let port = 0;
let backend: TestUpstream;
let dir: { dir: string; cleanup: () => void };

beforeAll(async () => {
  backend = await TestUpstream.start('app', (_req, res) => res.end('ok'));
  [port] = (await freePorts(1)) as [number];
  dir = tempDir();
  const handler = join(dir.dir, 'tier-handler.mjs');
  writeFileSync(handler, `export default (req, ctx) => ({ status: 200, body: 'tier=' + ctx.vars.get('$tier', req) + ' text=' + ctx.vars.get('arg_text', req) });\n`);
  node = new NodeProcess(writeConfig(dir.dir, 'limits.conf', `
http {
    keyval_zone zone=tiers:32k type=ip;
    keyval $remote_addr $tier zone=tiers;
    limit_req_zone $tier zone=bytier:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=dry:1m rate=1r/m;
    server {
        listen 127.0.0.1:${port};
        location /dry { limit_req zone=dry; limit_req_dry_run on; limit_req_log_level warn; proxy_pass http://${backend.address}; }
        location /tier { limit_req zone=bytier; proxy_pass http://${backend.address}; }
        location /handler { zonesync_handler ${handler}; }
        location /api { api write=on; }
    }
}`));
  await node.ready();
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await backend?.close();
  dir?.cleanup();
});

describe('limit_req_dry_run', () => {
  it('over the rate, requests are still served; the zone counts them as *_dry_run and the refusal is logged at limit_req_log_level', async () => {
    const before = backend.seen.length;
    for (let i = 0; i < 5; i++) expect((await get(port, '/dry')).status).toBe(200);
    expect(backend.seen.length - before).toBe(5);
    const counts = await api(port, '/api/9/http/limit_reqs/dry');
    expect(counts.body).toEqual({ passed: 1, delayed: 0, rejected: 0, delayed_dry_run: 0, rejected_dry_run: 4 });
    await waitFor(() => /"level":40[^\n]*"zone":"dry"[^\n]*limiting requests, dry run/.test(node.output), 5000, () => `no warn line:\n${node.output}`);
    const line = JSON.parse(/^.*limiting requests, dry run.*$/m.exec(node.output)![0]) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, zone: 'dry', client: '127.0.0.1', request: 'GET /dry', msg: 'limiting requests, dry run' });
    expect(typeof line.excess === 'number' && typeof line.time === 'number' && typeof line.pid === 'number').toBe(true);
  });
});

describe('keyval variables', () => {
  it('in a limit_req key: an empty value does not count; once the zone gives the client a value, the rate holds', async () => {
    for (let i = 0; i < 3; i++) expect((await get(port, '/tier')).status).toBe(200);
    expect((await api(port, '/api/9/http/keyvals/tiers', { method: 'POST', body: JSON.stringify({ '127.0.0.0/8': 'gold' }) })).status).toBe(201);
    expect((await get(port, '/tier')).status).toBe(200);
    expect((await get(port, '/tier')).status).toBe(503);
  });

  it('in a handler, through ctx.vars', async () => {
    await api(port, '/api/9/http/keyvals/tiers', { method: 'PATCH', body: JSON.stringify({ '127.0.0.0/8': 'silver' }) });
    expect((await get(port, '/handler?text=a%20b')).text).toBe('tier=silver text=a%20b');
  });
});
