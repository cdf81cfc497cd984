import { describe, expect, it } from 'vitest';
import { normalizeConfig, parseConfigText } from '../../dist/config/index.js';
import type { HttpLocationConfig, ZonesyncConfig } from '../../dist/config/types.js';
import { FILE, configErrorOf as errorOf } from './config-error.js';

function http(body: string): ZonesyncConfig {
  return parseConfigText(`http {\n${body}\n}`, FILE);
}

function location(directives: string, pattern = '/'): HttpLocationConfig {
  return http(`server { listen 127.0.0.1:8080; location ${pattern} { ${directives} } }`).http!.servers[0]!.locations[0]!;
}

describe('proxy_pass', () => {
  it.each<[string, object]>([
    ['http://backend', { scheme: 'http', host: 'backend', port: null, uri: null }],
    ['http://127.0.0.1:8080', { scheme: 'http', host: '127.0.0.1', port: 8080, uri: null }],
    ['http://127.0.0.1:8080/', { scheme: 'http', host: '127.0.0.1', port: 8080, uri: '/' }],
    ['http://backend/app/', { scheme: 'http', host: 'backend', port: null, uri: '/app/' }],
    ['http://[::1]:9000/x', { scheme: 'http', host: '::1', port: 9000, uri: '/x' }],
    ['HTTP://Backend.example.com', { scheme: 'http', host: 'Backend.example.com', port: null, uri: null }],
    ['https://backend', { scheme: 'https', host: 'backend', port: null, uri: null }],
    ['HTTPS://10.0.0.1:8443/app/', { scheme: 'https', host: '10.0.0.1', port: 8443, uri: '/app/' }],
    // With variables, what follows the scheme is evaluated per request.
    ['http://$pool', { scheme: 'http', host: '$pool', port: null, uri: null, variables: true }],
    ['https://$host:8443$request_uri', { scheme: 'https', host: '$host:8443$request_uri', port: null, uri: null, variables: true }],
    ['http://backend$request_uri', { scheme: 'http', host: 'backend$request_uri', port: null, uri: null, variables: true }],
  ])('%s', (url, expected) => {
    expect(location(`proxy_pass ${url};`).proxyPass).toEqual({ url, ...expected });
  });

  it.each<[string, string]>([
    ['location / { proxy_pass ftp://b; }', '"ftp" in "proxy_pass" is not supported by zonesync, only "http" and "https"'],
    ['location / { proxy_pass $url; }', 'the scheme of a "proxy_pass" with variables must be written, "http://" or "https://": "$url"'],
    ['location / { proxy_pass https://b; proxy_ssl_verify maybe; }', 'invalid value "maybe" in "proxy_ssl_verify" directive'],
    ['location / { proxy_pass https://b; proxy_ssl_verify_depth -1; }', 'invalid value "-1" in "proxy_ssl_verify_depth" directive'],
    ['location / { proxy_pass https://b; proxy_ssl_protocols SSLv3; }', '"SSLv3" in "proxy_ssl_protocols" directive is not supported'],
    ['location / { proxy_pass https://b; proxy_ssl_name $host; }', 'variables in "proxy_ssl_name" are not supported by zonesync (only its default, $proxy_host): "$host"'],
    ['location / { proxy_pass https://b; proxy_ssl_verify on; proxy_ssl_verify off; }', '"proxy_ssl_verify" directive is duplicate'],
    ['location / { proxy_pass https://b; proxy_ssl_conf_command Bogus x; }', 'unsupported command "Bogus" in "proxy_ssl_conf_command" directive'],
    ['location / { resolver 127.0.0.1; proxy_pass http://$host; }', '"resolver" directive is supported by zonesync in the http block only, not in a server or location'],
    ['location / { proxy_pass backend; }', 'invalid URL prefix in "backend"'],
    ['location / { proxy_pass http://; }', 'invalid host in upstream "http://"'],
    ['location / { proxy_pass http://b:0; }', 'invalid port in upstream "http://b:0"'],
    ['location / { proxy_pass http://b:70000; }', 'invalid port in upstream "http://b:70000"'],
    ['location / { proxy_pass http://a; proxy_pass http://b; }', '"proxy_pass" directive is duplicate'],
    ['location ~ ^/x { proxy_pass http://b/y; }', '"proxy_pass" cannot have URI part in location given by regular expression'],
    ['location / { proxy_pass http://b; api; }', '"api" and "proxy_pass" cannot both be in location "/"'],
    ['proxy_pass http://b;', '"proxy_pass" directive is not allowed here'],
  ])('%s is refused', (block, message) => {
    expect(errorOf(`http { server { listen 1; ${block} } }`)).toContain(message);
  });

  it('a regular expression location takes a URL without URI', () => {
    expect(location('proxy_pass http://b;', '~ ^/x').proxyPass).toMatchObject({ host: 'b', uri: null });
  });

  it('an upstream named with a port is refused, as nginx', () => {
    expect(errorOf('http { upstream b { server 10.0.0.1; } server { listen 1; location / { proxy_pass http://b:8080; } } }'))
      .toContain('upstream "b" may not have port 8080 in "proxy_pass" of location "/"');
  });

  it('nested locations do not inherit proxy_pass', () => {
    const outer = location('proxy_pass http://b; location /inner { }');
    expect(outer.proxyPass).not.toBeNull();
    expect(outer.locations[0]!.proxyPass).toBeNull();
  });
});

describe('proxy settings', () => {
  it('have nginx\'s defaults', () => {
    expect(location('proxy_pass http://b;').settings.proxy).toEqual({
      setHeaders: [], hideHeaders: [], passHeaders: [], connectTimeoutMs: 60_000, readTimeoutMs: 60_000, sendTimeoutMs: 60_000, nextUpstream: ['error', 'timeout'],
      nextUpstreamTries: 0, nextUpstreamTimeoutMs: 0,
      ssl: {
        verify: false, verifyDepth: 1, trustedCertificate: null, serverName: false, name: null, certificate: null, certificateKey: null,
        passwordFile: null, protocols: ['TLSv1.2', 'TLSv1.3'], ciphers: 'DEFAULT', confCommands: [], crl: null, sessionReuse: true, sources: {},
      },
    });
  });

  it('proxy_ssl_* are inherited each on its own, relative paths from the configuration\'s directory, each with where it was written', () => {
    const config = http(`
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate ca.pem;
    server {
        listen 127.0.0.1:8080;
        proxy_ssl_server_name on;
        location /a { proxy_pass https://b; proxy_ssl_name backend.example.com; proxy_ssl_verify_depth 2; }
        location /b { proxy_pass https://b; proxy_ssl_verify off; proxy_ssl_certificate /c.pem; proxy_ssl_certificate_key /k.pem; proxy_ssl_session_reuse off; }
    }`);
    const [a, b] = config.http!.servers[0]!.locations.map((l) => l.settings.proxy.ssl);
    expect(a).toMatchObject({ verify: true, trustedCertificate: '/etc/zonesync/ca.pem', serverName: true, name: 'backend.example.com', verifyDepth: 2, sessionReuse: true });
    expect(b).toMatchObject({ verify: false, trustedCertificate: '/etc/zonesync/ca.pem', serverName: true, certificate: '/c.pem', certificateKey: '/k.pem', sessionReuse: false });
    expect(a!.sources!['proxy_ssl_verify']).toEqual({ file: FILE, line: 3 });
    expect(b!.sources!['proxy_ssl_verify']).toEqual({ file: FILE, line: 9 });
    expect(a!.sources!['proxy_ssl_server_name']).toEqual({ file: FILE, line: 7 });
  });

  it('resolver and resolver_timeout of the http block', () => {
    const config = http('resolver 127.0.0.1:5353 valid=5s ipv6=off; resolver_timeout 2s; server { listen 127.0.0.1:8080; }');
    expect(config.http!.resolver).toMatchObject({ servers: [{ kind: 'tcp', host: '127.0.0.1', port: 5353 }], validMs: 5000, ipv4: true, ipv6: false });
    expect(config.http!.resolverTimeoutMs).toBe(2000);
    expect(http('server { listen 127.0.0.1:8080; }').http!.resolver).toBeNull();
  });

  it('proxy_hide_header and proxy_pass_header collect fields, inherited as proxy_set_header', () => {
    const config = http(`proxy_hide_header X-Powered-By;
      server { listen 1;
        location /inherits { proxy_pass http://b; }
        location /own { proxy_pass http://b; proxy_hide_header X-A; proxy_hide_header X-B; proxy_pass_header Server; }
      }`);
    const [inherits, own] = config.http!.servers[0]!.locations;
    expect(inherits!.settings.proxy).toMatchObject({ hideHeaders: ['X-Powered-By'], passHeaders: [] });
    expect(own!.settings.proxy).toMatchObject({ hideHeaders: ['X-A', 'X-B'], passHeaders: ['Server'] });
  });

  it('proxy_set_header is inherited only by a level that has none of its own', () => {
    const config = http(`proxy_set_header X-A a;
      server { listen 1;
        location /inherits { proxy_pass http://b; }
        location /own { proxy_pass http://b; proxy_set_header X-B $remote_addr; proxy_set_header Host $host; }
      }`);
    const [inherits, own] = config.http!.servers[0]!.locations;
    expect(inherits!.settings.proxy.setHeaders).toEqual([{ name: 'X-A', value: 'a' }]);
    expect(own!.settings.proxy.setHeaders).toEqual([{ name: 'X-B', value: '$remote_addr' }, { name: 'Host', value: '$host' }]);
  });

  it.each<[string, object]>([
    ['proxy_connect_timeout 5s;', { connectTimeoutMs: 5000 }],
    ['proxy_read_timeout 250ms;', { readTimeoutMs: 250 }],
    ['proxy_send_timeout 2m;', { sendTimeoutMs: 120_000 }],
    ['proxy_buffering off;', {}],
    ['proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";', {
      setHeaders: [{ name: 'Upgrade', value: '$http_upgrade' }, { name: 'Connection', value: 'upgrade' }],
    }],
    ['proxy_buffering on;', {}],
    ['proxy_request_buffering off;', {}],
    ['proxy_next_upstream off;', { nextUpstream: [] }],
    ['proxy_next_upstream error timeout http_502 http_503 non_idempotent;', { nextUpstream: ['error', 'timeout', 'http_502', 'http_503', 'non_idempotent'] }],
    ['proxy_next_upstream http_404 http_404;', { nextUpstream: ['http_404'] }],
    ['proxy_next_upstream_tries 2;', { nextUpstreamTries: 2 }],
    ['proxy_next_upstream_timeout 3s;', { nextUpstreamTimeoutMs: 3000 }],
    ['proxy_http_version 1.1;', {}],
  ])('%s', (directive, expected) => {
    expect(location(`proxy_pass http://b; ${directive}`).settings.proxy).toMatchObject(expected);
  });

  it.each<[string, string]>([
    ['proxy_next_upstream off error;', '"off" cannot be combined with other parameters in "proxy_next_upstream" directive'],
    ['proxy_next_upstream http_418;', 'invalid value "http_418" in "proxy_next_upstream" directive'],
    ['proxy_connect_timeout 0;', 'invalid value "0" in "proxy_connect_timeout" directive, it must be greater than 0'],
    ['proxy_read_timeout 1q;', 'invalid value "1q" in "proxy_read_timeout" directive'],
    ['proxy_set_header "Bad Name" x;', 'invalid header name "Bad Name" in "proxy_set_header" directive'],
    ['proxy_hide_header "a b";', 'invalid header name "a b" in "proxy_hide_header" directive'],
    ['proxy_set_header Keep-Alive 1;', '"proxy_set_header Keep-Alive" is not supported by zonesync: the connection to the upstream sets it'],
    ['proxy_read_timeout 1s; proxy_read_timeout 2s;', '"proxy_read_timeout" directive is duplicate'],
    ['proxy_send_timeout 0;', 'invalid value "0" in "proxy_send_timeout" directive, it must be greater than 0'],
    ['proxy_send_timeout 1s; proxy_send_timeout 2s;', '"proxy_send_timeout" directive is duplicate'],
    ['proxy_buffering yes;', 'invalid value "yes" in "proxy_buffering" directive'],
    ['proxy_request_buffering on;', '"proxy_request_buffering on" is not supported by zonesync, which streams the request body to the upstream ("off")'],
    ['proxy_buffers 8 4k;', '"proxy_buffers" directive is not supported by zonesync'],
  ])('%s is refused', (directive, message) => {
    expect(errorOf(`http { server { listen 1; location / { proxy_pass http://b; ${directive} } } }`)).toContain(message);
  });
});

describe('return', () => {
  it.each<[string, object]>([
    ['return 200 "text=$text";', { status: 200, text: 'text=$text' }],
    ['return 204;', { status: 204, text: null }],
    ['return 301 https://example.com$request_uri;', { status: 301, text: 'https://example.com$request_uri' }],
    ['return http://example.com/;', { status: 302, text: 'http://example.com/' }],
    ['return 444;', { status: 444, text: null }],
  ])('%s', (directive, expected) => {
    expect(location(directive).return).toEqual(expected);
  });

  it('the first return of a block is the one that answers', () => {
    expect(location('return 201 a; return 202 b;').return).toEqual({ status: 201, text: 'a' });
  });

  it('a server-level return is kept apart from the locations', () => {
    const server = http('server { listen 1; return 403; location / { } }').http!.servers[0]!;
    expect(server.return).toEqual({ status: 403, text: null });
    expect(server.locations[0]!.return).toBeNull();
  });

  it.each(['return abc;', 'return 1000 x;', 'return -1;'])('%s is refused', (directive) => {
    expect(errorOf(`http { server { listen 1; location / { ${directive} } } }`)).toContain('invalid return code');
  });
});

describe('upstream keepalive and limit_req settings', () => {
  it('keepalive, keepalive_timeout and keepalive_requests in an upstream, with nginx\'s defaults', () => {
    const [plain, kept] = http(`upstream a { server 10.0.0.1; }
      upstream b { server 10.0.0.2; keepalive 16; keepalive_timeout 30s; keepalive_requests 100; }`).http!.upstreams;
    expect(plain).toMatchObject({ keepalive: null, keepaliveTimeoutMs: 60_000, keepaliveRequests: 1000 });
    expect(kept).toMatchObject({ keepalive: 16, keepaliveTimeoutMs: 30_000, keepaliveRequests: 100 });
  });

  it.each<[string, string]>([
    ['keepalive 0;', 'invalid value "0" in "keepalive" directive, it must be greater than 0'],
    ['keepalive 1; keepalive 2;', '"keepalive" directive is duplicate'],
    ['keepalive_requests x;', 'invalid value "x" in "keepalive_requests" directive'],
  ])('%s is refused', (directive, message) => {
    expect(errorOf(`http { upstream a { server 10.0.0.1; ${directive} } }`)).toContain(message);
  });

  it.each<[string, object]>([
    ['limit_req_dry_run on;', { limitReqDryRun: true }],
    ['limit_req_log_level warn;', { limitReqLogLevel: 'warn' }],
    ['client_max_body_size 0;', { clientMaxBodySizeBytes: 0 }],
    ['client_max_body_size 64m;', { clientMaxBodySizeBytes: 64 * 1024 * 1024 }],
  ])('%s', (directive, expected) => {
    expect(location(directive).settings).toMatchObject(expected);
  });

  it.each<[string, string]>([
    ['limit_req_dry_run yes;', 'invalid value "yes" in "limit_req_dry_run" directive, it must be "on" or "off"'],
    ['limit_req_log_level debug;', 'invalid value "debug" in "limit_req_log_level" directive'],
  ])('%s is refused', (directive, message) => {
    expect(errorOf(`http { server { listen 1; location / { ${directive} } } }`)).toContain(message);
  });

  it('settings written at the http level reach the locations', () => {
    const config = http('limit_req_dry_run on; limit_req_log_level info; server { listen 1; location / { } }');
    expect(config.http!.servers[0]!.locations[0]!.settings).toMatchObject({ limitReqDryRun: true, limitReqLogLevel: 'info' });
  });
});

describe('in code (normalizeConfig)', () => {
  it('proxy settings are filled field by field and inherited', () => {
    const config = normalizeConfig({
      http: {
        upstreams: [{ name: 'b', servers: ['127.0.0.1:9000'] }],
        servers: [{
          listen: ['127.0.0.1:8080'], settings: { proxy: { readTimeoutMs: 5 } },
          locations: [{ pattern: '/', proxyPass: { url: 'http://b', host: 'b', port: null, uri: null }, settings: { proxy: { connectTimeoutMs: 7 } } }],
        }],
      },
    });
    const loc = config.http!.servers[0]!.locations[0]!;
    expect(loc.settings.proxy).toMatchObject({ readTimeoutMs: 5, connectTimeoutMs: 7, nextUpstream: ['error', 'timeout'] });
    expect(config.http!.upstreams[0]).toMatchObject({ keepalive: null, keepaliveTimeoutMs: 60_000 });
    expect(config.http!.servers[0]!.return).toBeNull();
  });
});
