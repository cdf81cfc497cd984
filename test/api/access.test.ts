import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler, RequestGuard } from '../../dist/api/index.js';
import { createAdminRouter } from './admin-router.js';
import { parseConfigText } from '../../dist/config/index.js';
import { KeyvalZone } from '../../dist/zones/index.js';
import { errorOf, json, request, serve, type Served } from './helpers.js';

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
      api: createApiHandler({ keyvals, write: location.api!.write, guard: new RequestGuard(location) }),
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
