// The parts the serving threads are built of, on their own: which Node can share a listening
// socket, nginx variables compiled once, limit_req compiled per location, the lock cleanup
// after a thread dies, and the share of the node's gauges a dead thread gives back.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfigText } from '../../dist/config/index.js';
import type { HttpLocationConfig } from '../../dist/config/types.js';
import { LimitReqGate, REFUSED, limitReqKeysOf } from '../../dist/runtime/limit-req-gate.js';
import { nodeHasReusePort } from '../../dist/runtime/shared-listen.js';
import { Variables, type RequestFacts } from '../../dist/gateway/variables.js';
import {
  N_CONNECTIONS_ACCEPTED, N_CONNECTIONS_ACTIVE, N_CONNECTIONS_IDLE, N_REQUESTS_CURRENT, N_REQUESTS_TOTAL, NodeCounters,
} from '../../dist/runtime/node-counters.js';
import { zonesyncVersion } from '../../dist/runtime/version.js';
import { createZones, forceUnlockOwner } from '../../dist/runtime/zone-set.js';
import { createNodeContext } from '../../dist/zones/index.js';

describe('which Node can bind one port in several threads (net reusePort)', () => {
  it.each([
    ['20.19.0', false], ['20.20.2', false], ['21.7.3', false], ['22.0.0', false], ['22.11.0', false], ['22.12.0', true],
    ['22.23.3', true], ['23.0.0', false], ['23.1.0', true], ['24.0.0', true], ['24.21.0', true], ['25.2.1', true], ['30.0.0', true],
  ])('Node %s: %s', (version, has) => {
    expect(nodeHasReusePort(version)).toBe(has);
  });
});

// nginx's evaluation of its variables, uncompiled: the model. $arg_NAME is the argument as it
// is in the query (not decoded), and argument and cookie names match without regard to case.
const compileTemplate = (template: string) => new Variables().compile(template);
function modelEvaluate(template: string, req: RequestFacts): string {
  const header = (name: string): string => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v ?? '';
  };
  const variable = (name: string): string => {
    const q = req.url.indexOf('?');
    switch (name) {
      case 'remote_addr':
      case 'binary_remote_addr':
        return req.remoteAddress;
      case 'uri':
        return q < 0 ? req.url : req.url.slice(0, q);
      case 'request_uri':
        return req.url;
      case 'args':
        return q < 0 ? '' : req.url.slice(q + 1);
    }
    if (name.startsWith('http_')) return header(name.slice(5).replace(/_/g, '-'));
    if (name.startsWith('arg_')) {
      for (const pair of q < 0 ? [] : req.url.slice(q + 1).split('&')) {
        const eq = pair.indexOf('=');
        if ((eq < 0 ? pair : pair.slice(0, eq)).toLowerCase() === name.slice(4).toLowerCase()) return eq < 0 ? '' : pair.slice(eq + 1);
      }
      return '';
    }
    if (name.startsWith('cookie_')) {
      for (const part of header('cookie').split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0 && part.slice(0, eq).trim().toLowerCase() === name.slice(7).toLowerCase()) return part.slice(eq + 1).trim();
      }
      return '';
    }
    return '';
  };
  return template.replace(/\$(\{\w+\}|\w+)/g, (_, raw: string) => variable(raw.replace(/[{}]/g, '')));
}

describe('nginx variables, compiled once per template', () => {
  const names = ['remote_addr', 'binary_remote_addr', 'uri', 'request_uri', 'args', 'http_x_key', 'http_user_agent', 'arg_a', 'arg_b', 'cookie_session', 'cookie_s', 'nope'];
  const piece = fc.oneof(
    fc.constantFrom(...names).map((n) => `$${n}`),
    fc.constantFrom(...names).map((n) => `\${${n}}`),
    fc.string({ maxLength: 4 }).map((s) => s.replace(/\$/g, '')),
    fc.constant('$'),
  );
  const template = fc.array(piece, { maxLength: 6 }).map((p) => p.join(''));
  const request = fc.record({
    url: fc.tuple(fc.constantFrom('/', '/a/b', '/x'), fc.option(fc.constantFrom('a=1', 'a=1&b=2', 'b=%20x', '', 'a', 'A=3&a=1'), { nil: undefined }))
      .map(([path, query]) => (query === undefined ? path : `${path}?${query}`)),
    headers: fc.record({
      'x-key': fc.option(fc.oneof(fc.string({ maxLength: 5 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 })), { nil: undefined }),
      'user-agent': fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
      cookie: fc.option(fc.constantFrom('session=abc', 's=1; session= x ', 'other=2', '=x; s=2', 'SESSION=up; session=low'), { nil: undefined }),
    }, { requiredKeys: [] }),
    remoteAddress: fc.constantFrom('127.0.0.1', '::1', '10.1.2.3'),
  });

  it('evaluate as the uncompiled templates did, for any template and request', () => {
    fc.assert(fc.property(template, request, (t, req) => {
      expect(compileTemplate(t)(req)).toBe(modelEvaluate(t, req));
    }), { numRuns: 2000 });
  });
});

function gateFor(http: string): { gate: LimitReqGate; location: (path: string) => HttpLocationConfig; zones: ReturnType<typeof createZones>['zones'] } {
  const config = parseConfigText(`http { ${http} }`, '/x/zonesync.conf');
  const { zones } = createZones(config, createNodeContext(1));
  const server = config.http!.servers[0]!;
  return {
    gate: new LimitReqGate(zones.limitReq, limitReqKeysOf(config.zones), new Variables()),
    location: (path) => server.locations.find((l) => l.pattern === path)!,
    zones,
  };
}

const client = (remoteAddress: string, url = '/'): RequestFacts => ({ url, headers: {}, remoteAddress });

describe('limit_req of a location, compiled once', () => {
  it('compiles each location once; its refusal is built once, with nginx\'s status and error page', () => {
    const { gate, location } = gateFor(`limit_req_zone $binary_remote_addr zone=a:1m rate=1r/m;
      server { listen 1; location /a { limit_req zone=a; limit_req_status 429; } location /b { } }`);
    const limits = gate.limitsOf(location('/a'))!;
    expect(gate.limitsOf(location('/a'))).toBe(limits);
    expect(gate.limitsOf(location('/b'))).toBeNull();
    expect(limits.take(client('1.1.1.1'))).toBe(0);
    expect(limits.take(client('1.1.1.1'))).toBe(REFUSED);
    const page = `<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>zonesync/${zonesyncVersion()}</center>\r\n</body>\r\n</html>\r\n`;
    expect(limits.refusal).toEqual({ status: 429, headers: { Server: `zonesync/${zonesyncVersion()}`, 'Content-Type': 'text/html', 'Content-Length': String(page.length) }, body: page });
    expect(gate.limitsOf(location('/a'))!.refusal).toBe(limits.refusal);
  });

  it('rules in order: the first that refuses stops the accounting; an empty key accounts nothing; the longest delay wins', () => {
    const { gate, location, zones } = gateFor(`limit_req_zone $binary_remote_addr zone=first:1m rate=1r/m;
      limit_req_zone $binary_remote_addr zone=second:1m rate=60r/m;
      limit_req_zone $http_x_key zone=byheader:1m rate=1r/m;
      server { listen 1;
        location /two { limit_req zone=first burst=1 nodelay; limit_req zone=second burst=3; }
        location /header { limit_req zone=byheader; } }`);
    const two = gate.limitsOf(location('/two'))!;
    // first admits 2 (burst=1 nodelay); second (1r/s, burst=3, no nodelay) delays the second by a second.
    expect(two.take(client('2.2.2.2'))).toBe(0);
    const delay = two.take(client('2.2.2.2'));
    expect(delay).toBeGreaterThan(900);
    expect(delay).toBeLessThanOrEqual(1000);
    // first refuses from now on: second is not accounted, so a later request finds it as it was.
    for (let i = 0; i < 5; i++) expect(two.take(client('2.2.2.2'))).toBe(REFUSED);
    // second holds the two admitted requests only: this third one finds an excess of 2, not more.
    const excess = zones.limitReq.get('second')!.take('2.2.2.2', { burst: 3 }).excess;
    expect(excess).toBeGreaterThan(1.9);
    expect(excess).toBeLessThanOrEqual(2);
    const header = gate.limitsOf(location('/header'))!;
    for (let i = 0; i < 5; i++) expect(header.take(client('3.3.3.3'))).toBe(0); // no X-Key: never accounted
    expect(header.take({ ...client('3.3.3.3'), headers: { 'x-key': 'k' } })).toBe(0);
    expect(header.take({ ...client('4.4.4.4'), headers: { 'x-key': 'k' } })).toBe(REFUSED);
  });
});

describe('forcing open the locks of a dead thread', () => {
  it('refuses owner ids below 1: 0 is a free lock\'s word, and opening it would reset every free shard', () => {
    const config = parseConfigText('http { keyval_zone zone=kv:1m; }', '/x/zonesync.conf');
    const { zones } = createZones(config, createNodeContext(1));
    const kv = zones.keyval.get('kv')!;
    for (let i = 0; i < 100; i++) kv.set(`k${i}`, `v${i}`);
    for (const owner of [0, -1, 0.5, Number.NaN]) expect(() => forceUnlockOwner(zones, owner)).toThrow(RangeError);
    expect(kv.stats().records).toBe(100);
    expect(kv.stats().resets).toBe(0);
    // A real owner's locks are opened, and a shard it did not change is kept.
    const dead = 4242;
    kv.shm.memory.i32[kv.shm.memory.shardBase(3) >>> 2] = dead;
    expect(forceUnlockOwner(zones, dead)).toBe(1);
    expect(kv.stats().records).toBe(100);
  });
});

describe('a serving thread\'s share of the node\'s gauges', () => {
  it('is given back when the thread is gone: the gauges drop by its share, the totals stay', () => {
    const counters = NodeCounters.create([], 2);
    const [a, b] = [NodeCounters.attach(counters.handle, 0), NodeCounters.attach(counters.handle, 1)];
    // Thread 0: two connections, one with a request in flight; thread 1: one idle connection.
    for (const t of [a, a, b]) {
      t.add(N_CONNECTIONS_ACCEPTED);
      t.add(N_CONNECTIONS_ACTIVE);
    }
    a.add(N_REQUESTS_TOTAL);
    a.add(N_REQUESTS_CURRENT);
    b.add(N_CONNECTIONS_ACTIVE, -1);
    b.add(N_CONNECTIONS_IDLE);
    // The primary's own adds count beside the threads'.
    counters.add(N_REQUESTS_TOTAL);
    for (const reader of [counters, a, b]) expect(reader.connections()).toMatchObject({ accepted: 3, active: 2, idle: 1 });
    expect(counters.perSlot()).toEqual([
      { accepted: 2, active: 2, idle: 0, requests: 1, current: 1 },
      { accepted: 1, active: 0, idle: 1, requests: 0, current: 0 },
    ]);
    counters.releaseSlot(0);
    expect(counters.connections()).toMatchObject({ accepted: 3, active: 0, idle: 1 });
    expect(counters.httpRequests()).toEqual({ total: 2, current: 0 });
    // Released twice (an exit seen twice) changes nothing more; the slot's next thread counts its own from 0, the node's totals on.
    counters.releaseSlot(0);
    expect(counters.connections()).toMatchObject({ accepted: 3, active: 0, idle: 1 });
    expect(counters.perSlot()[0]).toEqual({ accepted: 0, active: 0, idle: 0, requests: 0, current: 0 });
    const next = NodeCounters.attach(counters.handle, 0);
    next.add(N_CONNECTIONS_ACCEPTED);
    next.add(N_CONNECTIONS_ACTIVE);
    counters.releaseSlot(1);
    expect(counters.connections()).toMatchObject({ accepted: 4, active: 1, idle: 0 });
    expect(counters.httpRequests()).toEqual({ total: 2, current: 0 });
    expect(counters.perSlot()[0]).toMatchObject({ accepted: 1, active: 1 });
    // A reset zeroes a total in every replica: the node's and each thread's.
    counters.clear(N_CONNECTIONS_ACCEPTED);
    expect(counters.connections()).toMatchObject({ accepted: 0, active: 1 });
    expect(counters.perSlot().map((t) => t.accepted)).toEqual([0, 0]);
    expect(() => NodeCounters.attach(counters.handle, 2)).toThrow(RangeError);
  });
});
