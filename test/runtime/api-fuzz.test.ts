// Random requests at a live node (`node dist/primary.js`): methods, paths, headers and bodies
// of every kind (malformed JSON, unicode, NUL bytes, wrong content types, heads and bodies
// over the bounds, raw garbage). For each answer: the node is alive and answered, the status
// is one the documentation lists, an error carries the NGINX Plus error body, and the keyval
// zones hold exactly what a model holds that applies a write only when its answer says that
// it succeeded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NodeProcess, freePorts, tempDir, writeConfig } from './cluster-helpers.js';
import { errorBodyOf, rawExchange, type RawExchange, type RawResponse } from './raw-http.js';

const ZONES = ['one', 'plain'] as const;
const AUTH = `Basic ${Buffer.from('ops:secret').toString('base64')}`;
/** Locations whose API takes writes (with AUTH for /authed). */
const WRITE_PREFIXES = ['/api', '/authed'];
const API_PREFIXES = ['/api', '/ro', '/guarded', '/authed'];
/** Every status the README and docs/API.md document for this configuration. */
const DOCUMENTED = new Set([200, 201, 204, 400, 401, 403, 404, 405, 408, 409, 413, 414, 431, 507]);
const LONG_EXPIRE_MS = 3_600_000;

let port: number;
let node: NodeProcess;
let cleanup: () => void;

beforeAll(async () => {
  const dir = tempDir();
  cleanup = dir.cleanup;
  [port] = await freePorts(1) as [number];
  writeConfig(dir.dir, 'htpasswd', 'ops:{PLAIN}secret\n');
  node = new NodeProcess(writeConfig(dir.dir, 'fuzz.conf', `worker_processes 1;
http {
    keyval_zone zone=one:4m timeout=1h;
    keyval_zone zone=plain:4m;
    server {
        listen 127.0.0.1:${port};
        location /api { api write=on; }
        location /ro { api; }
        location /guarded { api write=on; allow 10.9.9.9; deny all; }
        location /authed { api write=on; auth_basic "zs"; auth_basic_user_file htpasswd; }
        location = /livez { zonesync_health live; }
        location = /metrics { zonesync_metrics; }
        location /app { }
    }
}
`));
  await node.ready();
});

afterAll(async () => {
  await node?.stop();
  cleanup?.();
});

// ---- the requests ----

interface FuzzRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
  readonly framing: 'length' | 'chunked' | 'none';
  readonly host: boolean;
  /** Sent as is instead of a request built from the fields above. */
  readonly garbage: Uint8Array | null;
}

const KEYS = ['a', 'b', 'k', '__proto__', 'ключ', '🔑', 'a b', 'x\u0000y', ''];
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: anyText });
const value = fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 30 }) }, { weight: 1, arbitrary: anyText });
const expire = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: LONG_EXPIRE_MS, max: 1e9 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, 'x', null, 1e300) },
);
const keySpec = fc.oneof(
  value,
  fc.constant(null),
  fc.record({ value, expire }, { requiredKeys: [] }),
  fc.record({ value: fc.oneof(fc.integer(), fc.boolean(), fc.constant([])), expire }, { requiredKeys: [] }),
  fc.constant({ other: 'field' }),
);
const keyvalBody = fc.dictionary(key, keySpec, { minKeys: 0, maxKeys: 4 }).map((o) => JSON.stringify(o));
const bodyText = fc.oneof(
  { weight: 6, arbitrary: keyvalBody },
  { weight: 2, arbitrary: fc.json({ maxDepth: 2 }) },
  { weight: 1, arbitrary: keyvalBody.map((t) => t.slice(0, Math.max(0, t.length - 1 - (t.length % 3)))) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '{}', '[]', 'null', '\uFEFF{"a":"1"}', `{"a":"${'v'.repeat(70_000)}"}`) },
);
const body = fc.oneof(
  { weight: 12, arbitrary: bodyText.map((t) => new TextEncoder().encode(t)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(1024 * 1024 + 100).fill(0x7b)) },
);

const PATHS = [
  ...ZONES.flatMap((z) => [`/api/9/http/keyvals/${z}`, `/authed/9/http/keyvals/${z}`]),
  '/ro/9/http/keyvals/one', '/guarded/9/http/keyvals/one', '/api/9/http/keyvals/', '/api/9/stream/keyvals/one',
  '/api/', '/api/9/', '/api/10/', '/api/9/http/', '/api/9/nginx', '/livez', '/metrics', '/app', '/app/x', '/', '/nowhere',
  '/api/1/http/keyvals/one', '/api/9//http/keyvals/one/', '/api/9/http/keyvals/%6Fne', '/api/9/http/keyvals/one/extra',
];
const pathSuffix = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom('?key=a', '?key=', '?fields=', '?key=%ZZ', '/', '%', '%00', '?a=b&key=k') },
  { weight: 1, arbitrary: fc.webSegment().map((s) => `/${s}`) },
  { weight: 1, arbitrary: anyText.map((s) => encodeURI(s.replace(/[\uD800-\uDFFF]/g, ''))) },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: fc.constant(`/${'p'.repeat(9000)}`) },
);
const target = fc.tuple(fc.constantFrom(...PATHS), pathSuffix).map(([p, s]) => p + s);

const method = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PATCH', 'DELETE') },
  { weight: 2, arbitrary: fc.constantFrom('PUT', 'OPTIONS', 'TRACE', 'PROPFIND', 'CONNECT', 'FOO', 'BREW', 'get', 'PATCH ', '') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 8 }) },
);

/** Header values without CR or LF: a line break would let one request frame another. */
const headerText = (t: string): string => t.replace(/[\r\n]/g, '');
const header = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constant('Content-Type'), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=latin1')) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('Authorization'), fc.constantFrom(AUTH, AUTH, 'Basic', 'Basic !!!', `Basic ${Buffer.from('ops:wrong').toString('base64')}`, 'Bearer x')) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('Expect', 'Connection', 'Upgrade', 'Accept', 'Cookie', 'X-Forwarded-For', 'Host'),
    fc.constantFrom('100-continue', 'something', 'close', 'keep-alive', 'Upgrade', 'websocket', 'h2c', '*/*', 'session=1', '10.0.0.1')) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 }).map(headerText), anyText.map(headerText)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('X-Text', 'User-Agent'), anyText.map(headerText)) },
  { weight: 1, arbitrary: fc.constant(['X-Nul', 'a\u0000b'] as const) },
  { weight: 1, arbitrary: fc.constant(['X-Huge', 'h'.repeat(40_000)] as const) },
);

/** Requests the API takes: simple writes to the two zones, most of which succeed. */
const simpleSpec = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('1', '2', 'value', 'ünï') },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.record({ value: fc.constantFrom('v', 'w'), expire: fc.constant(LONG_EXPIRE_MS) }, { requiredKeys: ['value'] }) },
);
const simpleWrite: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constantFrom('POST', 'POST', 'PATCH', 'PATCH', 'DELETE', 'GET'),
  target: fc.constantFrom(...ZONES.map((z) => `/api/9/http/keyvals/${z}`)),
  body: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) })
    .chain((n) => fc.dictionary(fc.constantFrom('a', 'b', 'c', '__proto__', '🔑'), simpleSpec, { minKeys: n, maxKeys: n }))
    .map((o) => new TextEncoder().encode(JSON.stringify(o))),
  headers: fc.constant([['Content-Type', 'application/json'] as const]),
  framing: fc.constantFrom('length', 'chunked'),
  host: fc.constant(true),
  garbage: fc.constant(null),
});

const wild: fc.Arbitrary<FuzzRequest> = fc.record({
  method, target, body,
  headers: fc.array(header, { maxLength: 3 }),
  framing: fc.constantFrom('length', 'length', 'length', 'chunked', 'none'),
  host: fc.oneof({ weight: 15, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  garbage: fc.constant(null),
}).map((r) => (r.framing === 'none' ? { ...r, body: new Uint8Array(0) } : r));
// Blank lines before a request line are ignored (RFC 9112 section 2.2; nginx and Node alike): bytes that are only CR
// and LF begin no request, and the node rightly waits for one. Garbage holds some other byte.
const garbage: fc.Arbitrary<FuzzRequest> = fc.uint8Array({ minLength: 1, maxLength: 200 }).filter((bytes) => bytes.some((b) => b !== 0x0d && b !== 0x0a)).map((bytes) => ({
  method: '', target: '', headers: [], body: new Uint8Array(0), framing: 'none', host: true,
  garbage: Buffer.concat([bytes, Buffer.from('\r\n\r\n')]),
}));
const fuzzRequest = fc.oneof({ weight: 8, arbitrary: simpleWrite }, { weight: 12, arbitrary: wild }, { weight: 1, arbitrary: garbage });

function encode(r: FuzzRequest): Buffer {
  if (r.garbage !== null) return Buffer.from(r.garbage);
  const lines = [`${r.method} ${r.target} HTTP/1.1`];
  if (r.host) lines.push('Host: 127.0.0.1');
  for (const [name, text] of r.headers) lines.push(`${name}: ${text}`);
  if (r.framing === 'length') lines.push(`Content-Length: ${r.body.length}`);
  if (r.framing === 'chunked') lines.push('Transfer-Encoding: chunked');
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  if (r.framing !== 'chunked') return Buffer.concat([head, r.body]);
  const chunks = r.body.length === 0 ? [] : [Buffer.from(`${r.body.length.toString(16)}\r\n`), r.body, Buffer.from('\r\n')];
  return Buffer.concat([head, ...chunks, Buffer.from('0\r\n\r\n')]);
}

// ---- the model ----

type Zones = Map<string, Map<string, string>>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The zone a write went to, read from the path as the API reads it; null: not a keyval zone. */
function zoneOf(target: string): string | null {
  const path = target.split('?')[0]!;
  const prefix = WRITE_PREFIXES.find((p) => path.startsWith(p));
  if (prefix === undefined) return null;
  let segments: string[];
  try {
    segments = path.slice(prefix.length).split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
  const [, module, keyvals, zone, ...more] = segments;
  return module === 'http' && keyvals === 'keyvals' && more.length === 0 && zone !== undefined && ZONES.includes(zone as never) ? zone : null;
}

/** Applies a write the node said succeeded (201 POST, 204 PATCH or DELETE). */
function applySuccess(model: Zones, r: FuzzRequest, status: number): void {
  const zoneName = zoneOf(r.target);
  if (zoneName === null) return;
  const zone = model.get(zoneName)!;
  if (r.method === 'DELETE' && status === 204) {
    zone.clear();
    return;
  }
  if (!((r.method === 'POST' && status === 201) || (r.method === 'PATCH' && status === 204))) return;
  const written = JSON.parse(utf8.decode(r.body)) as Record<string, unknown>;
  for (const [k, spec] of Object.entries(written)) {
    if (spec === null) zone.delete(k);
    else if (typeof spec === 'string') zone.set(k, spec);
    else if (typeof (spec as { value?: unknown }).value === 'string') zone.set(k, (spec as { value: string }).value);
  }
}

function sorted(entries: Iterable<[string, string]>): [string, string][] {
  return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

async function zonesOnNode(): Promise<Record<string, [string, string][]>> {
  const x = await rawExchange(port, 'GET /api/9/http/keyvals/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { responses: 1 });
  const all = JSON.parse(x.responses[0]!.body.toString('utf8')) as Record<string, Record<string, string>>;
  return Object.fromEntries(ZONES.map((z) => [z, sorted(Object.entries(all[z] ?? {}))]));
}

// ---- what every answer must be ----

/* The targets of the locations that serve the node's own content (their errors are the JSON body). */
const OWN_LOCATION = /^\/(api|ro|guarded|authed)|^\/(livez|metrics)([?#]|$)/;

function checkAnswer(r: FuzzRequest, x: RawExchange): RawResponse {
  const final = x.responses.filter((res) => res.status >= 200);
  expect(final.length, `no answer; the node sent ${JSON.stringify(x.rest.toString('latin1').slice(0, 120))}`).toBeGreaterThanOrEqual(1);
  const res = final[0]!;
  expect(DOCUMENTED.has(res.status), `status ${res.status} is not documented`).toBe(true);
  const isHead = r.garbage === null && r.method === 'HEAD';
  if (res.status >= 400 && res.headers['content-type'] === 'text/html') {
    // nginx's page: only outside the node's own locations (the handler's, or none)
    expect(OWN_LOCATION.test(r.target), `an HTML page from ${r.target}`).toBe(false);
    if (!isHead) expect(res.body.toString('latin1')).toContain(`<head><title>${res.status} `);
  } else if (res.status >= 400) {
    expect(res.headers['content-type']).toBe('application/json');
    if (!isHead) expect(errorBodyOf(res.body), `not an error body: ${res.body.toString('utf8').slice(0, 200)}`).toMatchObject({ status: res.status });
  } else if (res.status === 201 || res.status === 204) {
    expect(res.body.length).toBe(0);
  } else if (!isHead && !r.target.startsWith('/metrics')) {
    expect(() => JSON.parse(res.body.toString('utf8')), `200 without JSON: ${res.body.toString('utf8').slice(0, 200)}`).not.toThrow();
  }
  return res;
}

describe('random requests at a live node', () => {
  it('the node lives, answers every request with a documented status and body, and changes zones only on success', async () => {
    let sent = 0;
    await fc.assert(fc.asyncProperty(fc.array(fuzzRequest, { minLength: 1, maxLength: 30, size: 'max' }), async (requests) => {
      for (const z of ZONES) {
        await rawExchange(port, `DELETE /api/9/http/keyvals/${z} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, { responses: 1 });
      }
      const model: Zones = new Map(ZONES.map((z) => [z, new Map<string, string>()]));
      for (const r of requests) {
        sent++;
        const isHead = r.garbage === null && r.method === 'HEAD';
        const x = await rawExchange(port, encode(r), { responses: 1, head: isHead });
        const res = checkAnswer(r, x);
        if (r.garbage === null) applySuccess(model, r, res.status);
        const expected = Object.fromEntries([...model].map(([z, m]) => [z, sorted(m)]));
        expect(await zonesOnNode(), `after ${r.method} ${r.target.slice(0, 80)} → ${res.status}`).toEqual(expected);
      }
    }), { numRuns: 20 });
    expect(sent).toBeGreaterThanOrEqual(20);
    expect(node.child.exitCode).toBeNull();
    expect(node.output).not.toMatch(/"level":50/);
  });
});
