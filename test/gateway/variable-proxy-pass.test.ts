// proxy_pass with variables through a real node, as nginx evaluates it per request: a host
// that names an upstream block goes to that block (here chosen per request from a keyval
// zone), an IP address to that server, a name through the http block's resolver (a DNS
// server on 127.0.0.1), or, without a resolver, 502 with nginx's log line. The URI the
// variables give is sent as it is; without one, the request's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, freePorts, waitFor } from '../runtime/cluster-helpers.js';
import { TestDnsServer } from '../util/dns-server.js';
import { SERVING_PATHS, startNodeOn, type RunningNode } from './serving-paths.js';
import { TestUpstream, get, type UpstreamBehaviour } from './test-upstream.js';

const named: UpstreamBehaviour = (req, res, upstream) => res.end(`${upstream.name} ${req.url}`);

describe.each(SERVING_PATHS)('proxy_pass with variables on $name', (path) => {
  let running: RunningNode | undefined;
  let withResolver: RunningNode | undefined;
  let port = 0;
  let resolvedPort = 0;
  const up: Record<string, TestUpstream> = {};
  let dns: TestDnsServer;

  beforeAll(async () => {
    for (const name of ['blue', 'green', 'direct']) up[name] = await TestUpstream.start(name, named);
    dns = await TestDnsServer.start();
    dns.set('app.test', ['127.0.0.1'], [], 60);
    [port, resolvedPort] = (await freePorts(2)) as [number, number];
    const direct = up['direct']!.port;
    running = await startNodeOn(path, 'variables.conf', `
http {
    keyval_zone zone=pools:64k;
    keyval $arg_user $pool zone=pools;
    upstream blue  { server ${up['blue']!.address}; }
    upstream green { server ${up['green']!.address}; }
    server {
        listen 127.0.0.1:${port};
        location /kv/       { proxy_pass http://$pool; }
        location /to/       { proxy_pass http://$arg_to; }
        location /host/     { proxy_pass http://$host:${direct}$request_uri; }
        location /fixed/    { proxy_pass http://$host:${direct}/elsewhere?x=1; }
        location /named/    { proxy_pass http://$arg_name:${direct}; }
        location /api       { api write=on; }
    }
}`);
    withResolver = await startNodeOn(path, 'resolver.conf', `
http {
    resolver ${dns.address} valid=30s ipv6=off;
    server {
        listen 127.0.0.1:${resolvedPort};
        location / { proxy_pass http://$arg_name:${direct}; }
    }
}`);
  }, 300_000);

  afterAll(async () => {
    await running?.stop();
    await withResolver?.stop();
    for (const u of Object.values(up)) await u.close();
    await dns?.close();
  });

  it('a keyval variable chooses the upstream block per request; the request\'s URI goes as it came', async () => {
    expect((await api(port, '/api/9/http/keyvals/pools', { method: 'POST', body: JSON.stringify({ alice: 'blue', bob: 'green' }) })).status).toBe(201);
    expect((await get(port, '/kv/a?user=alice')).text).toBe('blue /kv/a?user=alice');
    expect((await get(port, '/kv/b?user=bob')).text).toBe('green /kv/b?user=bob');
    await api(port, '/api/9/http/keyvals/pools', { method: 'PATCH', body: JSON.stringify({ alice: 'green' }) });
    expect((await get(port, '/kv/c?user=alice')).text).toBe('green /kv/c?user=alice');
    // An upstream block is matched without regard to case, as nginx.
    await api(port, '/api/9/http/keyvals/pools', { method: 'PATCH', body: JSON.stringify({ alice: 'BLUE' }) });
    expect((await get(port, '/kv/d?user=alice')).text).toBe('blue /kv/d?user=alice');
  });

  it('a user with no pool: an empty host, 500 and a log line', async () => {
    expect((await get(port, '/kv/e?user=carol')).status).toBe(500);
    await waitFor(() => running!.node.output.includes('invalid host in the URL of \\"proxy_pass\\"'), 10_000, () => running!.node.output);
  });

  it.each([
    ['an address and port', () => `/to/x?to=${up['direct']!.address}`, () => `direct /to/x?to=${up['direct']!.address}`],
    ['$host with a port and $request_uri', () => '/host/y?q=1', () => 'direct /host/y?q=1'],
    ['a URI written after the variables replaces the request\'s', () => '/fixed/z', () => 'direct /elsewhere?x=1'],
  ])('%s', async (_what, target, expected) => {
    const answer = await get(port, target(), { headers: { host: '127.0.0.1' } });
    expect(answer.text).toBe(expected());
  });

  it('a host name without a resolver: 502 and "no resolver defined to resolve NAME"', async () => {
    expect((await get(port, '/named/x?name=app.test')).status).toBe(502);
    await waitFor(() => running!.node.output.includes('no resolver defined to resolve app.test'), 10_000, () => running!.node.output);
  });

  it('a host name with the resolver of the http block: resolved and proxied; an unknown name 502', async () => {
    expect((await get(resolvedPort, '/r?name=app.test')).text).toBe('direct /r?name=app.test');
    expect(dns.queries.get('app.test A')).toBeGreaterThanOrEqual(1);
    expect((await get(resolvedPort, '/r?name=unknown.test')).status).toBe(502);
    await waitFor(() => withResolver!.node.output.includes('unknown.test could not be resolved'), 10_000, () => withResolver!.node.output);
  });
});
