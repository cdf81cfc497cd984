import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadConfig, parseConfigText } from '../../dist/config/index.js';
import type {
  KeyvalZoneConfig, LimitReqZoneConfig, StickyZoneConfig, ZoneSyncServerConfig, ZonesyncConfig,
} from '../../dist/config/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);
const load = (name: string): ZonesyncConfig => loadConfig(fixture(name));
const syncOf = (config: ZonesyncConfig): ZoneSyncServerConfig => {
  expect(config.stream?.sync).toBeTruthy();
  return config.stream!.sync!;
};
const HTTP_PORT = process.getuid?.() === 0 ? 80 : 8000;

describe('module reference examples that stay within zonesync', () => {
  it('000 minimal configuration: sticky learn zone and two static peers', () => {
    const config = load('module-reference-minimal.conf');
    const sticky = config.zones[0] as StickyZoneConfig;
    expect(config.zones).toHaveLength(1);
    expect(sticky).toMatchObject({
      kind: 'sticky', name: 'client_sessions', sizeBytes: 1048576, sync: true, upstream: 'backend',
      create: ['$upstream_cookie_examplecookie'], lookup: ['$cookie_examplecookie'], timeoutMs: 600000, header: false,
    });
    expect(sticky.source).toEqual({ file: fixture('module-reference-minimal.conf'), line: 8 });
    const upstream = config.http!.upstreams[0]!;
    expect(upstream.name).toBe('backend');
    expect(upstream.stickyZone).toBe('client_sessions');
    expect(upstream.servers.map((s) => [s.text, s.address])).toEqual([
      ['backend1.example.com:8080', { kind: 'tcp', host: 'backend1.example.com', port: 8080 }],
      ['backend2.example.com:8081', { kind: 'tcp', host: 'backend2.example.com', port: 8081 }],
    ]);
    const sync = syncOf(config);
    expect(sync.listen[0]).toMatchObject({ address: { kind: 'tcp', host: '127.0.0.1', port: 12345 }, ssl: false });
    expect(sync.peers.map((p) => [p.text, p.resolve])).toEqual([['a.example.com:12345', false], ['b.example.com:12345', false]]);
  });

  it('000 SSL and DNS: resolver, resolve, listen ssl, certificates relative to the prefix', () => {
    const sync = syncOf(load('module-reference-ssl-dns.conf'));
    expect(sync.resolver).toEqual({ servers: [{ kind: 'tcp', host: '127.0.0.1', port: 53 }], validMs: 10000, ipv4: true, ipv6: true });
    expect(sync.peers[0]).toMatchObject({ text: 'cluster.example.com:12345', resolve: true });
    expect(sync.listen[0]).toMatchObject({ address: { host: '127.0.0.1', port: 4433 }, ssl: true });
    expect(sync.listenerSsl.certificates).toEqual([fixture('localhost.crt')]);
    expect(sync.listenerSsl.certificateKeys).toEqual([fixture('localhost.key')]);
    expect(sync.ssl).toMatchObject({ enabled: true, certificate: fixture('localhost.crt'), certificateKey: fixture('localhost.key') });
  });

  it('004 static nodes with fine-tuning', () => {
    const sync = syncOf(load('admin-guide-static-finetune.conf'));
    expect(sync.listen[0]!.address).toEqual({ kind: 'tcp', host: null, port: 9000 });
    expect(sync.peers).toHaveLength(3);
    expect(sync.buffers).toEqual({ count: 256, sizeBytes: 4096 });
    expect(sync.recvBufferSizeBytes).toBe(256 * 4096);
    expect([sync.connectRetryIntervalMs, sync.connectTimeoutMs, sync.intervalMs, sync.timeoutMs]).toEqual([1000, 5000, 1000, 5000]);
  });

  it('004 step 5: verification of the other server', () => {
    const sync = syncOf(load('admin-guide-verify.conf'));
    expect(sync.ssl).toMatchObject({ enabled: true, verify: true, trustedCertificate: '/etc/ssl/server_ca.pem' });
    expect(sync.resolver?.validMs).toBe(20000);
  });

  it('004 step 6: mutual TLS', () => {
    const sync = syncOf(load('admin-guide-mutual-tls.conf'));
    expect(sync.listenerSsl).toMatchObject({
      certificates: ['/etc/ssl/nginx-1.example.com.server_cert.pem'],
      certificateKeys: ['/etc/ssl/nginx-1.example.com.key.pem'],
      verifyClient: 'on', trustedCertificate: '/etc/ssl/client_ca.pem',
    });
    expect(sync.ssl).toMatchObject({ certificate: fixture('localhost.crt'), verify: true });
  });

  it('004 zones: sticky, limit_req and keyval with sync, and the API location', () => {
    const config = load('admin-guide-zones.conf');
    expect(config.zones.map((z) => [z.kind, z.name, z.sizeBytes, z.sync])).toEqual([
      ['sticky', 'sessions', 1048576, true], ['limit_req', 'req', 1048576, true], ['keyval', 'one', 32768, true],
    ]);
    const limit = config.zones[1] as LimitReqZoneConfig;
    expect(limit.key).toBe('$remote_addr');
    expect(limit.rate).toEqual({ requests: 100, per: 's', milliRequestsPerSecond: 100000 });
    const keyval = config.zones[2] as KeyvalZoneConfig;
    expect(keyval).toMatchObject({ module: 'http', stateFile: '/var/lib/nginx/state/one.keyval', timeoutMs: 3600000, type: 'string' });
    expect(config.http!.keyvals).toEqual([
      { key: '$arg_text', variable: '$text', zone: 'one', source: { file: fixture('admin-guide-zones.conf'), line: 20 } },
    ]);
    const upstream = config.http!.upstreams[0]!;
    expect(upstream.zone).toEqual({ name: 'my_backend', sizeBytes: 65536 });
    expect(upstream.servers[0]).toMatchObject({ address: { host: 'backends.example.com', port: 80 }, resolve: true, weight: 1 });
    const [root, api] = config.http!.servers[0]!.locations;
    expect(root!.settings.limitReqs.map((l) => [l.zone, l.burst, l.delay])).toEqual([['req', 0, 0]]);
    expect(root!.settings.handler).toBe(fixture('handlers/app.js'));
    expect(api!.api).toEqual({ write: true });
    expect(api!.settings.handler).toBeNull();
  });

  it('004 API access: allow/deny on the location, auth_basic for methods other than GET and HEAD', () => {
    const location = load('admin-guide-api.conf').http!.servers[0]!.locations[0]!;
    expect(location.pattern).toBe('/api');
    expect(location.settings.access.map((r) => [r.action, r.match, r.address, r.prefixLength]))
      .toEqual([['allow', 'ipv4', '127.0.0.1', 32], ['deny', 'all', '', 0]]);
    expect(location.settings.authBasic).toBeNull();
    expect(location.limitExcept!.methods).toEqual(['GET', 'HEAD']);
    expect(location.limitExcept!.settings).toMatchObject({ authBasic: 'NGINX Plus API', authBasicUserFile: '/path/to/passwd/file' });
    expect(location.limitExcept!.settings.access).toBe(location.settings.access);
  });

  it('the request limits example proxies to my_backend', () => {
    const location = load('admin-guide-proxy-pass.conf').http!.servers[0]!.locations[0]!;
    expect(location.proxyPass).toEqual({ url: 'http://my_backend', scheme: 'http', host: 'my_backend', port: null, uri: null });
    expect(location.settings.limitReqs.map((l) => l.zone)).toEqual(['req']);
  });
});

describe('defaults are nginx\'s', () => {
  it('main level', () => {
    const config = parseConfigText('', '/x/zonesync.conf');
    expect(config).toEqual({
      workerProcesses: 1, workerShutdownTimeoutMs: 10_000, errorLog: { file: 'stdout', level: 'error' }, pidFile: null, zones: [], http: null, stream: null,
      stateFsync: { mode: 'interval', intervalMs: 1000 },
    });
  });

  it('zone_sync server', () => {
    const sync = syncOf(parseConfigText('stream { server { listen 12345; zone_sync; } }', '/x/zonesync.conf'));
    expect(sync.peers).toEqual([]);
    expect(sync.buffers).toEqual({ count: 8, sizeBytes: 4096 });
    expect(sync.recvBufferSizeBytes).toBe(32768);
    expect(sync.connectRetryIntervalMs).toBe(1000);
    expect(sync.connectTimeoutMs).toBe(5000);
    expect(sync.intervalMs).toBe(1000);
    expect(sync.timeoutMs).toBe(5000);
    expect(sync.resolver).toBeNull();
    expect(sync.resolverTimeoutMs).toBe(30000);
    expect(sync.access).toEqual([]);
    expect(sync.ssl).toEqual({
      enabled: false, certificate: null, certificateKey: null, ciphers: 'DEFAULT', confCommands: [], crl: null, name: null,
      passwordFile: null, protocols: ['TLSv1.2', 'TLSv1.3'], serverName: false, trustedCertificate: null, verify: false, verifyDepth: 1,
    });
    expect(sync.listenerSsl).toMatchObject({ verifyClient: 'off', verifyDepth: 1, ciphers: 'HIGH:!aNULL:!MD5', handshakeTimeoutMs: 60000 });
  });

  it('zones', () => {
    const config = parseConfigText(`http {
      keyval_zone zone=kv:1m;
      limit_req_zone $binary_remote_addr zone=lr:10m;
      upstream u { server 10.0.0.1; sticky learn create=$a lookup=$b zone=st:1m; }
      zonesync_counter_zone zone=hits:1m window=15m sync;
      zonesync_counter_zone zone=forever:64k;
    }`, '/x/zonesync.conf');
    expect(config.zones[0]).toMatchObject({ kind: 'keyval', stateFile: null, timeoutMs: null, type: 'string', sync: false });
    expect((config.zones[1] as LimitReqZoneConfig).rate).toEqual({ requests: 1, per: 's', milliRequestsPerSecond: 1000 });
    expect(config.zones[2]).toMatchObject({ timeoutMs: 600000, header: false, sync: false });
    expect(config.zones.slice(3)).toEqual([
      { kind: 'counter', name: 'hits', sizeBytes: 1 << 20, windowMs: 900_000, sync: true, source: expect.anything() },
      { kind: 'counter', name: 'forever', sizeBytes: 64 << 10, windowMs: 0, sync: false, source: expect.anything() },
    ]);
    expect(config.http!.upstreams[0]!.servers[0]).toMatchObject({
      address: { kind: 'tcp', host: '10.0.0.1', port: 80 }, weight: 1, maxConns: 0, maxFails: 1, failTimeoutMs: 10000,
      backup: false, down: false, resolve: false, route: null,
    });
  });

  it('http server without listen listens on *:80 as root, else *:8000', () => {
    const server = parseConfigText('http { server { } }', '/x/zonesync.conf').http!.servers[0]!;
    expect(server.listen.map((l) => l.address)).toEqual([{ kind: 'tcp', host: null, port: HTTP_PORT }]);
    expect(server.settings).toEqual({
      access: [], authBasic: null, authBasicUserFile: null, limitReqs: [], limitReqStatus: 503, handler: null,
      limitReqDryRun: false, limitReqLogLevel: 'error', clientMaxBodySizeBytes: 1024 * 1024, addHeaders: [], serverTokens: true, accessLogs: [],
      keepaliveTimeoutMs: 75_000, keepaliveHeaderTimeoutMs: null, keepaliveRequests: 1000,
      lingeringClose: 'on', lingeringTimeMs: 30_000, lingeringTimeoutMs: 5_000,
      proxy: { setHeaders: [], hideHeaders: [], passHeaders: [], connectTimeoutMs: 60_000, readTimeoutMs: 60_000, sendTimeoutMs: 60_000, nextUpstream: ['error', 'timeout'], nextUpstreamTries: 0, nextUpstreamTimeoutMs: 0,
        ssl: {
          verify: false, verifyDepth: 1, trustedCertificate: null, serverName: false, name: null, certificate: null, certificateKey: null, passwordFile: null,
          protocols: ['TLSv1.2', 'TLSv1.3'], ciphers: 'DEFAULT', confCommands: [], crl: null, sessionReuse: true, sources: {},
        } },
    });
    expect(server.return).toBeNull();
  });
});

describe('the node\'s own endpoints: api, zonesync_health, zonesync_metrics, zonesync_dashboard', () => {
  it('each is read on its location only; nested locations and other locations have none', () => {
    const server = parseConfigText(`http { server {
      location /api { api write=on; }
      location = /livez { zonesync_health live; }
      location = /readyz { zonesync_health ready; }
      location /ops/ { allow 127.0.0.1; deny all; zonesync_metrics; location /ops/inner { } }
      location / { }
    } }`, '/x/zonesync.conf').http!.servers[0]!;
    const content = server.locations.map((l) => [l.pattern, l.api, l.health, l.metrics]);
    expect(content).toEqual([
      ['/api', { write: true }, null, false],
      ['/livez', null, 'live', false],
      ['/readyz', null, 'ready', false],
      ['/ops/', null, null, true],
      ['/', null, null, false],
    ]);
    const inner = server.locations[3]!.locations[0]!;
    expect([inner.api, inner.health, inner.metrics, inner.dashboard]).toEqual([null, null, false, null]);
    expect(inner.settings.access).toEqual(server.locations[3]!.settings.access);
  });

  it.each([
    ['zonesync_dashboard;', { api: '/api/' }],
    ['zonesync_dashboard api=/api/;', { api: '/api/' }],
    ['zonesync_dashboard api=/ops/api;', { api: '/ops/api' }],
    ['zonesync_dashboard "api=/a b%20c/";', null],
  ])('%s', (directive, dashboard) => {
    const text = `http { server { location = /dashboard.html { ${directive} } location / { } } }`;
    if (dashboard === null) {
      expect(() => parseConfigText(text, '/x/zonesync.conf')).toThrow('invalid "api" parameter "/a b%20c/" in "zonesync_dashboard" directive, it must be a path on this host, such as "/api/"');
      return;
    }
    const [page, other] = parseConfigText(text, '/x/zonesync.conf').http!.servers[0]!.locations;
    expect(page!.dashboard).toEqual(dashboard);
    expect([page!.api, page!.health, page!.metrics]).toEqual([null, null, false]);
    expect(other!.dashboard).toBeNull();
  });
});

describe('inheritance', () => {
  const config = load('inheritance.conf');
  const sync = syncOf(config);

  it('reads the main level and events', () => {
    expect(config.workerProcesses).toBe(4);
    expect(config.errorLog).toEqual({ file: '/var/log/zonesync/error.log', level: 'info' });
  });

  it('stream values reach the server; the server\'s own win', () => {
    expect(sync.buffers).toEqual({ count: 16, sizeBytes: 8192 });
    expect(sync.recvBufferSizeBytes).toBe(16 * 8192);
    expect(sync.intervalMs).toBe(100);
    expect(sync.timeoutMs).toBe(10000);
    expect(sync.resolverTimeoutMs).toBe(5000);
    expect(sync.ssl.protocols).toEqual(['TLSv1.3']);
  });

  it('a repeatable directive is inherited whole, and only when the server has none', () => {
    expect(sync.ssl.confCommands).toEqual([{ name: 'MinProtocol', value: 'TLSv1.3' }, { name: 'Groups', value: 'X25519' }]);
    expect(sync.access.map((r) => [r.action, r.match, r.address, r.prefixLength])).toEqual([['allow', 'ipv4', '10.0.0.0', 8], ['deny', 'all', '', 0]]);
  });

  it('records where each effective directive was written', () => {
    const file = fixture('inheritance.conf');
    expect(sync.directiveSources?.['zone_sync_buffers']).toEqual({ file, line: 13 });
    expect(sync.directiveSources?.['zone_sync_interval']).toEqual({ file, line: 30 });
    expect(sync.source).toEqual({ file, line: 24 });
  });

  it('resolver with ports, IPv6 in brackets and flags', () => {
    expect(sync.resolver).toEqual({
      servers: [{ kind: 'tcp', host: '10.0.0.53', port: 5353 }, { kind: 'tcp', host: '::1', port: 53 }],
      validMs: 20000, ipv4: true, ipv6: false,
    });
  });

  it('peers over TCP and unix sockets; stream keyval', () => {
    expect(sync.peers.map((p) => p.address)).toEqual([
      { kind: 'tcp', host: '10.0.0.2', port: 12345 }, { kind: 'unix', path: '/run/zonesync/peer.sock' },
    ]);
    expect(config.zones[0]).toMatchObject({ kind: 'keyval', module: 'stream', type: 'ip', timeoutMs: 600000, sync: true });
    expect(config.stream!.keyvals[0]).toMatchObject({ key: '$remote_addr', variable: '$denied', zone: 'stream_kv' });
  });

  it('http request settings flow http → server → location → nested location → limit_except', () => {
    const http = parseConfigText(`http {
      limit_req_zone $binary_remote_addr zone=a:1m rate=10r/s;
      limit_req_zone $binary_remote_addr zone=b:1m rate=30r/m;
      limit_req zone=a burst=5 nodelay;
      zonesync_handler /srv/default.js;
      allow 192.168.1.0/24;
      server {
        listen 127.0.0.1:8080;
        limit_req_status 429;
        location / {
          location /inner { limit_req zone=b delay=2 burst=4; }
        }
        location = /exact {
          zonesync_handler exact.js;
          deny all;
          limit_except GET POST { auth_basic realm; }
        }
      }
    }`, '/etc/zs/zonesync.conf').http!;
    const server = http.servers[0]!;
    expect(server.settings.limitReqs.map((l) => [l.zone, l.burst, l.delay])).toEqual([['a', 5, Infinity]]);
    expect(server.settings.limitReqStatus).toBe(429);
    expect(server.settings.handler).toBe('/srv/default.js');
    const [root, exact] = server.locations;
    expect(root!.settings.limitReqStatus).toBe(429);
    const inner = root!.locations[0]!;
    expect(inner.pattern).toBe('/inner');
    expect(inner.settings.limitReqs.map((l) => [l.zone, l.burst, l.delay])).toEqual([['b', 4, 2]]);
    expect(inner.settings.access.map((r) => r.address)).toEqual(['192.168.1.0']);
    expect(exact!.modifier).toBe('exact');
    expect(exact!.settings.handler).toBe('/etc/zs/exact.js');
    expect(exact!.limitExcept!.methods).toEqual(['GET', 'HEAD', 'POST']);
    expect(exact!.limitExcept!.settings).toMatchObject({ authBasic: 'realm', handler: '/etc/zs/exact.js' });
    expect(exact!.limitExcept!.settings.access.map((r) => r.action)).toEqual(['deny']);
  });
});

describe('values', () => {
  const parseHttp = (body: string): ZonesyncConfig => parseConfigText(`http { ${body} }`, '/x/zonesync.conf');

  it('location modifiers', () => {
    const server = parseHttp('server { location = /a {} location ^~ /b {} location ~ \\.php$ {} location ~* \\.JPG$ {} location =/c {} }').http!.servers[0]!;
    expect(server.locations.map((l) => [l.modifier, l.pattern])).toEqual([
      ['exact', '/a'], ['prefix-no-regex', '/b'], ['regex', '\\.php$'], ['regex-case-insensitive', '\\.JPG$'], ['exact', '/c'],
    ]);
  });

  it('listen forms in http', () => {
    const listen = parseHttp('server { listen 8080; listen 127.0.0.1; listen [::1]:81 default_server; listen unix:/run/zs.sock; listen *:82 backlog=10 ipv6only=off; }')
      .http!.servers[0]!.listen;
    expect(listen.map((l) => l.address)).toEqual([
      { kind: 'tcp', host: null, port: 8080 }, { kind: 'tcp', host: '127.0.0.1', port: 80 },
      { kind: 'tcp', host: '::1', port: 81 }, { kind: 'unix', path: '/run/zs.sock' }, { kind: 'tcp', host: null, port: 82 },
    ]);
    expect(listen[2]!.defaultServer).toBe(true);
    expect(listen[4]).toMatchObject({ backlog: 10, ipv6Only: false });
  });

  it('access rules: CIDR normalised, IPv6, unix:', () => {
    const access = parseHttp('allow 10.1.2.3/8; allow 2001:db8::1/32; deny ::1; allow unix:; deny all; server {}').http!.servers[0]!.settings.access;
    expect(access.map((r) => [r.action, r.match, r.address, r.prefixLength])).toEqual([
      ['allow', 'ipv4', '10.0.0.0', 8], ['allow', 'ipv6', '2001:db8::', 32], ['deny', 'ipv6', '::1', 128],
      ['allow', 'unix', '', 0], ['deny', 'all', '', 0],
    ]);
  });

  it('keyval_zone parameters and upstream server parameters', () => {
    const config = parseHttp(`keyval_zone zone=p:64k type=prefix timeout=1h30m state=state/p.json;
      upstream u { server 10.0.0.1:81 weight=3 max_conns=10 max_fails=2 fail_timeout=30s backup route=r1; server unix:/s down; }`);
    expect(config.zones[0]).toMatchObject({ type: 'prefix', timeoutMs: 5400000, stateFile: '/x/state/p.json' });
    expect(config.http!.upstreams[0]!.servers).toMatchObject([
      { weight: 3, maxConns: 10, maxFails: 2, failTimeoutMs: 30000, backup: true, route: 'r1' },
      { address: { kind: 'unix', path: '/s' }, down: true },
    ]);
  });

  it('sticky learn with several create and lookup, header, timeout', () => {
    const zone = parseHttp('upstream u { server a:1; sticky learn create=$a create=$b lookup=$c lookup=$d zone=s:64k timeout=1h header; }').zones[0];
    expect(zone).toMatchObject({ create: ['$a', '$b'], lookup: ['$c', '$d'], timeoutMs: 3600000, header: true, sync: false });
  });

  it('zone_sync_server … resolve without a resolver directive: the system\'s name servers', () => {
    const sync = syncOf(parseConfigText('stream { server { listen 1; zone_sync; zone_sync_server cluster.example.com:12345 resolve; } }', '/x/zonesync.conf'));
    expect(sync.resolver).toBeNull();
    expect(sync.peers).toMatchObject([{ text: 'cluster.example.com:12345', resolve: true }]);
  });

  it('worker_processes auto, pid, error_log stderr', () => {
    const config = parseConfigText('worker_processes auto; pid run/zs.pid; error_log stderr warn;', '/x/zonesync.conf');
    expect(config).toMatchObject({ workerProcesses: 'auto', pidFile: '/x/run/zs.pid', errorLog: { file: 'stderr', level: 'warn' } });
  });

  it.each([
    ['error_log stdout;', { file: 'stdout', level: 'error' }],
    ['error_log stdout info;', { file: 'stdout', level: 'info' }],
    ['error_log logs/error.log notice;', { file: '/x/logs/error.log', level: 'notice' }],
    ['error_log /var/log/zonesync.log;', { file: '/var/log/zonesync.log', level: 'error' }],
  ])('%s', (text, errorLog) => {
    expect(parseConfigText(text, '/x/zonesync.conf').errorLog).toEqual(errorLog);
  });

  it.each([['1500ms', 1500], ['2s', 2000], ['1m', 60_000], ['0', 0], ['30', 30_000]])('worker_shutdown_timeout %s', (text, ms) => {
    expect(parseConfigText(`worker_shutdown_timeout ${text};`, '/x/zonesync.conf').workerShutdownTimeoutMs).toBe(ms);
  });

  it('TLS protocols and the full zone_sync_ssl set', () => {
    const sync = syncOf(parseConfigText(`stream { server { listen 1; zone_sync;
      zone_sync_ssl on; zone_sync_ssl_protocols TLSv1 TLSv1.1 TLSv1.2; zone_sync_ssl_ciphers HIGH; zone_sync_ssl_crl crl.pem;
      zone_sync_ssl_name peer.example.com; zone_sync_ssl_password_file pw; zone_sync_ssl_server_name on;
      zone_sync_ssl_verify_depth 2; ssl_client_certificate ca.pem; ssl_crl c.pem; ssl_verify_client optional;
    } }`, '/x/zonesync.conf'));
    expect(sync.ssl).toMatchObject({
      enabled: true, protocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2'], ciphers: 'HIGH', crl: '/x/crl.pem', name: 'peer.example.com',
      passwordFile: '/x/pw', serverName: true, verifyDepth: 2,
    });
    expect(sync.listenerSsl).toMatchObject({ clientCertificate: '/x/ca.pem', crl: '/x/c.pem', verifyClient: 'optional' });
  });
});

describe('zonesync_state_fsync', () => {
  it.each<[string, unknown]>([
    ['off', { mode: 'off' }],
    ['always', { mode: 'always' }],
    ['interval=1s', { mode: 'interval', intervalMs: 1000 }],
    ['interval=250ms', { mode: 'interval', intervalMs: 250 }],
    ['interval=2', { mode: 'interval', intervalMs: 2000 }],
    ['interval=1m', { mode: 'interval', intervalMs: 60000 }],
  ])('%s', (value, policy) => {
    expect(parseConfigText(`zonesync_state_fsync ${value};`, '/x/zonesync.conf').stateFsync).toEqual(policy);
  });
});
