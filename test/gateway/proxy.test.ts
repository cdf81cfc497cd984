// proxy_pass on a real node (node dist/primary.js) in front of real upstream servers on
// 127.0.0.1: failures answered 502 and 504, the next server tried as proxy_next_upstream
// says, hop-by-hop fields, proxy_set_header, bodies streamed both ways, return.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { NodeProcess, api, freePorts, tempDir, waitFor, writeConfig } from '../runtime/cluster-helpers.js';
import { rawExchange } from '../runtime/raw-http.js';
import { TestUpstream, get, type UpstreamBehaviour } from './test-upstream.js';

const echo: UpstreamBehaviour = (req, res, upstream) => {
  res.writeHead(200, {
    'content-type': 'application/json', connection: 'x-hop', 'keep-alive': 'timeout=99', 'x-hop': 'passed as nginx does',
    server: 'upstream/1.0', 'x-accel-redirect': '/internal', 'x-pad': 'avoid browser bug', 'x-app': 'yes',
  });
  res.end(JSON.stringify({ server: upstream.name, url: req.url, method: req.method, headers: req.headers }));
};
const named: UpstreamBehaviour = (_req, res, upstream) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(upstream.name);
};
const status503: UpstreamBehaviour = (_req, res) => {
  res.writeHead(503);
  res.end('busy');
};
const hang: UpstreamBehaviour = () => { /* never answers */ };
const reset: UpstreamBehaviour = (req) => req.socket.destroy();

/* The streaming upstream: tells when the first bytes of a body arrive, and holds the rest of its answer until released. */
const streamEvents = new EventEmitter();
let releaseAnswer: () => void = () => {};
const streamer: UpstreamBehaviour = (req, res) => {
  const hash = createHash('sha256');
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    if (bytes === 0) streamEvents.emit('request-started');
    bytes += chunk.length;
    hash.update(chunk);
  });
  req.on('end', () => {
    const head = randomBytes(1 << 20);
    const tail = randomBytes(ANSWER_BYTES - head.length);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-request-sha256': hash.digest('hex'), 'x-request-bytes': String(bytes),
      'x-answer-sha256': createHash('sha256').update(head).update(tail).digest('hex') });
    res.write(head);
    releaseAnswer = () => res.end(tail);
  });
};
/* Answers what it received: method, target, a digest of the body, one chosen field; the body is echoed back. */
const mirror: UpstreamBehaviour = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, {
      'x-method': req.method, 'x-url': encodeURIComponent(req.url ?? ''), 'x-sha256': createHash('sha256').update(body).digest('hex'),
      'x-field': String(req.headers['x-field'] ?? ''), 'content-type': 'application/octet-stream',
    });
    res.end(body);
  });
};

/* Sessions in a header: a request without one gets a new one at once, and the rest of its answer is held until released. */
const held: Array<() => void> = [];
let sessions = 0;
const headerSessions: UpstreamBehaviour = (req, res, upstream) => {
  const session = req.headers['x-session'];
  res.writeHead(200, { 'content-type': 'text/plain', ...(session === undefined ? { 'x-session': `${upstream.name}-${++sessions}` } : {}) });
  res.write(`${upstream.name}\n`);
  if (session === undefined) held.push(() => res.end());
  else res.end();
};

const REQUEST_BYTES = 48 << 20;
const ANSWER_BYTES = 48 << 20;

/* An upstream that answers with a field no HTTP server may write: a control character in its value. */
let badHeaders: net.Server;

let node: NodeProcess;
let port = 0;
let dir: { dir: string; cleanup: () => void };
const up: Record<string, TestUpstream> = {};

beforeAll(async () => {
  const behaviours: Record<string, [UpstreamBehaviour, boolean?]> = {
    echo: [echo], liveA: [named], liveB: [named], liveC: [named], liveD: [named], liveE: [named], hangA: [hang], hangB: [hang],
    busy: [status503], resetP: [reset, true], resetG: [reset, true], streamer: [streamer, true],
    hs1: [headerSessions], hs2: [headerSessions], hs3: [headerSessions], abortA: [named], abortB: [named], mirror: [mirror, true],
  };
  for (const [name, [behaviour, readsBody]] of Object.entries(behaviours)) up[name] = await TestUpstream.start(name, behaviour, { readsBody: readsBody === true });
  badHeaders = net.createServer((socket) => {
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nX-Bad: a\u0001b\r\nContent-Length: 2\r\n\r\nok'));
  });
  await new Promise<void>((resolve) => badHeaders.listen(0, '127.0.0.1', resolve));
  const badPort = (badHeaders.address() as net.AddressInfo).port;
  const [http, returnPort, dead] = await freePorts(3);
  port = http!;
  dir = tempDir();
  const a = (name: string): string => up[name]!.address;
  const config = `
http {
    keyval_zone zone=texts:32k;
    keyval $arg_text $text zone=texts;
    # zone: the node's serving threads share the balancer's state, so one failure takes the server out for all
    upstream after_error   { zone after_error 64k; server 127.0.0.1:${dead} weight=100; server ${a('liveA')}; }
    upstream after_timeout { server ${a('hangA')} weight=100; server ${a('liveB')}; }
    upstream after_503     { server ${a('busy')} weight=100; server ${a('liveC')}; }
    upstream post_reset    { server ${a('resetP')} weight=100; server ${a('liveD')}; }
    upstream get_reset     { server ${a('resetG')} weight=100; server ${a('liveE')}; keepalive 4; }
    upstream echoes        { server ${a('echo')}; keepalive 4; }
    upstream mirrors       { server ${a('mirror')}; keepalive 2; }
    upstream client_abort  { server ${a('abortA')}; server ${a('abortB')}; }
    upstream by_header {
        server ${a('hs1')}; server ${a('hs2')}; server ${a('hs3')};
        sticky learn create=$upstream_http_x_session lookup=$http_x_session zone=by_header:1m header;
    }
    server {
        listen 127.0.0.1:${port};
        location /dead { proxy_pass http://127.0.0.1:${dead}; }
        location /hang { proxy_pass http://${a('hangB')}; proxy_read_timeout 300ms; }
        location /after-error { proxy_pass http://after_error; }
        location /after-timeout { proxy_pass http://after_timeout; proxy_read_timeout 300ms; }
        location /after-503 { proxy_pass http://after_503; proxy_next_upstream error timeout http_503; }
        location /post-reset { proxy_pass http://post_reset; }
        location /get-reset { proxy_pass http://get_reset; }
        location /echo {
            proxy_pass http://echoes;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Text $text;
            proxy_set_header X-Removed "";
        }
        location /host { proxy_pass http://echoes; proxy_set_header Host $host; }
        location /shown { proxy_pass http://echoes; proxy_pass_header Server; proxy_pass_header X-Accel-Redirect; proxy_hide_header X-App; }
        location /app/ { proxy_pass http://${a('echo')}/base/; }
        location /small { proxy_pass http://echoes; client_max_body_size 10; }
        location /stream { proxy_pass http://${a('streamer')}; client_max_body_size 0; }
        location /moved { return 301 https://example.com$request_uri; }
        location /text { return 200 "text=$text, client=$remote_addr"; }
        location /close { return 444; }
        location /denied { deny all; return 204; }
        location /header-sticky { proxy_pass http://by_header; }
        location /client-abort { proxy_pass http://client_abort; }
        location /mirror { proxy_pass http://mirrors; client_max_body_size 0; }
        location /bad-header { proxy_pass http://127.0.0.1:${badPort}; }
        location /api { api write=on; }
    }
    server {
        listen 127.0.0.1:${returnPort};
        return 403;
        location / { proxy_pass http://echoes; }
    }
}`;
  node = new NodeProcess(writeConfig(dir.dir, 'proxy.conf', config));
  await node.ready();
  up['returnPort'] = { port: returnPort } as TestUpstream;
}, 60_000);

afterAll(async () => {
  await node?.stop();
  for (const u of Object.values(up)) if (u instanceof TestUpstream) await u.close();
  badHeaders?.close();
  dir?.cleanup();
});

describe('upstream failures', () => {
  it('a server that refuses connections: 502 with nginx\'s error page', async () => {
    const r = await get(port, '/dead');
    expect(r.status).toBe(502);
    expect(r.headers.get('content-type')).toBe('text/html');
    expect(r.text).toBe(`<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>${r.headers.get('server')}</center>\r\n</body>\r\n</html>\r\n`);
  });

  it('a server that does not answer within proxy_read_timeout: 504', async () => {
    const r = await get(port, '/hang');
    expect(r.status).toBe(504);
    expect(r.text).toContain('<center><h1>504 Gateway Time-out</h1></center>');
    expect(up['hangB']!.seen).toHaveLength(1);
  });

  it('after a connection error the next server answers; the failed one is then left out by every thread (max_fails=1, zone)', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await get(port, '/after-error');
      expect([r.status, r.text]).toEqual([200, 'liveA']);
    }
    expect(up['liveA']!.seen).toHaveLength(4);
    expect(node.output).toMatch(/"failure":"error".*upstream failed/);
  });

  it('the API shows each server\'s requests, answers, failures and state (unavail while left out); DELETE clears the totals', async () => {
    const group = (await api(port, '/api/9/http/upstreams/after_error')).body;
    const [dead, live] = group.peers;
    expect(dead).toMatchObject({ id: 0, state: 'unavail', requests: 1, fails: 1, unavail: 1, active: 0, received: 0 });
    // NGINX Plus counts the time left out, and says since when while it lasts
    expect(Date.parse(dead.downstart)).toBeGreaterThan(0);
    expect(dead.downtime).toBeGreaterThanOrEqual(0);
    expect(live).not.toHaveProperty('downstart');
    expect(live).toMatchObject({ id: 1, server: up['liveA']!.address, state: 'up', requests: 4, fails: 0, unavail: 0, active: 0 });
    expect(live.responses).toMatchObject({ '2xx': 4, codes: { '200': 4 }, total: 4 });
    expect(live.sent).toBeGreaterThan(4 * 'GET /after-error HTTP/1.1\r\n'.length);
    expect(live.received).toBeGreaterThan(4 * 'liveA'.length);
    expect(Date.parse(live.selected)).toBeGreaterThan(0);
    expect(live.header_time).toBeGreaterThanOrEqual(0);
    expect(live.response_time).toBeGreaterThanOrEqual(live.header_time);
    expect(Date.parse(dead.selected)).toBeGreaterThan(0);
    expect(dead.header_time).toBeUndefined(); // it never answered
    expect((await api(port, '/api/9/http/upstreams/after_error', { method: 'DELETE' })).status).toBe(204);
    const cleared = (await api(port, '/api/9/http/upstreams/after_error')).body.peers[1];
    expect(cleared).toMatchObject({ requests: 0, sent: 0, received: 0, responses: { total: 0 } });
    expect(cleared.header_time).toBeUndefined();
  });

  it('a client that goes away in the middle of its body is no fault of the server (nginx\'s 499)', async () => {
    const req = http.request({ port, path: '/client-abort', method: 'POST', headers: { 'content-length': '100000' } });
    req.on('error', () => undefined);
    req.write('x'.repeat(1000));
    const peers = async (): Promise<any[]> => (await api(port, '/api/9/http/upstreams/client_abort')).body.peers;
    await waitFor(async () => (await peers()).some((p) => p.requests === 1), 10_000, () => 'the request never reached a server');
    req.destroy();
    await waitFor(async () => (await peers()).every((p) => p.active === 0), 10_000, () => 'the try never ended');
    expect((await peers()).map((p) => [p.fails, p.state])).toEqual([[0, 'up'], [0, 'up']]);
    expect(up['abortA']!.seen.length + up['abortB']!.seen.length).toBe(0); // neither had the whole body
  });

  it('a chunked body whose framing breaks is answered 400, no fault of the server', async () => {
    const exchange = await rawExchange(port, 'POST /client-abort HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n', { responses: 1 });
    expect(exchange.responses[0]?.status).toBe(400);
    expect(exchange.responses[0]!.body.toString()).toContain('<title>400 Bad Request</title>');
    const peers = (await api(port, '/api/9/http/upstreams/client_abort')).body.peers as any[];
    expect(peers.map((p) => [p.fails, p.active])).toEqual([[0, 0], [0, 0]]);
  });

  it('an answer with a field that cannot be passed on is 502 (invalid_header), and the node goes on', async () => {
    const r = await get(port, '/bad-header');
    expect(r.status).toBe(502);
    expect((await get(port, '/text?text=none')).status).toBe(200);
  });

  it('after a timeout the next server answers', async () => {
    const r = await get(port, '/after-timeout');
    expect([r.status, r.text]).toEqual([200, 'liveB']);
    expect(up['hangA']!.seen).toHaveLength(1);
  });

  it('a 503 is passed over for the next server with proxy_next_upstream http_503', async () => {
    const r = await get(port, '/after-503');
    expect([r.status, r.text]).toEqual([200, 'liveC']);
    expect(up['busy']!.seen).toHaveLength(1);
  });

  it('a POST whose server broke the connection is not sent again (non_idempotent is not set): 502', async () => {
    const r = await get(port, '/post-reset', { method: 'POST', body: 'order=1' });
    expect(r.status).toBe(502);
    expect(up['resetP']!.seen).toHaveLength(1);
    expect(up['liveD']!.seen).toHaveLength(0);
  });

  it('a GET whose server broke the connection goes to the next server', async () => {
    const r = await get(port, '/get-reset');
    expect([r.status, r.text]).toEqual([200, 'liveE']);
    expect(up['resetG']!.seen.length).toBeGreaterThanOrEqual(1);
  });
});

describe('any request', () => {
  it('reaches the server as the client sent it, and its answer comes back whole (property)', async () => {
    // Characters a path segment or a query part may hold as they are (RFC 3986 pchar, and %-escapes).
    const token = fc.stringMatching(/^([A-Za-z0-9._~!$'()*+,;:@-]|%[0-9A-F]{2}){1,12}$/);
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
      fc.array(token, { maxLength: 4 }), fc.option(fc.array(fc.tuple(token, token), { maxLength: 3 }), { nil: undefined }),
      fc.integer({ min: 0, max: 300_000 }), fc.stringMatching(/^[\x20-\x7e]{0,40}$/), fc.boolean(),
      async (method, segments, query, size, field, chunked) => {
        const target = `/mirror/${segments.join('/')}${query === undefined ? '' : `?${query.map(([k, v]) => `${k}=${v}`).join('&')}`}`;
        const body = randomBytes(size);
        const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
          const headers: http.OutgoingHttpHeaders = { 'x-field': field.trim() };
          // Node's client frames a GET body only when told how (it would send it unframed otherwise).
          headers[chunked ? 'transfer-encoding' : 'content-length'] = chunked ? 'chunked' : String(size);
          const req = http.request({ port, path: target, method, headers, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
          });
          req.on('error', reject);
          req.end(body);
        });
        expect([answer.status, answer.status === 200 ? '' : answer.body.toString()]).toEqual([200, '']);
        expect(answer.headers['x-method']).toBe(method);
        expect(decodeURIComponent(String(answer.headers['x-url']))).toBe(target);
        expect(answer.headers['x-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
        expect(answer.headers['x-field']).toBe(field.trim());
        expect(answer.body.equals(body)).toBe(true);
      },
    ), { numRuns: 40 });
  }, 120_000);
});

describe('fields', () => {
  it('hop-by-hop fields are not passed either way, as nginx', async () => {
    const r = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }>((resolve, reject) => {
      const req = http.request({
        port, path: '/echo?text=t1', headers: {
          connection: 'keep-alive, x-client-hop', 'keep-alive': 'timeout=1', te: 'trailers', upgrade: 'h2c', 'x-client-hop': 'kept',
          'x-removed': 'gone', 'x-forwarded-for': '192.0.2.1', 'proxy-connection': 'keep-alive',
        },
      }, (res) => {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(r.status).toBe(200);
    const sent = r.body.headers as Record<string, string>;
    for (const field of ['keep-alive', 'te', 'upgrade', 'x-removed', 'expect', 'transfer-encoding']) expect(sent[field]).toBeUndefined();
    expect(sent['connection']).toBe('keep-alive'); // the upstream connection's own (keepalive 4)
    expect(sent['host']).toBe('echoes');
    expect(sent['x-client-hop']).toBe('kept');
    expect(sent['x-forwarded-for']).toBe('192.0.2.1, 127.0.0.1');
    expect(sent['x-text']).toBeUndefined(); // an empty value is not sent, as nginx
    expect(r.headers['x-app']).toBe('yes');
    expect(r.headers['x-hop']).toBe('passed as nginx does');
    for (const field of ['x-accel-redirect', 'x-pad']) expect(r.headers[field]).toBeUndefined();
    expect(r.headers['server']).toMatch(/^zonesync\//); // the upstream's is hidden; the node's own, as nginx's
    expect(r.headers['keep-alive']).not.toBe('timeout=99');
    expect(r.headers['connection']).not.toBe('x-hop');
  });

  it('proxy_set_header reads keyval variables; Host $host; without proxy_set_header nothing is added', async () => {
    await api(port, '/api/9/http/keyvals/texts', { method: 'POST', body: JSON.stringify({ t2: 'from the zone' }) });
    expect((await get(port, '/echo?text=t2')).json.headers['x-text']).toBe('from the zone');
    const host = await get(port, '/host');
    expect(host.json.headers['host']).toBe('127.0.0.1'); // the client's Host without its port
    expect(host.json.headers['x-forwarded-for']).toBeUndefined();
  });

  it('proxy_pass_header passes a field nginx hides; proxy_hide_header hides one more; the connection\'s own stay hidden', async () => {
    const r = await get(port, '/shown');
    expect(r.headers.get('server')).toBe('upstream/1.0');
    expect(r.headers.get('x-accel-redirect')).toBe('/internal');
    expect(r.headers.get('x-app')).toBeNull();
    expect(r.headers.get('x-pad')).toBeNull();
    expect(r.headers.get('keep-alive')).not.toBe('timeout=99');
  });

  it('a proxy_pass URI replaces the part the location matched', async () => {
    const r = await get(port, '/app/items/7?sort=asc');
    expect(r.json.url).toBe('/base/items/7?sort=asc');
    expect(r.json.headers['host']).toBe(up['echo']!.address);
    expect(r.json.headers['connection']).toBe('close'); // a server named in the URL: no keepalive, as nginx
  });

  it('a body over client_max_body_size is refused with 413 before it reaches the server', async () => {
    const before = up['echo']!.seen.length;
    const r = await get(port, '/small', { method: 'POST', body: 'x'.repeat(100) });
    expect(r.status).toBe(413);
    expect(up['echo']!.seen.length).toBe(before);
  });
});

describe('sticky learn with header', () => {
  it('a session is learned when the answer\'s header arrives, before its body ends', async () => {
    const first = await new Promise<{ session: string; server: string }>((resolve, reject) => {
      http.get({ port, path: '/header-sticky' }, (res) => {
        res.once('data', (chunk: Buffer) => resolve({ session: String(res.headers['x-session']), server: chunk.toString().trim() }));
        res.on('error', reject);
      }).on('error', reject);
    });
    // The first answer is still open: the session can only be known from its header.
    expect(held).toHaveLength(1);
    for (let i = 0; i < 6; i++) {
      const again = await get(port, '/header-sticky', { headers: { 'x-session': first.session } });
      expect(again.text.trim()).toBe(first.server);
    }
    held.splice(0).forEach((release) => release());
  });
});

describe('streaming', () => {
  it('a large body goes to the server while the client still sends it, and the answer comes back while the server still writes it', async () => {
    const sent = createHash('sha256');
    const received = createHash('sha256');
    const result = await new Promise<{ headers: http.IncomingHttpHeaders; bytes: number }>((resolve, reject) => {
      const req = http.request({ port, path: '/stream', method: 'PUT', headers: { 'content-length': String(REQUEST_BYTES) } }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          if (bytes === 0) releaseAnswer(); // the first bytes are here and the server has not finished: now it may
          bytes += chunk.length;
          received.update(chunk);
        });
        res.on('end', () => resolve({ headers: res.headers, bytes }));
        res.on('error', reject);
      });
      req.on('error', reject);
      const first = randomBytes(1 << 20);
      sent.update(first);
      req.write(first);
      // The rest is sent only once the server has begun to receive: the gateway does not wait for the whole body.
      void once(streamEvents, 'request-started').then(() => {
        let left = REQUEST_BYTES - first.length;
        const writeMore = (): void => {
          while (left > 0) {
            const chunk = randomBytes(Math.min(left, 1 << 20));
            left -= chunk.length;
            sent.update(chunk);
            if (!req.write(chunk)) {
              req.once('drain', writeMore);
              return;
            }
          }
          req.end();
        };
        writeMore();
      });
    });
    expect(result.headers['x-request-bytes']).toBe(String(REQUEST_BYTES));
    expect(result.headers['x-request-sha256']).toBe(sent.digest('hex'));
    expect(result.bytes).toBe(ANSWER_BYTES);
    expect(received.digest('hex')).toBe(result.headers['x-answer-sha256']);
  }, 60_000);
});

describe('return', () => {
  it('return 301 URL: the Location, with variables', async () => {
    const r = await get(port, '/moved/page?x=1');
    expect(r.status).toBe(301);
    expect(r.headers.get('location')).toBe('https://example.com/moved/page?x=1');
  });

  it('return 200 TEXT with variables, keyval ones too', async () => {
    await api(port, '/api/9/http/keyvals/texts', { method: 'POST', body: JSON.stringify({ t3: 'stored' }) });
    const r = await get(port, '/text?text=t3');
    expect([r.status, r.text]).toEqual([200, 'text=stored, client=127.0.0.1']);
  });

  it('return runs before the access rules (nginx\'s rewrite phase)', async () => {
    expect((await get(port, '/denied')).status).toBe(204);
  });

  it('return 444 closes the connection without an answer', async () => {
    await expect(get(port, '/close')).rejects.toThrow();
  });

  it('a server-level return answers every request of that server, before any location', async () => {
    const other = up['returnPort']!.port;
    const before = up['echo']!.seen.length;
    expect((await get(other, '/')).status).toBe(403);
    expect((await get(other, '/nowhere')).status).toBe(403);
    expect(up['echo']!.seen.length).toBe(before);
  });
});
