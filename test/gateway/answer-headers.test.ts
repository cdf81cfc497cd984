// add_header, server_tokens and the Server field on a real node (node dist/primary.js) in
// front of a real upstream server; a stock nginx.conf's ignored directives warned of at
// start and by -t.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeProcess, PRIMARY, freePorts, tempDir, writeConfig } from '../runtime/cluster-helpers.js';
import { TestUpstream, get, type UpstreamBehaviour } from './test-upstream.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/* Answers with its own X-Frame-Options and Server, and the status asked for in ?status=. */
const app: UpstreamBehaviour = (req, res) => {
  const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? '200');
  res.writeHead(status, { 'content-type': 'text/plain', 'x-frame-options': 'SAMEORIGIN', server: 'upstream/1.0' });
  res.end('app');
};

let node: NodeProcess;
let port = 0;
let quietPort = 0;
let configPath = '';
let upstream: TestUpstream;
let dir: { dir: string; cleanup: () => void };

beforeAll(async () => {
  upstream = await TestUpstream.start('app', app);
  [port, quietPort] = await freePorts(2) as [number, number];
  dir = tempDir();
  // Handlers that name a Server of their own, in two cases of the field's name.
  for (const [file, name] of [['own-server.mjs', 'Server'], ['own-server-lower.mjs', 'SERVER']]) {
    writeFileSync(join(dir.dir, file), `export default () => ({ status: 200, headers: { '${name}': 'mine/2.0', 'content-type': 'text/plain' }, body: 'mine' });\n`);
  }
  configPath = writeConfig(dir.dir, 'headers.conf', `
http {
    sendfile on;
    limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=quiet:1m rate=1r/m;
    add_header X-Http-Level yes;
    server {
        listen 127.0.0.1:${port};
        add_header X-Server-Level yes;
        add_header X-Always-Server yes always;
        location /proxied {
            proxy_pass http://${upstream.address};
            add_header X-Frame-Options DENY;
            add_header X-Client "client=$remote_addr";
            add_header X-Empty $arg_none;
        }
        location /proxied-always { proxy_pass http://${upstream.address}; add_header X-Frame-Options DENY always; }
        location /inherits { return 200 "inherits"; }
        location /created { add_header X-Own own; return 201 "created"; }
        location /redirect { add_header X-Own own; return 302 /elsewhere; }
        location /missing { add_header X-Own own; return 404 "no"; }
        location /missing-always { add_header X-Own own always; return 404 "no"; }
        location /denied { add_header X-Own own; add_header X-Own-Always own always; deny all; }
        location /api/ { api; add_header X-Api api; }
        location /handled { }
        location /handled-added { add_header X-Added added; }
        location /limited { limit_req zone=one; }
        location /own-server { zonesync_handler ${join(dir.dir, 'own-server.mjs')}; }
        location /own-server-lower { zonesync_handler ${join(dir.dir, 'own-server-lower.mjs')}; }
    }
    server {
        listen 127.0.0.1:${quietPort};
        server_tokens off;
        location / { return 200 "quiet"; }
        location /handled { }
        location /limited { limit_req zone=quiet; }
    }
}`);
  node = new NodeProcess(configPath);
  await node.ready();
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await upstream?.close();
  dir?.cleanup();
});

describe('add_header', () => {
  it('a proxied 200 gets the fields beside the upstream\'s own, variables evaluated, an empty value adding nothing', async () => {
    const r = await get(port, '/proxied');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN, DENY');
    expect(r.headers.get('x-client')).toBe('client=127.0.0.1');
    expect(r.headers.has('x-empty')).toBe(false);
    // the location has its own add_header: none of the server's or the http block's
    expect(r.headers.has('x-server-level')).toBe(false);
    expect(r.headers.has('x-always-server')).toBe(false);
    expect(r.headers.has('x-http-level')).toBe(false);
  });

  it.each<[string, number, boolean]>([
    ['/proxied?status=204', 204, true], ['/proxied?status=206', 206, true], ['/proxied?status=304', 304, true],
    ['/proxied?status=307', 307, true], ['/proxied?status=308', 308, true],
    ['/proxied?status=202', 202, false], ['/proxied?status=404', 404, false], ['/proxied?status=500', 500, false], ['/proxied?status=503', 503, false],
    ['/proxied-always?status=503', 503, true], ['/proxied-always?status=404', 404, true], ['/proxied-always?status=200', 200, true],
  ])('%s: status %i, added: %s', async (path, status, added) => {
    const r = await get(port, path);
    expect(r.status).toBe(status);
    expect(r.headers.get('x-frame-options')).toBe(added ? 'SAMEORIGIN, DENY' : 'SAMEORIGIN');
  });

  it.each<[string, number, Record<string, string | null>]>([
    ['/inherits', 200, { 'x-server-level': 'yes', 'x-always-server': 'yes', 'x-http-level': null }],
    ['/created', 201, { 'x-own': 'own', 'x-server-level': null }],
    ['/redirect', 302, { 'x-own': 'own' }],
    ['/missing', 404, { 'x-own': null }],
    ['/missing-always', 404, { 'x-own': 'own' }],
    ['/denied', 403, { 'x-own': null, 'x-own-always': 'own' }],
    ['/nowhere', 404, { 'x-server-level': null, 'x-always-server': 'yes' }],
    ['/api/9/nginx', 200, { 'x-api': 'api' }],
    ['/api/9/nope', 404, { 'x-api': null }],
  ])('%s answers %i with the fields of its level', async (path, status, fields) => {
    const r = await get(port, path);
    expect(r.status).toBe(status);
    for (const [name, value] of Object.entries(fields)) expect([name, r.headers.get(name)]).toEqual([name, value]);
  });
});

describe('Server field and server_tokens', () => {
  it.each<[string, number]>([['/inherits', 200], ['/missing', 404], ['/denied', 403], ['/api/9/nginx', 200], ['/nowhere', 404]])(
    '%s: Server: zonesync/VERSION on the node\'s own answers', async (path, status) => {
      const r = await get(port, path);
      expect(r.status).toBe(status);
      expect(r.headers.get('server')).toBe(`zonesync/${VERSION}`);
    },
  );

  it('a proxied answer has the node\'s Server, not the upstream\'s (proxy_hide_header hides it by default)', async () => {
    expect((await get(port, '/proxied')).headers.get('server')).toBe(`zonesync/${VERSION}`);
  });

  it('server_tokens off: Server: zonesync without the version', async () => {
    const r = await get(quietPort, '/');
    expect([r.status, r.text, r.headers.get('server')]).toEqual([200, 'quiet', 'zonesync']);
  });

  // A handler's answer and a refusal of limit_req carry the Server field among the fields
  // they pass at once: exactly one (a second would show as "a, b"), the location's.
  it.each<[string, 'port' | 'quietPort', string]>([
    ['/handled', 'port', `zonesync/${VERSION}`], ['/handled-added', 'port', `zonesync/${VERSION}`], ['/handled', 'quietPort', 'zonesync'],
  ])('a handler\'s answer at %s (%s) carries one Server field: %s', async (path, which, server) => {
    const r = await get(which === 'port' ? port : quietPort, path);
    expect([r.status, r.headers.get('server'), r.headers.get('content-type')]).toEqual([200, server, 'application/json']);
    expect(r.headers.get('x-added')).toBe(path === '/handled-added' ? 'added' : null);
  });

  it.each<['port' | 'quietPort', string]>([['port', `zonesync/${VERSION}`], ['quietPort', 'zonesync']])(
    'a refusal of limit_req (%s) carries one Server field, the one its page names: %s', async (which, server) => {
      const at = which === 'port' ? port : quietPort;
      const statuses: number[] = [];
      let refused: Awaited<ReturnType<typeof get>> | undefined;
      for (let i = 0; i < 3 && refused === undefined; i++) {
        const r = await get(at, '/limited');
        statuses.push(r.status);
        if (r.status === 503) refused = r;
      }
      expect(refused, `statuses ${statuses.join(', ')}`).toBeDefined();
      expect(refused!.headers.get('server')).toBe(server);
      expect(refused!.text).toContain(`<hr><center>${server}</center>`);
    },
  );

  it.each(['/own-server', '/own-server-lower'])('a handler that gives a Server field of its own (%s) has it, and only it', async (path) => {
    const r = await get(port, path);
    expect([r.status, r.text, r.headers.get('server')]).toEqual([200, 'mine', 'mine/2.0']);
  });
});

describe('ignored directives', () => {
  it('are warned of when the node starts, and by -t, with file and line', () => {
    expect(node.output).toContain(`zonesync: [warn] "sendfile" is ignored by zonesync in ${configPath}:3`);
    const t = spawnSync(process.execPath, [PRIMARY, '-t', '-c', configPath], { encoding: 'utf8', timeout: 20_000 });
    expect(t.status).toBe(0);
    expect(t.stderr).toContain(`zonesync: [warn] "sendfile" is ignored by zonesync in ${configPath}:3`);
    expect(t.stderr).toContain('test is successful');
  });
});
