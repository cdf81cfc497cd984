// The front end's time bounds, shortened so that a test can see them: a head or a body that
// stops arriving is answered 408 RequestTimeout with the error body, the connection closed,
// and nothing of the request reaches a handler or the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { parseConfigText } from '../../dist/config/index.js';
import { FrontEnd } from '../../dist/runtime/front-end.js';
import { LimitReqGate } from '../../dist/runtime/limit-req-gate.js';
import { Gateway, gatewayDataOf } from '../../dist/gateway/gateway.js';
import { Variables } from '../../dist/gateway/variables.js';
import { freePorts } from './cluster-helpers.js';
import { errorBodyOf, rawExchange } from './raw-http.js';

let port: number;
let frontEnd: FrontEnd;
const reached: string[] = [];

beforeAll(async () => {
  [port] = await freePorts(1) as [number];
  const config = parseConfigText(`http { server { listen 127.0.0.1:${port}; location /api { api write=on; } location / { } } }`, '/x/zonesync.conf');
  frontEnd = new FrontEnd({
    content: async (req, res) => {
      reached.push(`content ${req.url}`);
      res.end();
    },
    handle: async (request) => {
      reached.push(`handler ${request.url}`);
      return { status: 200, body: '' };
    },
    limits: new LimitReqGate(new Map(), {}, new Variables()),
    gateway: new Gateway({ data: gatewayDataOf(config), sticky: new Map(), variables: new Variables(), logger: pino({ level: 'silent' }) }),
    logger: pino({ level: 'silent' }),
    handlerOverride: null,
    timeouts: { headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 50 },
  });
  await frontEnd.listen(config.http!);
});

afterAll(() => frontEnd.close());

describe('requests that stop arriving', () => {
  it.each([
    ['a head that never ends', 'GET /api/9/ HTTP/1.1\r\nHost: x\r\nX-Slow: '],
    ['an API body that never ends', 'POST /api/9/http/keyvals/one HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n{"a":'],
    ['a handler body that never ends', 'POST /slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n'],
  ])('%s: 408 RequestTimeout (the API\'s error body, nginx\'s page elsewhere), the connection closed', async (what, raw) => {
    const x = await rawExchange(port, raw, { timeoutMs: 10_000 });
    expect(x.responses.length).toBe(1);
    const r = x.responses[0]!;
    expect(r.status).toBe(408);
    expect(r.headers['connection']).toBe('close');
    if (what.startsWith('a handler')) expect(r.body.toString()).toContain('<title>408 Request Time-out</title>');
    else expect(errorBodyOf(r.body)).toMatchObject({ status: 408, code: 'RequestTimeout' });
    expect(x.closedByServer).toBe(true);
    expect(reached).toEqual([]);
  });
});
