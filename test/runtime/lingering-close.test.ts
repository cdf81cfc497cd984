// nginx's lingering close on a real node, on both serving paths: an answer that closes its
// connection while the client is still sending (a body over its bound, any refusal that
// says Connection: close before the body is read) reaches the client whole, followed by a
// FIN, and the server reads and drops what the client still sends instead of resetting the
// connection; a client that stops is let go cleanly, one that never stops is cut off after
// the bound (lingering_time, lingering_timeout, LINGERING_MAX_BYTES), and a graceful QUIT
// does not wait for a lingering connection. An answer that keeps its connection open before
// the body is read leaves the rest of the body to be dropped within lingering_time and
// lingering_timeout, the connection serving on when the body ends in time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePorts, waitFor } from './cluster-helpers.js';
import { RawConnection, rawExchange, sendingExchange, type SendingExchange, type SendingOptions } from './raw-http.js';
import { SERVING_PATHS, startNodeOn, type RunningNode, type ServingPath } from '../gateway/serving-paths.js';
import { LINGERING_MAX_BYTES } from '../../dist/api/lingering-close.js';

const MiB = 1024 * 1024;
const DECLARED = 64 * MiB;

/** A request head; `fields` after Host. */
const head = (line: string, ...fields: string[]): string => [line, 'Host: 127.0.0.1', ...fields, '', ''].join('\r\n');

/** The one answer the client read, whole, and how the connection ended: a FIN from the server, no reset. */
function expectAnsweredAndClosedCleanly(x: SendingExchange, status: number): void {
  expect(x.timedOut, 'the exchange never ended').toBe(false);
  expect(x.responses.map((r) => r.status), `answers; then ${JSON.stringify(x.rest.toString('latin1').slice(0, 120))}`).toEqual([status]);
  expect(x.rest.length, 'bytes after the answer').toBe(0);
  expect(x.responses[0]!.headers['connection']).toBe('close');
  expect(x.closedByServer, 'the server sent no FIN').toBe(true);
  expect(x.reset, `the connection was reset (the client had sent ${x.sentBytes} body bytes)`).toBe(false);
}

/** A server behind the node's proxy_pass location: reads each body whole, then answers 200. */
async function startUpstream(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('upstream\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe.each(SERVING_PATHS)('lingering close with nginx\'s defaults, $name', (path) => {
  let port: number;
  let running: RunningNode | undefined;
  let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined;

  beforeAll(async () => {
    upstream = await startUpstream();
    [port] = await freePorts(1) as [number];
    running = await startNodeOn(path, 'node.conf', `http {
    keyval_zone zone=one:1m;
    limit_req_zone $binary_remote_addr zone=once:1m rate=1r/m;
    upstream app { server 127.0.0.1:${upstream.port}; }
    server {
        listen 127.0.0.1:${port};
        location /api { api write=on; }
        location /small { client_max_body_size 1k; proxy_pass http://app; }
        location /limited { limit_req zone=once; keepalive_timeout 0; }
        location /denied { deny all; keepalive_timeout 0; }
        location /app { }
    }
}
`);
  }, 300_000);

  afterAll(async () => {
    await running?.stop();
    await upstream?.close();
  });

  const API = '/api/9/http/keyvals/one';
  const LENGTH = `Content-Length: ${DECLARED}`;
  const CHUNKED = 'Transfer-Encoding: chunked';
  /* The client goes on writing the body well after the answer and the server's FIN are in. */
  const ON: SendingOptions = { bodyBytes: DECLARED, afterAnswerBytes: 2 * MiB };

  it.each<[string, string, SendingOptions, number]>([
    ['the API, POST declaring 64 MiB', head(`POST ${API} HTTP/1.1`, 'Content-Type: application/json', LENGTH), ON, 413],
    ['the API, PATCH of a chunked body that grows past 1 MiB', head(`PATCH ${API} HTTP/1.1`, CHUNKED), { ...ON, bodyBytes: Infinity, chunked: true }, 413],
    ['the API, HEAD declaring 64 MiB', head('HEAD /api/10/ HTTP/1.1', LENGTH), { ...ON, head: true }, 413],
    ['the API, the whole body of 1 MiB + 100 written, as the fuzz test writes it', head(`PATCH ${API} HTTP/1.1`, `Content-Length: ${MiB + 100}`), { bodyBytes: MiB + 100 }, 413],
    ['the API, Expect: 100-continue, the body sent all the same', head(`POST ${API} HTTP/1.1`, 'Expect: 100-continue', LENGTH), ON, 413],
    ['the API, Expect: 100-continue, the client waits and sends no body', head(`POST ${API} HTTP/1.1`, 'Expect: 100-continue', LENGTH), { bodyBytes: 0, awaitAnswer: true }, 413],
    ['the API, the whole body, then a pipelined request that is not served', head(`POST ${API} HTTP/1.1`, `Content-Length: ${2 * MiB}`),
      { bodyBytes: 2 * MiB, then: head('GET /api/9/nginx HTTP/1.1') }, 413],
    ['a proxy_pass location with client_max_body_size 1k, declaring 64 MiB', head('POST /small HTTP/1.1', LENGTH), ON, 413],
    ['a proxy_pass location with client_max_body_size 1k, a chunked body', head('POST /small HTTP/1.1', CHUNKED), { ...ON, bodyBytes: Infinity, chunked: true }, 413],
    ['a handler\'s location, declaring 64 MiB', head('PUT /app/upload HTTP/1.1', LENGTH), ON, 413],
    ['a 403 of deny that closes (keepalive_timeout 0)', head('POST /denied HTTP/1.1', LENGTH), ON, 403],
  ])('%s: the client reads the whole answer, then the FIN; no reset', async (_name, request, options, status) => {
    expectAnsweredAndClosedCleanly(await sendingExchange(port, request, options), status);
  });

  it('a limit_req refusal that closes (keepalive_timeout 0), the client still sending: 503 whole, then the FIN; no reset', async () => {
    // The zone takes one request a minute: this one uses it up, so the next is refused.
    await rawExchange(port, head('GET /limited HTTP/1.1'), { responses: 1 });
    expectAnsweredAndClosedCleanly(await sendingExchange(port, head('POST /limited HTTP/1.1', LENGTH), ON), 503);
  });
});

/** A node on `path` with the configuration `config(port)`, started before the tests of the describe that calls this and stopped after them; `port` once started. */
function nodeForDescribe(path: ServingPath, config: (port: number) => string): { port: number } {
  const node = { port: 0 };
  let running: RunningNode | undefined;
  beforeAll(async () => {
    [node.port] = await freePorts(1) as [number];
    running = await startNodeOn(path, 'node.conf', config(node.port));
  }, 300_000);
  afterAll(async () => {
    await running?.stop();
  });
  return node;
}

/*
 * Locations with their own lingering settings; every answer closes (keepalive_timeout 0):
 *   /on      nginx's defaults (lingering_close on, lingering_time 30s, lingering_timeout 5s)
 *   /time    lingering_time 2s
 *   /silence lingering_timeout 1s, lingering_time 1h
 *   /off     lingering_close off
 *   /always  lingering_close always
 *   /long    lingering_time and lingering_timeout 1h
 */
function boundsConfig(port: number): string {
  return `http {
    keepalive_timeout 0;
    server {
        listen 127.0.0.1:${port};
        location /api { api; keepalive_timeout 75s; }
        location /on { deny all; }
        location /time { lingering_time 2s; deny all; }
        location /silence { lingering_timeout 1s; lingering_time 1h; deny all; }
        location /off { lingering_close off; deny all; }
        location /always { lingering_close always; deny all; }
        location /long { lingering_time 1h; lingering_timeout 1h; deny all; }
    }
}
`;
}

describe.each(SERVING_PATHS)('the bounds of a lingering close, $name', (path) => {
  const node = nodeForDescribe(path, boundsConfig);

  /** The client connections the node counts as idle: those that linger after their last answer, as nginx counts them. */
  const idleConnections = async (): Promise<number> => {
    const x = await rawExchange(node.port, head('GET /api/9/connections HTTP/1.1', 'Connection: close'), { responses: 1 });
    return (JSON.parse(x.responses[0]!.body.toString()) as { idle: number }).idle;
  };

  it('a client that never stops sending is cut off once LINGERING_MAX_BYTES are dropped, after reading the whole answer', async () => {
    const x = await sendingExchange(node.port, head('POST /on HTTP/1.1', `Content-Length: ${1024 * MiB}`), { bodyBytes: 1024 * MiB, timeoutMs: 60_000 });
    expect(x.timedOut).toBe(false);
    expect(x.responses.map((r) => r.status)).toEqual([403]);
    expect(x.closedByServer).toBe(true);
    expect(x.reset, 'the client was not cut off').toBe(true);
    expect(x.sentBytes).toBeGreaterThan(LINGERING_MAX_BYTES);
    expect(x.sentBytes).toBeLessThan(1024 * MiB);
  });

  it('a client that never stops sending, slowly, is cut off after lingering_time, having read the whole answer', async () => {
    const x = await sendingExchange(node.port, head('POST /time HTTP/1.1', `Content-Length: ${DECLARED}`), { bodyBytes: DECLARED, chunkBytes: 1024, pauseMs: 50, timeoutMs: 60_000 });
    expect(x.timedOut).toBe(false);
    expect(x.responses.map((r) => r.status)).toEqual([403]);
    expect(x.closedByServer).toBe(true);
    expect(x.reset, 'the client was not cut off').toBe(true);
    expect(x.sentBytes).toBeLessThan(LINGERING_MAX_BYTES);
  });

  it('a client that stops sending but keeps its side open: the server closes the connection after lingering_timeout, cleanly', async () => {
    const x = await sendingExchange(node.port, head('POST /silence HTTP/1.1', `Content-Length: ${DECLARED}`), { bodyBytes: DECLARED, afterAnswerBytes: 2 * MiB, endAfter: false });
    try {
      expect(x.responses.map((r) => r.status)).toEqual([403]);
      expect(x.closedByServer).toBe(true);
      expect(x.reset).toBe(false);
      // lingering_time is an hour: only the silence ends it.
      await waitFor(async () => await idleConnections() === 0, 20_000, () => 'the server kept the silent connection');
      expect(x.socket.destroyed, 'the client saw an error while silent').toBe(false);
    } finally {
      x.socket.destroy();
    }
  });

  /* Without lingering the connection is reset, and the client may not even have read the answer: only the reset is certain. */
  const expectLingered = (x: SendingExchange, lingered: boolean): void => {
    if (lingered) expectAnsweredAndClosedCleanly(x, 403);
    else expect(x.reset, 'the connection was not reset').toBe(true);
  };

  it.each<[string, boolean]>([['/off', false], ['/on', true], ['/always', true]])(
    'lingering_close: a body still sent after the answer of %s (lingers: %s)',
    async (location, lingered) => {
      expectLingered(await sendingExchange(node.port, head(`POST ${location} HTTP/1.1`, `Content-Length: ${DECLARED}`), { bodyBytes: DECLARED, afterAnswerBytes: 8 * MiB }), lingered);
    },
  );

  it.each<[string, boolean]>([['/on', false], ['/always', true]])(
    'lingering_close: bytes sent after the answer to a request with no body, at %s (lingers: %s)',
    async (location, lingered) => {
      // The "body" follows a whole GET: bytes the server did not expect (nginx's `on` does not linger then, `always` does).
      expectLingered(await sendingExchange(node.port, head(`GET ${location} HTTP/1.1`), { bodyBytes: Infinity, afterAnswerBytes: 8 * MiB }), lingered);
    },
  );
});

/*
 * Locations whose answers keep the connection open (keepalive_timeout 75s) before the body is read:
 *   /time     deny, lingering_time 1s
 *   /silence  deny, lingering_timeout 1s, lingering_time 1h
 *   /off      deny, lingering_close off, lingering_time 1s
 *   /limited  limit_req of one request a minute, lingering_time 1s
 *   /returned return 204, lingering_time 1s
 *   /both     deny, lingering_time and lingering_timeout 1s
 *   /idle     deny, keepalive_timeout 1s, lingering_time and lingering_timeout 1h
 */
function discardConfig(port: number): string {
  return `http {
    limit_req_zone $binary_remote_addr zone=once:1m rate=1r/m;
    server {
        listen 127.0.0.1:${port};
        location /api { api; }
        location /time { lingering_time 1s; deny all; }
        location /silence { lingering_timeout 1s; lingering_time 1h; deny all; }
        location /off { lingering_close off; lingering_time 1s; deny all; }
        location /limited { limit_req zone=once; lingering_time 1s; }
        location /returned { lingering_time 1s; return 204; }
        location /both { lingering_time 1s; lingering_timeout 1s; deny all; }
        location /idle { keepalive_timeout 1s; lingering_time 1h; lingering_timeout 1h; deny all; }
    }
}
`;
}

describe.each(SERVING_PATHS)('discarding the body after an answer that keeps the connection open, $name', (path) => {
  const node = nodeForDescribe(path, discardConfig);

  const CHUNKED = 'Transfer-Encoding: chunked';
  const CHUNK = `400\r\n${'x'.repeat(1024)}\r\n`;
  const LAST_CHUNK = '0\r\n\r\n';

  /** The answer to a request whose body is still to come, on `conn`: it keeps the connection open. */
  const refusedKeptOpen = async (conn: RawConnection, location: string, status: number): Promise<void> => {
    conn.write(head(`POST ${location} HTTP/1.1`, CHUNKED) + CHUNK);
    const answer = await conn.answer(`POST ${location}`);
    expect(answer.status).toBe(status);
    expect(answer.headers['connection']).toBe('keep-alive');
  };

  it.each<[string, string, number]>([
    ['a deny', '/time', 403],
    ['a deny where lingering_close is off', '/off', 403],
    ['a limit_req refusal', '/limited', 503],
    ['a return', '/returned', 204],
  ])('%s: a chunked body that never ends is cut off after lingering_time, the client still sending', async (_name, location, status) => {
    // /limited takes one request a minute: this one uses it up, so the next is refused.
    if (location === '/limited') await rawExchange(node.port, head('GET /limited HTTP/1.1', 'Connection: close'), { responses: 1 });
    // A kilobyte every 50 ms: never silent for lingering_timeout (5s), never done.
    const x = await sendingExchange(node.port, head(`POST ${location} HTTP/1.1`, CHUNKED), { bodyBytes: Infinity, chunked: true, chunkBytes: 1024, pauseMs: 50, timeoutMs: 30_000 });
    expect(x.timedOut, 'the server let the body go on').toBe(false);
    expect(x.responses.map((r) => r.status)).toEqual([status]);
    expect(x.responses[0]!.headers['connection']).toBe('keep-alive');
    expect(x.closedByServer || x.reset, 'the connection did not end').toBe(true);
  }, 60_000);

  it('a body that stops coming, the socket open, is cut off after lingering_timeout', async () => {
    const conn = await RawConnection.open(node.port);
    try {
      await refusedKeptOpen(conn, '/silence', 403);
      await waitFor(() => conn.closedByServer, 20_000, () => 'the server kept the connection whose body fell silent');
    } finally {
      conn.close();
    }
  }, 30_000);

  it.each<[string, string, number[]]>([
    ['alone', CHUNK + LAST_CHUNK, []],
    ['in the same write as the next request', LAST_CHUNK + head('POST /both HTTP/1.1', 'Content-Length: 2') + 'xx', [403]],
  ])('a body that ends in time, %s: the connection serves on, later too, neither bound having cut it', async (_name, rest, pipelined) => {
    const conn = await RawConnection.open(node.port);
    try {
      await refusedKeptOpen(conn, '/both', 403);
      conn.write(rest);
      for (const status of pipelined) expect((await conn.answer('the pipelined request')).status).toBe(status);
      // Longer than lingering_time and lingering_timeout of /both.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(conn.closedByServer, 'the server closed the connection after the body ended').toBe(false);
      expect((await conn.get('/api/9/nginx', '127.0.0.1')).status).toBe(200);
    } finally {
      conn.close();
    }
  });

  it('once the body has ended, the connection waits idle for keepalive_timeout, then is closed', async () => {
    const conn = await RawConnection.open(node.port);
    try {
      await refusedKeptOpen(conn, '/idle', 403);
      conn.write(LAST_CHUNK);
      // keepalive_timeout 1s; the lingering bounds are an hour: only the idle timer closes it.
      await waitFor(() => conn.closedByServer, 20_000, () => 'the server kept the idle connection past keepalive_timeout');
    } finally {
      conn.close();
    }
  });
});

describe.each(SERVING_PATHS)('QUIT while a connection lingers, $name', (path) => {
  it('the node stops without waiting for the lingering connection; the client had read the whole answer', async () => {
    const [port] = await freePorts(1) as [number];
    const running = await startNodeOn(path, 'node.conf', boundsConfig(port));
    try {
      let answered = false;
      const exchange = sendingExchange(port, head('POST /long HTTP/1.1', `Content-Length: ${DECLARED}`), {
        bodyBytes: DECLARED, chunkBytes: 1024, pauseMs: 50, timeoutMs: 120_000, onAnswer: () => { answered = true; },
      });
      await waitFor(() => answered, 20_000, () => 'no answer');
      running.node.signal('SIGQUIT');
      expect(await running.node.exited).toBe(0);
      const x = await exchange;
      expect(x.timedOut).toBe(false);
      expect(x.responses.map((r) => r.status)).toEqual([403]);
      expect(x.closedByServer).toBe(true);
    } finally {
      await running.stop();
    }
  }, 120_000);
});
