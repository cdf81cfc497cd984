import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessList, accessRule, createAdminRouter, createApiHandler, createRequestGuard } from '../../dist/api/index.js';
import { parseConfigText } from '../../dist/config/index.js';
import { KeyvalZone } from '../../dist/zones/index.js';
import { errorOf, json, request, serve, type Served } from './helpers.js';

function list(...rules: [('allow' | 'deny'), string][]): AccessList {
  return new AccessList(rules.map(([action, text]) => accessRule(action, text)));
}

describe('AccessList (allow/deny as ngx_http_access_module)', () => {
  it('no rules, or no matching rule, allows', () => {
    expect(list().check('10.0.0.1')).toBe('allow');
    expect(list(['allow', '127.0.0.1']).check('10.0.0.1')).toBe('allow');
    expect(list(['deny', '10.0.0.0/8']).check('11.0.0.1')).toBe('allow');
  });

  it('the first matching rule wins', () => {
    const l = list(['deny', '10.1.0.0/16'], ['allow', '10.0.0.0/8'], ['deny', 'all']);
    expect(l.check('10.1.2.3')).toBe('deny');
    expect(l.check('10.2.0.1')).toBe('allow');
    expect(l.check('11.0.0.1')).toBe('deny');
    const reversed = list(['allow', '10.0.0.0/8'], ['deny', '10.1.0.0/16'], ['deny', 'all']);
    expect(reversed.check('10.1.2.3')).toBe('allow');
  });

  it('the admin guide rules: allow 127.0.0.1; deny all', () => {
    const l = list(['allow', '127.0.0.1'], ['deny', 'all']);
    expect(l.allows('127.0.0.1')).toBe(true);
    expect(l.allows('127.0.0.2')).toBe(false);
    expect(l.allows('::1')).toBe(false);
    expect(l.allows('::ffff:127.0.0.1')).toBe(true); // an IPv4 client of a dual-stack socket
  });

  it('prefixes that end inside a byte', () => {
    const l = list(['allow', '10.8.0.0/13'], ['deny', 'all']);
    expect(l.allows('10.8.0.0')).toBe(true);
    expect(l.allows('10.15.255.255')).toBe(true);
    expect(l.allows('10.16.0.0')).toBe(false);
    expect(l.allows('10.7.255.255')).toBe(false);
    const all4 = list(['deny', '0.0.0.0/0']);
    expect(all4.allows('1.2.3.4')).toBe(false);
    expect(all4.allows('::1')).toBe(true);
  });

  it('IPv6 blocks, any spelling of the client, and link-local zone ids', () => {
    const l = list(['allow', '2001:db8::/32'], ['allow', 'fe80::/10'], ['deny', 'all']);
    expect(l.allows('2001:db8:1::5')).toBe(true);
    expect(l.allows('2001:DB8:0:0:0:0:0:1')).toBe(true);
    expect(l.allows('2001:db9::1')).toBe(false);
    expect(l.allows('fe80::1%eth0')).toBe(true);
    expect(l.allows('10.0.0.1')).toBe(false);
    const v6only = list(['deny', '::/0']);
    expect(v6only.allows('1.2.3.4')).toBe(true); // an IPv6 rule never matches an IPv4 client
    expect(v6only.allows('2001:db8::1')).toBe(false);
  });

  it('unix: matches clients without an IP address; all matches everyone', () => {
    const l = list(['allow', 'unix:'], ['deny', 'all']);
    expect(l.allows(undefined)).toBe(true);
    expect(l.allows('127.0.0.1')).toBe(false);
    expect(list(['deny', 'all']).allows(undefined)).toBe(false);
    expect(list(['deny', '127.0.0.1']).allows(undefined)).toBe(true);
  });

  it('refuses rules that are not addresses', () => {
    expect(() => accessRule('allow', 'localhost')).toThrow(/invalid allow rule/);
    expect(() => accessRule('deny', '10.0.0.0/33')).toThrow(/invalid deny rule/);
  });
});

describe('allow/deny on a real server', () => {
  const zone = KeyvalZone.create({ name: 'one', size: '1m' });
  const keyvals = { http: new Map([['one', zone]]), stream: new Map() };
  let server: Served;

  beforeAll(async () => {
    const config = parseConfigText(`
      http {
        server {
          listen 127.0.0.1:8080;
          location /open { api write=on; }
          location /local { api write=on; allow 127.0.0.1; deny all; }
          location /remote { api write=on; allow 10.0.0.0/8; allow ::1; deny all; }
          location /ro4local { api write=on; limit_except GET { deny 127.0.0.0/8; } }
        }
      }`, '/tmp/zonesync-access-test.conf');
    const routers = config.http!.servers[0]!.locations.map((location) => createAdminRouter({
      apiPrefix: location.pattern,
      api: createApiHandler({ keyvals, write: location.api!.write, guard: createRequestGuard(location) }),
    }));
    server = await serve(async (req, res) => {
      for (const route of routers) if (await route(req, res)) return true;
      return false;
    });
  });
  afterAll(() => server.close());

  it('allows the client its rules allow, 403 Forbidden for the others', async () => {
    expect((await request(server.port, '/open/9/http/keyvals/one')).status).toBe(200);
    expect((await request(server.port, '/local/9/http/keyvals/one')).status).toBe(200);
    const denied = await request(server.port, '/remote/9/http/keyvals/one');
    expect(denied.status).toBe(403);
    expect(denied.headers['content-type']).toBe('application/json');
    expect(errorOf(denied).code).toBe('Forbidden');
  });

  it('access is checked before anything else: a denied client learns nothing of paths', async () => {
    expect((await request(server.port, '/remote/99/')).status).toBe(403);
    expect((await request(server.port, '/remote/9/http/keyvals/one', { method: 'POST', body: json({ a: '1' }) })).status).toBe(403);
    expect(zone.get('a')).toBeUndefined();
  });

  it('limit_except GET { deny … } denies the writes only', async () => {
    expect((await request(server.port, '/ro4local/9/http/keyvals/one')).status).toBe(200);
    expect((await request(server.port, '/ro4local/9/http/keyvals/one', { method: 'HEAD' })).status).toBe(200);
    const post = await request(server.port, '/ro4local/9/http/keyvals/one', { method: 'POST', body: json({ b: '2' }) });
    expect(post.status).toBe(403);
    expect(zone.get('b')).toBeUndefined();
    expect((await request(server.port, '/open/9/http/keyvals/one', { method: 'POST', body: json({ b: '2' }) })).status).toBe(201);
    expect(zone.get('b')).toBe('2');
  });
});
