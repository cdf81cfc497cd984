// The dashboard and /api/9/zonesync on a real node: the page from its locations, behind their
// access rules, and the node's own description.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeProcess, PRIMARY, api, freePorts, tempDir } from '../runtime/cluster-helpers.js';
import { LIMIT_ZONE, writeDashboardNode } from './dashboard-config.js';

const run = promisify(execFile);

let node: NodeProcess;
let configPath: string;
let http = 0;
let sync = 0;
const temp = tempDir();

beforeAll(async () => {
  [http, sync] = (await freePorts(2)) as [number, number];
  const self = { http, sync };
  configPath = writeDashboardNode(temp.dir, 'n.conf', self, [self]);
  node = new NodeProcess(configPath);
  await node.ready();
});
afterAll(async () => {
  await node.stop();
  temp.cleanup();
});

async function get(path: string, init: RequestInit = {}) {
  const r = await fetch(`http://127.0.0.1:${http}${path}`, init);
  return { status: r.status, headers: r.headers, text: await r.text() };
}

describe('zonesync_dashboard on a real node', () => {
  it('answers GET and HEAD of its location with the page, which names the API the directive gives', async () => {
    const page = await get('/dashboard.html');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'sha256-/);
    expect(page.text).toContain('<meta name="zonesync-api" content="/api/">');
    const head = await get('/dashboard.html', { method: 'HEAD' });
    expect([head.status, head.text, head.headers.get('content-length')]).toEqual([200, '', String(Buffer.byteLength(page.text))]);
    // A prefix location answers every path under it with the same page.
    const closed = await get('/closed/any/path?x=1');
    expect(closed.status).toBe(200);
    expect(closed.text).toContain('<meta name="zonesync-api" content="/closed-api/">');
  });

  it('refuses other methods, and clients its access rules refuse, with the API\'s error body', async () => {
    const post = await get('/dashboard.html', { method: 'POST', body: '' });
    expect(post.status).toBe(405);
    expect(JSON.parse(post.text).error.code).toBe('MethodNotSupported');
    const hidden = await get('/hidden.html');
    expect(hidden.status).toBe(403);
    expect(JSON.parse(hidden.text).error.code).toBe('Forbidden');
  });

  it('GET /api/9/zonesync describes the node: id, threads, sync thread, zones', async () => {
    const { status, body } = await api(http, '/api/9/zonesync');
    expect(status).toBe(200);
    const id = Number(/node (\d+) serving/.exec(node.output)?.[1]);
    expect(body.node).toMatchObject({ id, version: expect.any(String), pid: node.child.pid });
    expect(body.node.name).toMatch(new RegExp(`/127\\.0\\.0\\.1:${sync}$`));
    expect(body.node.uptime_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(body.node.start_time)).toBeLessThanOrEqual(Date.now());
    expect(body.workers).toEqual({ threads: 2, http: 'primary' });
    expect(body.sync).toEqual({ state: 'running', listen: `127.0.0.1:${sync}` });
    expect(Object.keys(body.zones).sort()).toEqual(['one', LIMIT_ZONE].sort());
    expect(body.zones.one).toMatchObject({ type: 'keyval', context: 'http', sync: true, records: 0, size: 1 << 20 });
    expect(body.zones[LIMIT_ZONE]).toMatchObject({ type: 'limit_req', sync: true });
  });

  it('-t reads the dashboard as it checks the configuration', async () => {
    const { stderr } = await run(process.execPath, [PRIMARY, '-t', '-c', configPath]);
    expect(stderr).toMatch(/test is successful/);
  });
});
