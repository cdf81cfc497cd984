// A real node, tried as an attacker would: health and metrics behind their locations' access
// rules, and every answer the front end gives itself (refusals, bad requests, heads and
// bodies over the limits) in the NGINX Plus error body, without resetting the connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeProcess, freePorts, shippedConfigOn, tempDir, writeConfig } from './cluster-helpers.js';
import { errorBodyOf, rawExchange, type RawResponse } from './raw-http.js';

const auth = `Basic ${Buffer.from('ops:secret').toString('base64')}`;

/** A real node on a free port, stopped after the tests of the describe block that starts it. */
function nodeFor(config: (port: number, syncPort: number) => string): { port: () => number } {
  let port = 0;
  let node: NodeProcess | undefined;
  let dir: { dir: string; cleanup: () => void } | undefined;
  beforeAll(async () => {
    dir = tempDir();
    const [httpPort, syncPort] = await freePorts(2) as [number, number];
    port = httpPort;
    writeConfig(dir.dir, 'htpasswd', 'ops:{PLAIN}secret\n');
    node = new NodeProcess(writeConfig(dir.dir, 'node.conf', config(httpPort, syncPort)));
    await node.ready();
  });
  afterAll(async () => {
    await node?.stop();
    dir?.cleanup();
  });
  return { port: () => port };
}

function request(method: string, path: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (body !== '' || method === 'POST' || method === 'PATCH') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** One request on its own connection; its one answer. */
async function ask(port: number, raw: string | Buffer, head = false): Promise<RawResponse> {
  const x = await rawExchange(port, raw, { responses: 1, head });
  expect(x.responses.length, `no complete answer; got ${JSON.stringify(x.rest.toString('latin1').slice(0, 200))}`).toBe(1);
  return x.responses[0]!;
}

function expectError(r: RawResponse, status: number, code: string): void {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toBe('application/json');
  expect(errorBodyOf(r.body)).toMatchObject({ status, code });
}

/* An error outside the node's own locations: nginx's page, "404 Not Found" and the like. */
function expectPage(r: RawResponse, status: number, title: string): void {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toBe('text/html');
  expect(r.body.toString()).toContain(`<head><title>${status} ${title}</title></head>`);
}

describe('health and metrics are served only by the locations that enable them, behind their access rules', () => {
  const ops = nodeFor((port) => `worker_processes 1;
http {
    keyval_zone zone=one:1m timeout=1h;
    server {
        listen 127.0.0.1:${port};
        location /api { api write=on; deny all; }
        location /open { api write=on; }
        location = /livez { zonesync_health live; }
        location = /readyz { zonesync_health ready; auth_basic "ops"; auth_basic_user_file htpasswd; }
        location = /metrics { zonesync_metrics; deny 127.0.0.1; }
        location /ops/ {
            allow 127.0.0.1;
            deny all;
            location = /ops/metrics { zonesync_metrics; }
        }
    }
}
`);
  it.each([
    // path, headers, status, error code (null: a success whose body is checked below)
    ['/livez', {}, 200, null],
    ['/readyz', {}, 401, 'Unauthorized'],
    ['/readyz', { Authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` }, 401, 'Unauthorized'],
    ['/readyz', { Authorization: auth }, 200, null],
    ['/metrics', {}, 403, 'Forbidden'],
    ['/metrics', { Authorization: auth }, 403, 'Forbidden'],
    ['/ops/metrics', {}, 200, null],
    ['/api/9/', {}, 403, 'Forbidden'],
    ['/api/9/http/keyvals/one', {}, 403, 'Forbidden'],
    // The API location no longer answers the operational paths, nor does any other.
    ['/api/livez', {}, 403, 'Forbidden'],
    ['/open/metrics', {}, 404, 'UnknownVersion'],
    // no location: nginx's page
    ['/nothing-here', {}, 404, 'Not Found'],
  ] as const)('GET %s %j: %i %s', async (path, headers, status, code) => {
    const r = await ask(ops.port(), request('GET', path, headers));
    if (code !== null) {
      if (path === '/nothing-here') expectPage(r, status, code);
      else expectError(r, status, code);
      expect(r.body.toString()).not.toMatch(/zonesync_zone|"one"/);
      if (status === 401) expect(r.headers['www-authenticate']).toMatch(/^Basic realm="/);
      return;
    }
    expect(r.status).toBe(200);
    if (path.endsWith('metrics')) expect(r.body.toString()).toMatch(/^zonesync_zone_records\{zone="one"\} \d+$/m);
    else expect(JSON.parse(r.body.toString())).toHaveProperty('status');
  });

  it('health and metrics take GET and HEAD only: 405 MethodNotSupported with the error body', async () => {
    for (const [method, path] of [['POST', '/livez'], ['DELETE', '/ops/metrics'], ['PUT', '/livez']] as const) {
      const r = await ask(ops.port(), request(method, path));
      expectError(r, 405, 'MethodNotSupported');
      expect(r.headers['allow']).toBe('GET, HEAD');
    }
    expect((await ask(ops.port(), request('HEAD', '/livez'), true)).status).toBe(200);
  });
});

describe('the front end answers refusals with the NGINX Plus error body in the API, nginx\'s page elsewhere', () => {
  // API and handler locations only: a configuration every version of zonesync reads.
  const edge = nodeFor((port) => `worker_processes 1;
http {
    keyval_zone zone=one:1m timeout=1h;
    server {
        listen 127.0.0.1:${port};
        location /open { api write=on; }
        location /secure { api write=on; auth_basic "zonesync"; auth_basic_user_file htpasswd; }
        location /denied { deny all; }
        location /handler { }
    }
}
`);
  it('401 (with the challenge) of an API location, 403 of a handler location and 404 of no location', async () => {
    const challenge = await ask(edge.port(), request('GET', '/secure/9/'));
    expectError(challenge, 401, 'Unauthorized');
    expect(challenge.headers['www-authenticate']).toBe('Basic realm="zonesync"');
    expect((await ask(edge.port(), request('GET', '/secure/9/', { Authorization: auth }))).status).toBe(200);
    expectPage(await ask(edge.port(), request('GET', '/denied')), 403, 'Forbidden');
    expectPage(await ask(edge.port(), request('POST', '/denied', {}, 'x')), 403, 'Forbidden');
    expectPage(await ask(edge.port(), request('GET', '/elsewhere')), 404, 'Not Found');
  });

  it('413 for a body over 1 MiB: the error body, Connection: close, and the server closes without a reset', async () => {
    for (const path of ['/open/9/http/keyvals/one', '/handler']) {
      const body = 'x'.repeat(2 * 1024 * 1024);
      const x = await rawExchange(edge.port(), request('POST', path, {}, body));
      expect(x.responses.length).toBe(1);
      if (path === '/handler') expectPage(x.responses[0]!, 413, 'Request Entity Too Large');
      else expectError(x.responses[0]!, 413, 'BodyTooLarge');
      expect(x.responses[0]!.headers['connection']).toBe('close');
      expect(x.closedByServer).toBe(true);
      expect(x.reset).toBe(false);
    }
    // A body that says it is too large is refused before it is sent.
    const declared = await rawExchange(edge.port(), `POST /open/9/http/keyvals/one HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n`);
    expectError(declared.responses[0]!, 413, 'BodyTooLarge');
    expect(declared.closedByServer).toBe(true);
  });

  it('a PATCH of several keys is 400 KeyvalFormatError ("only one key can be updated") and changes nothing', async () => {
    expect((await ask(edge.port(), request('POST', '/open/9/http/keyvals/one', {}, JSON.stringify({ a: '1', b: '2' })))).status).toBe(201);
    const r = await ask(edge.port(), request('PATCH', '/open/9/http/keyvals/one', {}, JSON.stringify({ a: 'changed', b: null })));
    expectError(r, 400, 'KeyvalFormatError');
    expect(errorBodyOf(r.body)!.text).toBe('only one key can be updated');
    const after = await ask(edge.port(), request('GET', '/open/9/http/keyvals/one'));
    expect(JSON.parse(after.body.toString())).toEqual({ a: '1', b: '2' });
    expect((await ask(edge.port(), request('PATCH', '/open/9/http/keyvals/one', {}, JSON.stringify({ a: 'changed' })))).status).toBe(204);
    expect((await ask(edge.port(), request('DELETE', '/open/9/http/keyvals/one'))).status).toBe(204);
  });

  it.each([
    ['FOO', 405, 'MethodNotSupported'],
    ['BREW', 405, 'MethodNotSupported'],
    ['CONNECT', 405, 'MethodNotSupported'],
    ['get', 400, 'BadRequest'],
    ['G@T', 400, 'BadRequest'],
  ] as const)('method %s: %i %s, and the connection closes cleanly', async (method, status, code) => {
    const x = await rawExchange(edge.port(), request(method, method === 'CONNECT' ? '127.0.0.1:1' : '/open/9/'));
    expect(x.responses.length).toBe(1);
    expectError(x.responses[0]!, status, code);
    expect(x.closedByServer).toBe(true);
    expect(x.reset).toBe(false);
  });

  it.each([
    ['a request line over 8 KiB', 414, 'UriTooLong', () => request('GET', `/open/9/${'a'.repeat(10_000)}`)],
    ['a request line over the whole head bound', 414, 'UriTooLong', () => request('GET', `/open/9/${'a'.repeat(200_000)}`)],
    ['a header over the head bound', 431, 'HeadersTooLarge', () => request('GET', '/open/9/', { 'X-Big': 'b'.repeat(200_000) })],
    ['many headers over the head bound', 431, 'HeadersTooLarge',
      () => request('GET', '/open/9/', Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`X-H${i}`, 'v'.repeat(30)])))],
    ['a NUL byte in a header', 400, 'BadRequest', () => request('GET', '/open/9/', { 'X-A': 'a\0b' })],
    ['no request at all', 400, 'BadRequest', () => 'hello\r\n\r\n'],
    ['HTTP/1.1 without Host', 400, 'BadRequest', () => 'GET /open/9/ HTTP/1.1\r\n\r\n'],
    ['an HTTP/2 preface', 400, 'BadRequest', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['a broken chunked body (API)', 400, 'BodyReadError',
      () => 'POST /open/9/http/keyvals/one HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{"a":"1"}\r\nzz\r\n'],
    // a handler location: nginx's page
    ['a broken chunked body (handler)', 400, 'Bad Request',
      () => 'POST /handler HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
  ] as const)('%s: %i %s with the error body, no reset', async (what, status, code, raw) => {
    const x = await rawExchange(edge.port(), raw());
    expect(x.responses.length, x.rest.toString('latin1').slice(0, 100)).toBe(1);
    if (what.endsWith('(handler)')) expectPage(x.responses[0]!, status, code);
    else expectError(x.responses[0]!, status, code);
    expect(x.responses[0]!.headers['connection']).toBe('close');
    expect(x.closedByServer).toBe(true);
    expect(x.reset).toBe(false);
  });

  it('Upgrade and unknown Expect headers are ignored (as nginx): the request is served', async () => {
    expect((await ask(edge.port(), request('GET', '/open/9/', { Connection: 'Upgrade', Upgrade: 'websocket' }))).status).toBe(200);
    expect((await ask(edge.port(), request('GET', '/open/9/', { Expect: 'teapot' }))).status).toBe(200);
  });

  it('Expect: 100-continue: a refused request gets its refusal, not a 100', async () => {
    const refused = await rawExchange(edge.port(), request('POST', '/denied', { Expect: '100-continue' }, 'x'), { responses: 1 });
    expect(refused.responses.map((r) => r.status)).toEqual([403]);
    const served = await rawExchange(edge.port(), request('POST', '/open/9/http/keyvals/one', { Expect: '100-continue' }, '{"e":"1"}'), { responses: 1 });
    expect(served.responses.map((r) => r.status)).toEqual([100, 201]);
    expect((await ask(edge.port(), request('DELETE', '/open/9/http/keyvals/one'))).status).toBe(204);
  });

  it('a bad request pipelined after a good one: the good one is answered first, then the error', async () => {
    const x = await rawExchange(edge.port(), `${request('GET', '/open/9/http/keyvals/one')}FOO / HTTP/1.1\r\n\r\n`);
    expect(x.responses.map((r) => r.status)).toEqual([200, 405]);
    expect(errorBodyOf(x.responses[1]!.body)?.code).toBe('MethodNotSupported');
    expect(x.closedByServer).toBe(true);
  });

  it('the node is alive after all of it, and none of the refused writes reached the zone', async () => {
    expect((await ask(edge.port(), request('GET', '/open/9/'))).status).toBe(200);
    expect(JSON.parse((await ask(edge.port(), request('GET', '/open/9/http/keyvals/one'))).body.toString())).toEqual({});
  });
});

describe('where no location enables them, /livez, /readyz and /metrics are not served', () => {
  const bare = nodeFor((port) => `worker_processes 1;
http {
    keyval_zone zone=secret:1m;
    server {
        listen 127.0.0.1:${port};
        location /api { api write=on; deny all; }
    }
}
`);

  it.each(['/livez', '/readyz', '/metrics'])('an API location that denies everyone: %s is 404, never 200', async (path) => {
    const r = await ask(bare.port(), request('GET', path));
    expectPage(r, 404, 'Not Found');
    expect(r.body.toString()).not.toContain('secret');
  });
});

describe('the shipped configuration', () => {
  const shipped = nodeFor(shippedConfigOn);

  it.each(['/livez', '/readyz', '/metrics', '/dashboard.html'])('serves %s to this host', async (path) => {
    expect((await ask(shipped.port(), request('GET', path))).status).toBe(200);
  });
});
