// How a handler's answer is framed on the wire: by Content-Length (the body's bytes, not its
// characters), unless the handler framed it itself or the status has no body; every byte
// the front end sent, read off a raw socket, several answers on one keep-alive connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { parseConfigText } from '../../dist/config/index.js';
import { FrontEnd } from '../../dist/runtime/front-end.js';
import { LimitReqGate } from '../../dist/runtime/limit-req-gate.js';
import { Gateway, gatewayDataOf } from '../../dist/gateway/gateway.js';
import { Variables } from '../../dist/gateway/variables.js';
import { createZones } from '../../dist/runtime/zone-set.js';
import { createNodeContext } from '../../dist/zones/index.js';
import type { HandlerResponse } from '../../dist/runtime/handler-types.js';
import { freePorts } from './cluster-helpers.js';
import { rawExchange } from './raw-http.js';

let port: number;
let frontEnd: FrontEnd;
/** What the handler answers, by request path. */
const answers = new Map<string, HandlerResponse>();

beforeAll(async () => {
  [port] = await freePorts(1) as [number];
  const config = parseConfigText(`http { server { listen 127.0.0.1:${port}; location / { } } }`, '/x/zonesync.conf');
  const { zones } = createZones(config, createNodeContext(1));
  frontEnd = new FrontEnd({
    content: async () => { throw new Error('no own content here'); },
    handle: (request) => answers.get(request.url.split('?')[0]!) ?? { status: 404 },
    limits: new LimitReqGate(zones.limitReq, {}, new Variables()),
    gateway: new Gateway({ data: gatewayDataOf(config), sticky: zones.sticky, variables: new Variables(), logger: pino({ level: 'silent' }) }),
    logger: pino({ level: 'silent' }),
    handlerOverride: null,
  });
  await frontEnd.listen(config.http!);
});

afterAll(() => frontEnd.close());

/** GETs (or HEADs) each path in turn on one keep-alive connection. */
async function fetchRaw(paths: string[], method = 'GET'): Promise<Awaited<ReturnType<typeof rawExchange>>> {
  const request = paths.map((p) => `${method} ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
  return rawExchange(port, request, { responses: paths.length, head: method === 'HEAD' });
}

describe("a handler's answer on the wire", () => {
  const shared = Object.freeze({ 'content-type': 'text/plain' });
  it.each<[string, HandlerResponse, { length: string | undefined; chunked: boolean; body: string }]>([
    ['ASCII', { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' }, { length: '5', chunked: false, body: 'hello' }],
    ['non-ASCII: bytes, not characters', { body: 'héllo → 世界' }, { length: String(Buffer.byteLength('héllo → 世界')), chunked: false, body: 'héllo → 世界' }],
    ['an empty body', { status: 200, body: '' }, { length: '0', chunked: false, body: '' }],
    ['no body field', { status: 201 }, { length: '0', chunked: false, body: '' }],
    ['a frozen headers object shared by every answer', { headers: shared, body: 'abc' }, { length: '3', chunked: false, body: 'abc' }],
    ["the handler's own Content-Length", { headers: { 'Content-Length': '3' }, body: 'abc' }, { length: '3', chunked: false, body: 'abc' }],
    ["the handler's own chunked framing", { headers: { 'TRANSFER-ENCODING': 'chunked' }, body: 'abc' }, { length: undefined, chunked: true, body: 'abc' }],
    ['204: no body, no length', { status: 204 }, { length: undefined, chunked: false, body: '' }],
    ['304: no body, no length', { status: 304 }, { length: undefined, chunked: false, body: '' }],
  ])('%s', async (what, response, expected) => {
    const path = `/${encodeURIComponent(what)}`;
    answers.set(path, response);
    // Twice on one connection: the framing must end each answer where the next begins.
    const { responses, rest } = await fetchRaw([path, path]);
    expect(responses).toHaveLength(2);
    expect(rest.length).toBe(0);
    for (const r of responses) {
      expect(r.status).toBe(response.status ?? 200);
      expect(r.headers['content-length']).toBe(expected.length);
      expect(r.headers['transfer-encoding'] === 'chunked').toBe(expected.chunked);
      expect(r.body.toString()).toBe(expected.body);
    }
    expect(shared).toEqual({ 'content-type': 'text/plain' });
  });

  it('HEAD: the length of the body a GET would get, and no body', async () => {
    answers.set('/head', { body: 'twelve bytes' });
    const { responses, rest } = await fetchRaw(['/head', '/head'], 'HEAD');
    expect(responses.map((r) => [r.status, r.headers['content-length'], r.body.length])).toEqual([[200, '12', 0], [200, '12', 0]]);
    expect(rest.length).toBe(0);
  });
});
