// The errors a real node (node dist/primary.js) answers itself outside its API: nginx's HTML
// page, naming the server as its Server field does; the API's locations keep the NGINX Plus
// JSON error body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { NodeProcess, freePorts, tempDir, writeConfig } from '../runtime/cluster-helpers.js';
import { get } from './test-upstream.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const page = (status: number, title: string, server: string): string =>
  `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>${server}</center>\r\n</body>\r\n</html>\r\n`;

let node: NodeProcess;
let port = 0;
let quietPort = 0;
let dir: { dir: string; cleanup: () => void };

beforeAll(async () => {
  const [http, quiet, dead] = await freePorts(3) as [number, number, number];
  port = http;
  quietPort = quiet;
  dir = tempDir();
  writeConfig(dir.dir, 'htpasswd', 'ops:{PLAIN}secret\n');
  node = new NodeProcess(writeConfig(dir.dir, 'pages.conf', `
http {
    limit_req_zone $binary_remote_addr zone=none:1m rate=1r/m;
    server {
        listen 127.0.0.1:${port};
        location /dead { proxy_pass http://127.0.0.1:${dead}; }
        location /small { proxy_pass http://127.0.0.1:${dead}; client_max_body_size 10; }
        location /denied { deny all; }
        location /secret { auth_basic "ops"; auth_basic_user_file htpasswd; }
        location /limited { limit_req zone=none burst=0; }
        location /gone { return 410; }
        location /teapot { return 418; }
        location /api/ { api; }
        location /limited-api/ { api; limit_req zone=none burst=0; }
    }
    server {
        listen 127.0.0.1:${quietPort};
        server_tokens off;
        location /dead { proxy_pass http://127.0.0.1:${dead}; }
    }
}`));
  await node.ready();
}, 60_000);

afterAll(async () => {
  await node?.stop();
  dir?.cleanup();
});

describe('errors outside the API: nginx\'s page', () => {
  it.each<[string, RequestInit, number, string]>([
    ['/dead', {}, 502, 'Bad Gateway'],
    ['/nowhere', {}, 404, 'Not Found'],
    ['/small', { method: 'POST', body: 'x'.repeat(100) }, 413, 'Request Entity Too Large'],
    ['/denied', {}, 403, 'Forbidden'],
    ['/secret', {}, 401, 'Authorization Required'],
    ['/gone', {}, 410, 'Gone'],
  ])('%s %j: %i %s', async (path, init, status, title) => {
    const r = await get(port, path, init);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('text/html');
    expect(r.headers.get('server')).toBe(`zonesync/${VERSION}`);
    expect(r.text).toBe(page(status, title, `zonesync/${VERSION}`));
  });

  it('a limit_req refusal, in a handler location and in an API location alike (limit_req is not the API\'s)', async () => {
    for (const path of ['/limited', '/limited-api/9/nginx']) {
      await get(port, path);
      const r = await get(port, path);
      expect(r.status).toBe(503);
      expect(r.text).toBe(page(503, 'Service Temporarily Unavailable', `zonesync/${VERSION}`));
    }
  });

  it('a status nginx has no page for: an empty body', async () => {
    const r = await get(port, '/teapot');
    expect([r.status, r.text, r.headers.get('content-length')]).toEqual([418, '', '0']);
  });

  it('server_tokens off: the page and the Server field name zonesync without its version', async () => {
    const r = await get(quietPort, '/dead');
    expect([r.status, r.headers.get('server'), r.text]).toEqual([502, 'zonesync', page(502, 'Bad Gateway', 'zonesync')]);
  });
});

describe('errors of the API: the NGINX Plus JSON body', () => {
  it.each<[string, number, string]>([['/api/9/nope', 404, 'PathNotFound'], ['/api/99/', 404, 'UnknownVersion']])('%s: %i %s', async (path, status, code) => {
    const r = await get(port, path);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json.error).toMatchObject({ status, code });
    expect(r.json.href).toBe('https://nginx.org/en/docs/http/ngx_http_api_module.html');
  });
});
