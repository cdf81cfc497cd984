import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { createApiHandler } from '../../dist/api/index.js';
import { createAdminRouter } from './admin-router.js';
import { KeyvalZone } from '../../dist/zones/index.js';
import { basic, errorOf, json, request, serve, type Reply, type Served } from './helpers.js';

const clock = { now: 1_700_000_000_000 };
const now = (): number => clock.now;

const zones = {
  one: KeyvalZone.create({ name: 'one', size: '1m', timeout: '1h', now }),
  plain: KeyvalZone.create({ name: 'plain', size: '1m', now }),
  ips: KeyvalZone.create({ name: 'ips', size: '1m', type: 'ip', now }),
  tiny: KeyvalZone.create({ name: 'tiny', size: '64k', shards: 1, maxKeyBytes: 16, now }),
  st: KeyvalZone.create({ name: 'st', size: '1m', now }),
};
const keyvals = {
  http: new Map([['one', zones.one], ['plain', zones.plain], ['ips', zones.ips], ['tiny', zones.tiny]]),
  stream: new Map([['st', zones.st]]),
};

let server: Served;
const api = (path: string, options?: Parameters<typeof request>[2]): Promise<Reply> => request(server.port, `/api${path}`, options);
const ro = (path: string, options?: Parameters<typeof request>[2]): Promise<Reply> => request(server.port, `/ro${path}`, options);

beforeAll(async () => {
  const rw = createAdminRouter({
    api: createApiHandler({ keyvals, write: true, nodeInfo: () => ({ version: '0.1.0', build: 'zonesync', generation: 0, loadedAtMs: 0, pid: 42, ppid: 42 }) }),
  });
  const readOnly = createAdminRouter({ apiPrefix: '/ro', api: createApiHandler({ keyvals, write: false }) });
  const small = createApiHandler({ keyvals, write: true, maxBodyBytes: 64 });
  server = await serve(async (req, res) => {
    if (req.url?.startsWith('/small/')) {
      // As the runtime's front end does: it has read the body and hands it over.
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      await small(req, res, req.url.slice('/small'.length).split('?')[0]!, Buffer.concat(chunks));
      return true;
    }
    return (await readOnly(req, res)) || rw(req, res);
  });
});

afterAll(() => server.close());

beforeEach(() => {
  for (const z of Object.values(zones)) z.clear();
});

function expectError(reply: Reply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toBe('application/json');
  const body = reply.json as { error: { status: number; code: string; text: string }; request_id: string; href: string };
  expect(Object.keys(body)).toEqual(['error', 'request_id', 'href']);
  expect(body.error.status).toBe(status);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.text).toBe('string');
  expect(body.error.text.length).toBeGreaterThan(0);
  expect(body.request_id).toMatch(/^[0-9a-f]{32}$/);
  expect(body.href).toBe('https://nginx.org/en/docs/http/ngx_http_api_module.html');
}

describe('API versions and endpoints', () => {
  it('GET /api/ lists the versions 1 to 9, with or without the slash', async () => {
    for (const path of ['/', '']) {
      const r = await api(path);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.json).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  });

  it('lists the endpoints of a version and of http and stream', async () => {
    expect((await api('/9/')).json).toEqual(['nginx', 'http', 'stream']);
    expect((await api('/9')).json).toEqual(['nginx', 'http', 'stream']);
    expect((await api('/9/http/')).json).toEqual(['keyvals']);
    expect((await api('/9/stream/')).json).toEqual(['keyvals']);
    expect((await api('/8/http')).json).toEqual(['keyvals']);
  });

  it('GET /9/nginx answers the node info, with fields', async () => {
    expect((await api('/9/nginx')).json).toMatchObject({ version: '0.1.0', build: 'zonesync', address: '127.0.0.1', generation: 0, load_timestamp: '1970-01-01T00:00:00.000Z', pid: 42, ppid: 42 });
    expect((await api('/9/nginx?fields=version,pid')).json).toEqual({ version: '0.1.0', pid: 42 });
    expectError(await ro('/9/nginx'), 404, 'PathNotFound');
  });

  it('an unknown version is 404 UnknownVersion', async () => {
    for (const path of ['/10/', '/0/http/keyvals/', '/v9/', '/9.0/']) {
      const r = await api(path);
      expectError(r, 404, 'UnknownVersion');
      expect(errorOf(r).text).toBe('unknown version');
    }
  });

  it('an unknown path is 404 PathNotFound', async () => {
    for (const path of ['/9/nope', '/9/http/upstreams/', '/9/http/keyvals/one/extra', '/9/stream/zone_sync', '/9/http/zone_sync']) {
      expectError(await api(path), 404, 'PathNotFound');
    }
  });

  it('a method an endpoint does not take is 405 MethodNotSupported with Allow', async () => {
    const r = await api('/9/', { method: 'POST', body: '{}' });
    expectError(r, 405, 'MethodNotSupported');
    expect(r.headers['allow']).toBe('GET, HEAD');
    const put = await api('/9/http/keyvals/one', { method: 'PUT', body: '{}' });
    expectError(put, 405, 'MethodNotSupported');
    expect(put.headers['allow']).toBe('GET, HEAD, POST, PATCH, DELETE');
    expectError(await api('/9/http/keyvals/', { method: 'DELETE' }), 405, 'MethodNotSupported');
  });

  it('HEAD answers like GET without a body', async () => {
    zones.one.set('a', '1');
    const r = await api('/9/http/keyvals/one', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(r.headers['content-length']).toBe(String(Buffer.byteLength('{"a":"1"}')));
  });
});

describe('keyvals: reading', () => {
  it('GET a zone, a key, every zone of a module', async () => {
    zones.one.set('a', '1');
    zones.one.set('b', '2');
    zones.st.set('s', 'stream value');
    expect((await api('/9/http/keyvals/one')).json).toEqual({ a: '1', b: '2' });
    expect((await api('/9/http/keyvals/one?key=b')).json).toEqual({ b: '2' });
    expect((await api('/9/http/keyvals/')).json).toEqual({ one: { a: '1', b: '2' }, plain: {}, ips: {}, tiny: {} });
    expect((await api('/9/stream/keyvals')).json).toEqual({ st: { s: 'stream value' } });
    expect((await api('/9/stream/keyvals/st')).json).toEqual({ s: 'stream value' });
  });

  it('fields on the collection: empty lists only the zone names, names pick keys', async () => {
    zones.one.set('a', '1');
    zones.one.set('b', '2');
    expect((await api('/9/http/keyvals/?fields=')).json).toEqual({ one: {}, plain: {}, ips: {}, tiny: {} });
    expect((await api('/9/http/keyvals/?fields=b')).json).toEqual({ one: { b: '2' }, plain: {}, ips: {}, tiny: {} });
  });

  it('a zone that is not there, or is of the other module, is 404 KeyvalNotFound', async () => {
    expectError(await api('/9/http/keyvals/nope'), 404, 'KeyvalNotFound');
    expectError(await api('/9/stream/keyvals/one'), 404, 'KeyvalNotFound');
    expectError(await api('/9/http/keyvals/st'), 404, 'KeyvalNotFound');
    expectError(await api('/9/http/keyvals/nope', { method: 'POST', body: json({ a: '1' }) }), 404, 'KeyvalNotFound');
  });

  it('a key that is not there is 404 KeyvalKeyNotFound', async () => {
    const r = await api('/9/http/keyvals/one?key=missing');
    expectError(r, 404, 'KeyvalKeyNotFound');
    expect(errorOf(r).text).toBe('key "missing" not found');
    expectError(await api(`/9/http/keyvals/tiny?key=${'k'.repeat(40)}`), 404, 'KeyvalKeyNotFound');
  });
});

describe('keyvals: POST', () => {
  it('adds a key: 201, then 409 KeyvalKeyExists and the value stays', async () => {
    const r = await api('/9/http/keyvals/one', { method: 'POST', body: json({ key1: 'value1' }) });
    expect(r.status).toBe(201);
    expect(r.text).toBe('');
    expect(zones.one.get('key1')).toBe('value1');
    const again = await api('/9/http/keyvals/one', { method: 'POST', body: json({ key1: 'other' }) });
    expectError(again, 409, 'KeyvalKeyExists');
    expect(errorOf(again).text).toBe('key "key1" already exists');
    expect(zones.one.get('key1')).toBe('value1');
  });

  it('adds several keys to an empty zone; to a zone that has keys, only one at a time', async () => {
    const r = await api('/9/http/keyvals/one', { method: 'POST', body: json({ a: '1', b: '2', c: '3' }) });
    expect(r.status).toBe(201);
    expect((await api('/9/http/keyvals/one')).json).toEqual({ a: '1', b: '2', c: '3' });
    const two = await api('/9/http/keyvals/one', { method: 'POST', body: json({ d: '4', e: '5' }) });
    expectError(two, 400, 'KeyvalFormatError');
    expect(zones.one.get('d')).toBeUndefined();
    expect(zones.one.get('e')).toBeUndefined();
    expect((await api('/9/http/keyvals/one', { method: 'POST', body: json({ d: '4' }) })).status).toBe(201);
  });

  it('a stream zone takes writes too', async () => {
    expect((await api('/9/stream/keyvals/st', { method: 'POST', body: json({ s: 'v' }) })).status).toBe(201);
    expect(zones.st.get('s')).toBe('v');
  });

  it('expire in ms overrides the zone timeout; without a zone timeout it is refused, as NGINX Plus', async () => {
    const r = await api('/9/http/keyvals/one', { method: 'POST', body: json({ short: { value: 'v', expire: 5000 }, long: 'w' }) });
    expect(r.status).toBe(201);
    expect(zones.one.entries().find((e) => e.key === 'short')!.expireAtMs).toBe(clock.now + 5000);
    expect(zones.one.entries().find((e) => e.key === 'long')!.expireAtMs).toBe(clock.now + 3_600_000);
    clock.now += 5001;
    expect((await api('/9/http/keyvals/one')).json).toEqual({ long: 'w' });
    const refused = await api('/9/http/keyvals/plain', { method: 'POST', body: json({ k: { value: 'v', expire: 1000 } }) });
    expectError(refused, 400, 'KeyvalFormatError');
    expect(errorOf(refused).text).toMatch(/key timeouts are not enabled/);
    expect(zones.plain.get('k')).toBeUndefined();
  });

  it('unicode keys and values, and keys that are Object.prototype names, round-trip', async () => {
    const body: Record<string, string> = { 'ключ': 'значение 🙂', '键': '值', ['__proto__']: 'not a prototype', constructor: 'c' };
    expect(Object.keys(body)).toHaveLength(4);
    const r = await api('/9/http/keyvals/one', { method: 'POST', body: JSON.stringify(body) });
    expect(r.status).toBe(201);
    expect(zones.one.get('ключ')).toBe('значение 🙂');
    expect(zones.one.get('__proto__')).toBe('not a prototype');
    const all = (await api('/9/http/keyvals/one')).json as Record<string, string>;
    expect(Object.entries(all).sort()).toEqual(Object.entries(body).sort());
    const one = await api(`/9/http/keyvals/one?key=${encodeURIComponent('ключ')}`);
    expect(Object.entries(one.json as object)).toEqual([['ключ', 'значение 🙂']]);
  });

  it('type=ip zones take addresses and CIDR blocks, stored in canonical form, and refuse others', async () => {
    expect((await api('/9/http/keyvals/ips', { method: 'POST', body: json({ '10.1.2.3/8': 'net' }) })).status).toBe(201);
    expect((await api('/9/http/keyvals/ips')).json).toEqual({ '10.0.0.0/8': 'net' });
    expect((await api('/9/http/keyvals/ips?key=10.0.0.0/8')).json).toEqual({ '10.0.0.0/8': 'net' });
    const dup = await api('/9/http/keyvals/ips', { method: 'POST', body: json({ '10.0.0.0/8': 'again' }) });
    expectError(dup, 409, 'KeyvalKeyExists');
    const bad = await api('/9/http/keyvals/ips', { method: 'POST', body: json({ 'not-an-address': 'x' }) });
    expectError(bad, 400, 'KeyvalFormatError');
    expect(errorOf(bad).text).toMatch(/not an IP address/);
  });

  it('malformed bodies are 400 KeyvalFormatError and write nothing', async () => {
    const cases: (string | Buffer)[] = [
      '{"a": "1"', 'not json', '', '[]', '["a"]', 'null', '"a"', '{}',
      json({ a: 1 }), json({ a: true }), json({ a: ['x'] }), json({ a: null }),
      json({ '': 'empty key' }), json({ a: { value: 1 } }), json({ a: { expire: 1000 } }),
      json({ a: { value: 'v', expire: -1 } }), json({ a: { value: 'v', expire: 1.5 } }), json({ a: { value: 'v', expire: '10' } }),
      json({ a: { value: 'v', ttl: 10 } }),
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"a":"\xff\xfe"}: not UTF-8
    ];
    for (const body of cases) {
      const r = await api('/9/http/keyvals/one', { method: 'POST', body });
      expectError(r, 400, 'KeyvalFormatError');
    }
    expect(zones.one.entries()).toEqual([]);
  });

  it('a key over the zone limit or a value larger than any block is 400; a full zone is 507 KeyvalZoneFull', async () => {
    const longKey = await api('/9/http/keyvals/tiny', { method: 'POST', body: json({ ['k'.repeat(17)]: 'v' }) });
    expectError(longKey, 400, 'KeyvalFormatError');
    expect(errorOf(longKey).text).toMatch(/longer than the zone's limit of 16 bytes/);
    const huge = await api('/9/http/keyvals/tiny', { method: 'POST', body: json({ big: 'x'.repeat(200_000) }) });
    expectError(huge, 400, 'KeyvalFormatError');
    // Eviction frees at most a few least recently used records, as nginx: not 40 kB of small ones.
    for (let i = 0; i < 300; i++) zones.tiny.set(`k${i}`, 'x'.repeat(100)); // most of the 64k zone
    const full = await api('/9/http/keyvals/tiny', { method: 'POST', body: json({ big: 'x'.repeat(40_000) }) });
    expectError(full, 507, 'KeyvalZoneFull');
    expect(errorOf(full).text).toMatch(/zone "tiny" is full/);
    expect(zones.tiny.get('big')).toBeUndefined();
  });

  it('a POST of several keys that runs out of room part way removes the keys it added', async () => {
    const body: Record<string, string> = {};
    for (let i = 0; i < 300; i++) body[`k${i}`] = 'x'.repeat(100);
    body['big'] = 'x'.repeat(40_000);
    const r = await api('/9/http/keyvals/tiny', { method: 'POST', body: json(body) });
    expectError(r, 507, 'KeyvalZoneFull');
    expect(zones.tiny.entries()).toEqual([]);
  });
});

describe('keyvals: PATCH and DELETE', () => {
  it('changes a value (204), deletes with null, changes expire alone', async () => {
    zones.one.set('a', '1');
    zones.one.set('b', '2');
    zones.one.set('c', '3');
    for (const body of [{ a: 'one' }, { b: null }, { c: { expire: 2000 } }]) {
      const r = await api('/9/http/keyvals/one', { method: 'PATCH', body: json(body) });
      expect(r.status).toBe(204);
      expect(r.text).toBe('');
    }
    expect((await api('/9/http/keyvals/one')).json).toEqual({ a: 'one', c: '3' });
    expect(zones.one.entries().find((e) => e.key === 'c')!.expireAtMs).toBe(clock.now + 2000);
    clock.now += 2001;
    expect((await api('/9/http/keyvals/one')).json).toEqual({ a: 'one' });
    expect((await api('/9/http/keyvals/one', { method: 'PATCH', body: json({ a: { value: 'uno', expire: 10 } }) })).status).toBe(204);
    expect(zones.one.get('a')).toBe('uno');
  });

  it('a key that is not there is 404 KeyvalKeyNotFound', async () => {
    zones.one.set('a', '1');
    const r = await api('/9/http/keyvals/one', { method: 'PATCH', body: json({ missing: 'x' }) });
    expectError(r, 404, 'KeyvalKeyNotFound');
    expect(errorOf(r).text).toBe('key "missing" not found');
    expect(zones.one.get('missing')).toBeUndefined();
    expectError(await api('/9/http/keyvals/one', { method: 'PATCH', body: json({ gone: null }) }), 404, 'KeyvalKeyNotFound');
  });

  it('several keys are 400 "only one key can be updated" (as NGINX Plus) and nothing of the body is applied', async () => {
    zones.one.set('a', '1');
    zones.one.set('b', '2');
    for (const body of [{ a: 'changed', b: null }, { a: 'changed', missing: 'x' }, { a: { expire: 10 }, b: 'x' }]) {
      const r = await api('/9/http/keyvals/one', { method: 'PATCH', body: json(body) });
      expectError(r, 400, 'KeyvalFormatError');
      expect(errorOf(r).text).toBe('only one key can be updated');
    }
    expect((await api('/9/http/keyvals/one')).json).toEqual({ a: '1', b: '2' });
  });

  it('bad PATCH bodies are 400', async () => {
    zones.one.set('a', '1');
    for (const body of ['{', '{}', json({ a: 5 }), json({ a: {} }), json({ a: { expire: 0 } })]) {
      expectError(await api('/9/http/keyvals/one', { method: 'PATCH', body }), 400, 'KeyvalFormatError');
    }
    expectError(await api('/9/http/keyvals/plain', { method: 'PATCH', body: json({ a: { expire: 10 } }) }), 400, 'KeyvalFormatError');
    expect(zones.one.get('a')).toBe('1');
  });

  it('DELETE empties the zone: 204, and only that zone', async () => {
    zones.one.set('a', '1');
    zones.one.set('b', '2');
    zones.plain.set('p', 'kept');
    const r = await api('/9/http/keyvals/one', { method: 'DELETE' });
    expect(r.status).toBe(204);
    expect((await api('/9/http/keyvals/one')).json).toEqual({});
    expect(zones.plain.get('p')).toBe('kept');
    expect((await api('/9/http/keyvals/one', { method: 'DELETE' })).status).toBe(204);
  });

  it('DELETE naming a key is 400 and empties nothing (one key is deleted with PATCH null)', async () => {
    zones.one.set('a', '1');
    zones.one.set('b', '2');
    expectError(await api('/9/http/keyvals/one?key=a', { method: 'DELETE' }), 400, 'KeyvalFormatError');
    expect(zones.one.get('a')).toBe('1');
    expect(zones.one.get('b')).toBe('2');
  });
});

describe('write=off', () => {
  it('reads work; POST, PATCH and DELETE are 405 MethodDisabled and change nothing', async () => {
    zones.one.set('a', '1');
    expect((await ro('/9/http/keyvals/one')).json).toEqual({ a: '1' });
    for (const method of ['POST', 'PATCH', 'DELETE']) {
      const r = await ro('/9/http/keyvals/one', { method, body: json({ a: null, b: '2' }) });
      expectError(r, 405, 'MethodDisabled');
      expect(errorOf(r).text).toBe('method disabled');
      expect(r.headers['allow']).toBe('GET, HEAD');
    }
    expect(zones.one.entries().map((e) => [e.key, e.value])).toEqual([['a', '1']]);
    expectError(await ro('/9/', { method: 'POST', body: '{}' }), 405, 'MethodNotSupported');
  });
});

describe('request bodies', () => {
  it('a body over 1 MiB is 413 BodyTooLarge, declared or chunked, and the connection is closed', async () => {
    const big = json({ k: 'x'.repeat(1024 * 1024) });
    const declared = await api('/9/http/keyvals/one', { method: 'POST', body: big });
    expectError(declared, 413, 'BodyTooLarge');
    expect(declared.headers['connection']).toBe('close');
    const chunked = await api('/9/http/keyvals/one', { method: 'POST', body: big, chunked: true });
    expectError(chunked, 413, 'BodyTooLarge');
    expect(zones.one.get('k')).toBeUndefined();
    const exactly = json({ k: 'v' }) + ' '.repeat(1024 * 1024 - json({ k: 'v' })!.length);
    expect(Buffer.byteLength(exactly)).toBe(1024 * 1024);
    expect((await api('/9/http/keyvals/one', { method: 'POST', body: exactly })).status).toBe(201);
    expect(zones.one.get('k')).toBe('v');
  });

  it('a body handed over already read is bounded the same way', async () => {
    const ok = await request(server.port, '/small/9/http/keyvals/one', { method: 'POST', body: json({ k: 'v' }) });
    expect(ok.status).toBe(201);
    const big = await request(server.port, '/small/9/http/keyvals/one', { method: 'POST', body: json({ k2: 'x'.repeat(100) }) });
    expectError(big, 413, 'BodyTooLarge');
    expect(zones.one.get('k2')).toBeUndefined();
  });

  it('a body that breaks off is not applied and the server goes on serving', async () => {
    await new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, path: '/api/9/http/keyvals/one', method: 'POST', headers: { 'Content-Length': '100' } });
      req.on('error', () => resolve());
      req.write('{"cut":"off');
      setTimeout(() => { req.destroy(); resolve(); }, 50);
    });
    expect(zones.one.get('cut')).toBeUndefined();
    expect((await api('/')).status).toBe(200);
  });
});

describe('guarded handler', () => {
  it('basic() builds what the auth tests send', () => {
    expect(basic('u', 'p')).toEqual({ Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
  });
});
