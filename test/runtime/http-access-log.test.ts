// The http access_log on a real node (node dist/primary.js, two serving threads) in front of
// a real upstream server: the fields of a proxied request, a return, a 503 of limit_req, a
// 403 of deny; nginx's combined format; access_log off; whole lines under concurrent load
// from both threads; USR1 reopens the files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { NodeProcess, freePorts, tempDir, waitFor, writeConfig } from './cluster-helpers.js';
import { TestUpstream, get } from '../gateway/test-upstream.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const FIELDS = [
  'remote_addr', 'remote_user', 'request', 'status', 'body_bytes_sent', 'bytes_sent', 'http_referer', 'http_user_agent', 'request_time',
  'upstream_addr', 'upstream_status', 'upstream_response_time', 'request_method', 'uri', 'args', 'host', 'server_port', 'msec',
  'time_iso8601', 'time_local', 'sent_http_content_type', 'sent_http_server',
] as const;
type Line = Record<(typeof FIELDS)[number], string>;

let node: NodeProcess;
let port = 0;
let upstream: TestUpstream;
let dir: { dir: string; cleanup: () => void };
const file = (name: string): string => join(dir.dir, 'logs', name);
const lines = (name: string): string[] => (existsSync(file(name)) ? readFileSync(file(name), 'utf8').split('\n').filter((l) => l !== '') : []);
const parsed = (name: string): Line[] => lines(name).map((l) => Object.fromEntries(l.split('|').map((v, i) => [FIELDS[i], v])) as Line);

/* The line of the request tagged ?tag=TAG, once it is written. */
async function lineOf(tag: string): Promise<Line> {
  let found: Line | undefined;
  await waitFor(() => (found = parsed('fields.log').find((l) => l.args.includes(`tag=${tag}`))) !== undefined, 10_000,
    () => `no line for ${tag} in:\n${lines('fields.log').join('\n')}`);
  return found!;
}

beforeAll(async () => {
  upstream = await TestUpstream.start('app', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '12' });
    res.end('{"app":true}');
  });
  [port] = await freePorts(1) as [number];
  dir = tempDir();
  const config = writeConfig(dir.dir, 'log.conf', `
http {
    limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
    log_format fields '${FIELDS.map((f) => `$${f}`).join('|')}';
    access_log ${file('http-level.log')};
    server {
        listen 127.0.0.1:${port};
        access_log ${file('fields.log')} fields;
        access_log ${file('combined.log')};
        location /proxied { proxy_pass http://${upstream.address}; }
        location /text { return 200 "hello"; }
        location /limited { limit_req zone=one; }
        location /denied { deny all; }
        location /quiet { access_log off; return 204; }
        location /own { access_log ${file('own.log')} fields; return 200 "own"; }
    }
}`);
  node = new NodeProcess(config);
  await node.ready();
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await upstream?.close();
  dir?.cleanup();
});

describe('http access_log', () => {
  it('a proxied request: its request, status, sizes, times and the upstream server', async () => {
    const r = await get(port, '/proxied/a?tag=p1&x=1', { headers: { referer: 'http://example.com/from', 'user-agent': 'test-agent/1.0', authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` } });
    expect(r.status).toBe(200);
    const l = await lineOf('p1');
    expect(l).toMatchObject({
      remote_addr: '127.0.0.1', remote_user: 'alice', request: 'GET /proxied/a?tag=p1&x=1 HTTP/1.1', status: '200', body_bytes_sent: String('{"app":true}'.length),
      http_referer: 'http://example.com/from', http_user_agent: 'test-agent/1.0', upstream_addr: upstream.address, upstream_status: '200',
      request_method: 'GET', uri: '/proxied/a', args: 'tag=p1&x=1', host: '127.0.0.1', server_port: String(port),
      sent_http_content_type: 'application/json',
    });
    expect(Number(l.bytes_sent)).toBeGreaterThan(Number(l.body_bytes_sent));
    expect(l.request_time).toMatch(/^\d+\.\d{3}$/);
    expect(l.upstream_response_time).toMatch(/^\d+\.\d{3}$/);
    expect(l.msec).toMatch(/^\d{10}\.\d{3}$/);
    expect(Math.abs(Number(l.msec) * 1000 - Date.now())).toBeLessThan(600_000);
    expect(l.time_iso8601).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect(l.time_local).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$/);
  });

  it.each<[string, string, Partial<Line>]>([
    ['a return', '/text?tag=r1', { status: '200', body_bytes_sent: '5', upstream_addr: '-', upstream_status: '-', remote_user: '-', http_referer: '-', sent_http_content_type: 'text/plain' }],
    ['a 403 of deny', '/denied?tag=d1', { status: '403', upstream_addr: '-' }],
    ['a 404 of no location', '/nowhere?tag=n1', { status: '404', uri: '/nowhere' }],
  ])('%s', async (_what, path, fields) => {
    await get(port, path);
    expect(await lineOf(new URL(path, 'http://x').searchParams.get('tag')!)).toMatchObject(fields);
  });

  it('a 503 of limit_req (the first request of the minute passes)', async () => {
    expect((await get(port, '/limited?tag=l1')).status).toBe(200);
    expect((await get(port, '/limited?tag=l2')).status).toBe(503);
    // Both answers pass their fields to Node at once (front-end-response.ts): the log still reads them.
    expect(await lineOf('l1')).toMatchObject({ status: '200', sent_http_content_type: 'application/json', sent_http_server: `zonesync/${VERSION}` });
    expect(await lineOf('l2')).toMatchObject({ status: '503', sent_http_content_type: 'text/html', sent_http_server: `zonesync/${VERSION}` });
  });

  it('the combined format by default, as nginx writes it; a level with its own access_log or off logs nothing to the outer ones', async () => {
    await get(port, '/text?tag=c1', { headers: { 'user-agent': 'agent "quoted"' } });
    await get(port, '/quiet?tag=q1');
    await get(port, '/own?tag=o1');
    let line: string | undefined;
    await waitFor(() => (line = lines('combined.log').find((l) => l.includes('tag=c1'))) !== undefined, 10_000, () => lines('combined.log').join('\n'));
    expect(line).toMatch(/^127\.0\.0\.1 - - \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET \/text\?tag=c1 HTTP\/1\.1" 200 5 "-" "agent \\x22quoted\\x22"$/);
    await waitFor(() => parsed('own.log').some((l) => l.args === 'tag=o1'), 10_000, () => lines('own.log').join('\n'));
    expect(lines('fields.log').some((l) => l.includes('tag=o1'))).toBe(false);
    expect([...lines('fields.log'), ...lines('combined.log'), ...lines('own.log')].some((l) => l.includes('tag=q1'))).toBe(false);
    // the server writes its own access_log: the http level's is not inherited
    expect(lines('http-level.log')).toEqual([]);
  });

  it('many requests at once on both serving threads: one whole line each', async () => {
    const n = 400;
    await Promise.all(Array.from({ length: n }, (_, i) => get(port, `/text?tag=burst-${i}-${'x'.repeat(i % 97)}`)));
    await waitFor(() => parsed('fields.log').filter((l) => l.args.startsWith('tag=burst-')).length >= n, 15_000,
      () => `${parsed('fields.log').filter((l) => l.args.startsWith('tag=burst-')).length} burst lines`);
    const burst = lines('fields.log').filter((l) => l.includes('tag=burst-'));
    expect(burst).toHaveLength(n);
    for (const l of burst) {
      expect(l.split('|')).toHaveLength(FIELDS.length);
      expect(l).toMatch(/^127\.0\.0\.1\|-\|GET \/text\?tag=burst-\d+-x* HTTP\/1\.1\|200\|5\|/);
    }
    expect(new Set(burst.map((l) => l.split('|')[2])).size).toBe(n);
  });

  it('USR1 reopens the files: lines go to the new file after a rotation', async () => {
    await get(port, '/text?tag=before-rotation');
    await lineOf('before-rotation');
    renameSync(file('fields.log'), file('fields.log.1'));
    node.signal('SIGUSR1');
    await waitFor(() => /log files reopened/.test(node.output), 10_000, () => node.output);
    // each thread reopens on its own message: keep asking until a line lands in the new file
    await waitFor(async () => {
      await get(port, '/text?tag=after-rotation');
      return lines('fields.log').some((l) => l.includes('tag=after-rotation'));
    }, 10_000, () => 'no line in the new file');
    expect(readFileSync(file('fields.log.1'), 'utf8')).toContain('tag=before-rotation');
    expect(lines('fields.log').some((l) => l.includes('tag=before-rotation'))).toBe(false);
  });
});
