import { describe, it, expect } from 'vitest';
import { ConfigError, parseConfigText } from '../../dist/config/index.js';

const FILE = '/etc/zonesync/zonesync.conf';

function errorOf(text: string): ConfigError {
  try {
    parseConfigText(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, got a configuration');
}

/* `text` lines are joined with "\n" so that line numbers are easy to read in the cases. */
function expectError(lines: readonly string[], message: string, line: number): void {
  const error = errorOf(lines.join('\n'));
  expect(error.message).toBe(`${message} in ${FILE}:${line}`);
  expect(error.line).toBe(line);
  expect(error.file).toBe(FILE);
}

const syncServer = (...body: string[]): string[] => ['stream {', '  server {', '    listen 12345;', '    zone_sync;', ...body.map((b) => `    ${b}`), '  }', '}'];
// body starts at line 5 in syncServer

describe('generic directive errors', () => {
  it.each<[string, string[], string, number]>([
    ['unknown directive', ['worker_processes 1;', 'foo bar;'], 'unknown directive "foo"', 2],
    ['unknown directive in a block', ['stream {', '  server {', '    zone_sink;', '  }', '}'], 'unknown directive "zone_sink"', 3],
    ['wrong context', ['zone_sync;'], '"zone_sync" directive is not allowed here', 1],
    ['wrong context in stream', ['stream {', '  zone_sync_server a:1;', '}'], '"zone_sync_server" directive is not allowed here', 2],
    ['wrong context: api in server', ['http {', '  server {', '    api;', '  }', '}'], '"api" directive is not allowed here', 3],
    ['wrong context: limit_req_zone in stream', ['stream {', '  limit_req_zone $a zone=z:1m;', '}'], '"limit_req_zone" directive is not allowed here', 2],
    ['wrong context: zonesync_counter_zone in a server', ['http {', '  server {', '    zonesync_counter_zone zone=z:1m;', '  }', '}'], '"zonesync_counter_zone" directive is not allowed here', 3],
    ['block expected', ['http;'], 'directive "http" has no opening "{"', 1],
    ['block not expected', ['stream {', '  server {', '    zone_sync { }', '  }', '}'], 'directive "zone_sync" is not terminated by ";"', 3],
    ['too few arguments', syncServer('zone_sync_buffers 8;'), 'invalid number of arguments in "zone_sync_buffers" directive', 5],
    ['too many arguments', syncServer('zone_sync_timeout 5s 6s;'), 'invalid number of arguments in "zone_sync_timeout" directive', 5],
    ['arguments to a flag-less directive', syncServer('zone_sync on;'), 'invalid number of arguments in "zone_sync" directive', 5],
    ['duplicate directive', syncServer('zone_sync_timeout 5s;', 'zone_sync_timeout 6s;'), '"zone_sync_timeout" directive is duplicate', 6],
    ['duplicate zone_sync', syncServer('zone_sync;'), '"zone_sync" directive is duplicate', 5],
    ['duplicate top-level block', ['http {}', 'http {}'], '"http" directive is duplicate', 2],
  ])('%s', (_, lines, message, line) => {
    expectError(lines, message, line);
  });
});

describe('directives zonesync does not support', () => {
  it.each<[string[], string, number]>([
    [['http {', '  server {', '    location / {', '      proxy_cache one;', '    }', '  }', '}'], '"proxy_cache" directive is not supported by zonesync', 4],
    [['http {', '  server {', '    location / { proxy_pass grpc://backend; }', '  }', '}'], '"grpc" in "proxy_pass" is not supported by zonesync, only "http" and "https"', 3],
    [['http {', '  server {', '    location / { proxy_ssl_verify on; }', '  }', '}', 'stream { proxy_ssl on; }'], '"proxy_ssl" directive is not supported by zonesync', 6],
    [['http {', '  server {', '    location / { proxy_pass http://unix:/run/app.sock; }', '  }', '}'], 'unix domain sockets in "proxy_pass" are not supported by zonesync: "http://unix:/run/app.sock"', 3],
    [['http {', '  map $http_upgrade $connection_upgrade {', '    default upgrade;', "    '' close;", '  }', '}'], '"map" directive is not supported by zonesync; to proxy WebSocket, write proxy_set_header Connection "upgrade" rather than a mapped $connection_upgrade', 2],
    [['http {', '  server {', '    location / { proxy_http_version 1.0; }', '  }', '}'], '"proxy_http_version 1.0" is not supported by zonesync, which speaks HTTP/1.1 to upstream servers', 3],
    [['http {', '  keepalive_time 1h;', '}'], '"keepalive_time" directive is not supported by zonesync', 2],
    [['http {', '  server {', '    root /var/www;', '  }', '}'], '"root" directive is not supported by zonesync', 3],
    [['http {', '  server {', '    location / { fastcgi_pass 127.0.0.1:9000; }', '  }', '}'], '"fastcgi_pass" directive is not supported by zonesync', 3],
    [['http {', '  server {', '    rewrite ^ /x;', '  }', '}'], '"rewrite" directive is not supported by zonesync', 3],
    [['http {', '  gzip on;', '}'], '"gzip" directive is not supported by zonesync', 2],
    [['http {', '  server {', '    location / { gzip on; }', '  }', '}'], '"gzip" directive is not supported by zonesync', 3],
    [['http {', '  server {', '    if ($uri) { return 404; }', '  }', '}'], '"if" directive is not supported by zonesync', 3],
    [['http {', '  upstream u {', '    ip_hash;', '    server a;', '  }', '}'], '"ip_hash" directive is not supported by zonesync', 3],
    [['http {', '  upstream u {', '    least_conn;', '    server a;', '  }', '}'], '"least_conn" directive is not supported by zonesync', 3],
    [['http {', '  server {', '    location / { health_check; }', '  }', '}'], '"health_check" directive is not supported by zonesync', 3],
    [['http {', '  server {', '    ssl_certificate a.pem;', '  }', '}'], '"ssl_certificate" directive is not supported by zonesync in http', 3],
    [['http {', '  server {', '    location / { ssl_protocols TLSv1.2; }', '  }', '}'], '"ssl_protocols" directive is not supported by zonesync in http', 3],
    [['stream {', '  upstream u { server a:1; }', '}'], '"upstream" directive is not supported by zonesync in stream', 2],
    [['stream {', '  server {', '    listen 1;', '  }', '}'], 'stream server without "zone_sync" is not supported by zonesync (zonesync proxies nothing)', 2],
    [['http {', '  server {', '    listen 443 ssl;', '  }', '}'], '"ssl" parameter of the "listen" directive is not supported by zonesync in http', 3],
    [syncServer('listen 1 udp;'), '"udp" parameter of the "listen" directive is not supported by zonesync', 5],
    [['http {', '  upstream u {', '    server a;', '    sticky cookie srv_id;', '  }', '}'], '"sticky cookie" is not supported by zonesync, only "sticky learn"', 4],
    [['http {', '  server {', '    location @fallback { }', '  }', '}'], 'named location "@fallback" is not supported by zonesync', 3],
  ])('%#: %s', (lines, message, line) => {
    expectError(lines, message, line);
  });
});

describe('bad values', () => {
  it.each<[string[], string, number]>([
    [syncServer('zone_sync_timeout 5q;'), 'invalid value "5q" in "zone_sync_timeout" directive', 5],
    [['zonesync_state_fsync sometimes;'], 'invalid value "sometimes" in "zonesync_state_fsync" directive, it must be "off", "always" or "interval=TIME"', 1],
    [['zonesync_state_fsync interval=;'], 'invalid value "interval=" in "zonesync_state_fsync" directive, it must be "off", "always" or "interval=TIME"', 1],
    [['zonesync_state_fsync interval=0;'], 'invalid value "interval=0" in "zonesync_state_fsync" directive, the interval must be greater than 0', 1],
    [['zonesync_state_fsync interval=5q;'], 'invalid value "5q" in "zonesync_state_fsync" directive', 1],
    [['zonesync_state_fsync on;'], 'invalid value "on" in "zonesync_state_fsync" directive, it must be "off", "always" or "interval=TIME"', 1],
    [syncServer('zone_sync_interval 1.5s;'), 'invalid value "1.5s" in "zone_sync_interval" directive', 5],
    [syncServer('zone_sync_connect_timeout 1s1h;'), 'invalid value "1s1h" in "zone_sync_connect_timeout" directive', 5],
    [syncServer('zone_sync_buffers 8 4q;'), 'invalid value "4q" in "zone_sync_buffers" directive', 5],
    [syncServer('zone_sync_buffers x 4k;'), 'invalid value "x" in "zone_sync_buffers" directive', 5],
    [syncServer('zone_sync_buffers 0 4k;'), 'invalid value "0" in "zone_sync_buffers" directive, it must be greater than 0', 5],
    [syncServer('zone_sync_recv_buffer_size 0;'), 'invalid value "0" in "zone_sync_recv_buffer_size" directive, it must be greater than 0', 5],
    [syncServer('zone_sync_ssl yes;'), 'invalid value "yes" in "zone_sync_ssl" directive, it must be "on" or "off"', 5],
    [syncServer('zone_sync_ssl_verify_depth -1;'), 'invalid value "-1" in "zone_sync_ssl_verify_depth" directive', 5],
    [syncServer('zone_sync_ssl_protocols TLSv1.2 SSLv3;'), '"SSLv3" in "zone_sync_ssl_protocols" directive is not supported: it is insecure and Node.js cannot use it; use TLSv1.2 or TLSv1.3', 5],
    [syncServer('zone_sync_ssl_protocols SSLv2;'), '"SSLv2" in "zone_sync_ssl_protocols" directive is not supported: it is insecure and Node.js cannot use it; use TLSv1.2 or TLSv1.3', 5],
    [syncServer('zone_sync_ssl_protocols TLSv2;'), 'invalid value "TLSv2" in "zone_sync_ssl_protocols" directive, it must be one of "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"', 5],
    [syncServer('zone_sync_ssl_conf_command SessionTicket off;'), 'unsupported command "SessionTicket" in "zone_sync_ssl_conf_command" directive, zonesync supports Ciphersuites, MinProtocol, MaxProtocol, Groups, Curves, SignatureAlgorithms, Options', 5],
    [syncServer('ssl_verify_client maybe;'), 'invalid value "maybe" in "ssl_verify_client" directive, it must be one of "on", "off", "optional", "optional_no_ca"', 5],
    [syncServer('zone_sync_server a.example.com;'), 'no port in "a.example.com" of the "zone_sync_server" directive', 5],
    [syncServer('zone_sync_server a.example.com:99999;'), 'invalid port in "a.example.com:99999" of the "zone_sync_server" directive', 5],
    [syncServer('zone_sync_server ::1:80;'), 'invalid host in "::1:80" (an IPv6 address must be in brackets) of the "zone_sync_server" directive', 5],
    [syncServer('zone_sync_server a:1 resolved;'), 'invalid parameter "resolved" in "zone_sync_server" directive', 5],
    [syncServer('listen 1.2.3.4;'), 'no port in "1.2.3.4" of the "listen" directive', 5],
    [syncServer('allow 10.0.0.0/33;'), 'invalid value "10.0.0.0/33" in "allow" directive', 5],
    [syncServer('deny nobody;'), 'invalid value "nobody" in "deny" directive', 5],
    [['stream {', '  resolver valid=10s;', '}'], 'no name servers defined in "resolver" directive', 2],
    [['stream {', '  resolver 1.1.1.1 valid=5q;', '}'], 'invalid value "5q" in "resolver" directive', 2],
    [['worker_processes 0;'], 'invalid value "0" in "worker_processes" directive, it must be greater than 0', 1],
    [['worker_processes many;'], 'invalid value "many" in "worker_processes" directive', 1],
    [['worker_shutdown_timeout soon;'], 'invalid value "soon" in "worker_shutdown_timeout" directive', 1],
    [['worker_shutdown_timeout 1s;', 'worker_shutdown_timeout 2s;'], '"worker_shutdown_timeout" directive is duplicate', 2],
    [['error_log stderr loud;'], 'invalid value "loud" in "error_log" directive, it must be one of "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"', 1],
    [['http {', '  keyval_zone zone=a:5q;', '}'], 'invalid zone size "zone=a:5q" in "keyval_zone" directive', 2],
    [['http {', '  keyval_zone zone=a;', '}'], 'invalid zone size "zone=a" in "keyval_zone" directive', 2],
    [['http {', '  keyval_zone state=/x;', '}'], '"keyval_zone" must have "zone" parameter', 2],
    [['http {', '  keyval_zone zone=a:1m type=cidr;', '}'], 'invalid value "cidr" in "keyval_zone" directive, it must be one of "string", "ip", "prefix"', 2],
    [['http {', '  keyval_zone zone=a:1m timeout=5q;', '}'], 'invalid value "5q" in "keyval_zone" directive', 2],
    [['http {', '  keyval_zone zone=a:1m syncing;', '}'], 'invalid parameter "syncing" in "keyval_zone" directive', 2],
    [['http {', '  keyval_zone zone=a:1m;', '  keyval $x text zone=a;', '}'], 'invalid variable name "text" in "keyval" directive', 3],
    [['http {', '  limit_req_zone $a zone=r:1m rate=10r/h;', '}'], 'invalid rate "rate=10r/h" in "limit_req_zone" directive', 2],
    [['http {', '  limit_req_zone $a rate=1r/s;', '}'], '"limit_req_zone" must have "zone" parameter', 2],
    [['http {', '  zonesync_counter_zone window=1m;', '}'], '"zonesync_counter_zone" must have "zone" parameter', 2],
    [['http {', '  zonesync_counter_zone zone=c:1m window=soon;', '}'], 'invalid value "soon" in "zonesync_counter_zone" directive', 2],
    [['http {', '  zonesync_counter_zone zone=c:1m rate=1r/s;', '}'], 'invalid parameter "rate=1r/s" in "zonesync_counter_zone" directive', 2],
    [['http {', '  limit_req_zone $a zone=r:1m;', '  limit_req zone=r burst=x;', '}'], 'invalid burst value "burst=x" in "limit_req" directive', 3],
    [['http {', '  limit_req_zone $a zone=r:1m;', '  limit_req zone=r nodelay delay=1;', '}'], '"nodelay" and "delay" cannot be used together in "limit_req" directive', 3],
    [['http {', '  limit_req burst=5;', '}'], '"limit_req" must have "zone" parameter', 2],
    [['http {', '  limit_req zone=r:1m;', '}'], 'invalid parameter "zone=r:1m" in "limit_req" directive', 2],
    [['http {', '  limit_req_status 200;', '}'], 'invalid value "200" in "limit_req_status" directive, it must be between 400 and 599', 2],
    [['http {', '  upstream u {', '    server a;', '    sticky learn lookup=$b zone=s:1m;', '  }', '}'], '"sticky learn" must have "create" parameter', 4],
    [['http {', '  upstream u {', '    server a;', '    sticky learn create=$a lookup=$b;', '  }', '}'], '"sticky learn" must have "zone" parameter', 4],
    [['http {', '  upstream u {', '    server a weight=0;', '  }', '}'], 'invalid value "0" in "server" directive, it must be greater than 0', 3],
    [['http {', '  upstream u {', '    server a slow_start=10s;', '  }', '}'], 'invalid parameter "slow_start=10s" in "server" directive', 3],
    [['http {', '  upstream u {', '  }', '}'], 'no servers are inside upstream "u"', 2],
    [['http {', '  upstream u { server a; }', '  upstream u { server b; }', '}'], 'duplicate upstream "u"', 3],
    [['http {', '  server {', '    location / {', '      api write=yes;', '    }', '  }', '}'], 'invalid value "yes" in "api" directive, it must be "on" or "off"', 4],
    [['http {', '  server {', '    location / {', '      limit_except FETCH { }', '    }', '  }', '}'], 'invalid method "FETCH"', 4],
    [['http {', '  server {', '    location = /livez {', '      zonesync_health alive;', '    }', '  }', '}'], 'invalid value "alive" in "zonesync_health" directive, it must be one of "live", "ready"', 4],
    [['http {', '  server {', '    location = /livez {', '      zonesync_health;', '    }', '  }', '}'], 'invalid number of arguments in "zonesync_health" directive', 4],
    [['http {', '  server {', '    location = /livez {', '      zonesync_health live;', '      zonesync_health ready;', '    }', '  }', '}'], '"zonesync_health" directive is duplicate', 5],
    [['http {', '  server {', '    location = /metrics {', '      zonesync_metrics on;', '    }', '  }', '}'], 'invalid number of arguments in "zonesync_metrics" directive', 4],
    [['http {', '  server {', '    location = /metrics {', '      zonesync_metrics;', '      zonesync_metrics;', '    }', '  }', '}'], '"zonesync_metrics" directive is duplicate', 5],
    [['http {', '  server {', '    zonesync_metrics;', '  }', '}'], '"zonesync_metrics" directive is not allowed here', 3],
    [['http {', '  zonesync_health live;', '}'], '"zonesync_health" directive is not allowed here', 2],
    [['http {', '  server {', '    location /d {', '      zonesync_dashboard api=/a/ api=/b/;', '    }', '  }', '}'], 'invalid number of arguments in "zonesync_dashboard" directive', 4],
    [['http {', '  server {', '    location /d {', '      zonesync_dashboard /api/;', '    }', '  }', '}'], 'invalid parameter "/api/" in "zonesync_dashboard" directive', 4],
    [['http {', '  server {', '    location /d {', '      zonesync_dashboard api=;', '    }', '  }', '}'], 'invalid "api" parameter "" in "zonesync_dashboard" directive, it must be a path on this host, such as "/api/"', 3],
    [['http {', '  server {', '    location /d {', '      zonesync_dashboard;', '      zonesync_dashboard;', '    }', '  }', '}'], '"zonesync_dashboard" directive is duplicate', 5],
    [['http {', '  server {', '    zonesync_dashboard;', '  }', '}'], '"zonesync_dashboard" directive is not allowed here', 3],
    [['http {', '  server {', '    location ~ ( { }', '  }', '}'], 'invalid regular expression "(" in "location" directive: Invalid regular expression: /(/: Unterminated group', 3],
    [['http {', '  server {', '    location / { }', '    location / { }', '  }', '}'], 'duplicate location "/"', 4],
    [['http {', '  server {', '    location /a {', '      location /b { }', '    }', '  }', '}'], 'location "/b" is outside location "/a"', 4],
    [['http {', '  server {', '    location = /a {', '      location /a/b { }', '    }', '  }', '}'], 'location "/a/b" cannot be inside the exact location "/a"', 4],
  ])('%#: %s', (lines, message, line) => {
    expectError(lines, message, line);
  });
});

describe('cross-directive errors', () => {
  it.each<[string, string[], string, number]>([
    ['keyval_zone sync without timeout', ['http {', '  keyval_zone zone=one:32k sync;', '}'], '"keyval_zone" must have "timeout" parameter for "sync" (zone "one")', 2],
    ['keyval zone unknown', ['http {', '  keyval_zone zone=one:1m;', '  keyval $arg_a $a zone=two;', '}'], 'zone "two" is unknown in "keyval" directive', 3],
    ['keyval zone of the other module', ['stream {', '  keyval_zone zone=s:1m;', '}', 'http {', '  keyval $arg_a $a zone=s;', '}'], 'zone "s" is not a http "keyval_zone" in "keyval" directive', 5],
    ['limit_req zone unknown', ['http {', '  server {', '    location / {', '      limit_req zone=nope;', '    }', '  }', '}'], 'zone "nope" is unknown in "limit_req" directive', 4],
    ['limit_req on a keyval zone', ['http {', '  keyval_zone zone=k:1m;', '  limit_req zone=k;', '  server {}', '}'], 'zone "k" is not a "limit_req_zone" in "limit_req" directive', 3],
    ['duplicate zone', ['http {', '  keyval_zone zone=x:1m;', '  keyval_zone zone=x:1m;', '}'], 'duplicate zone "x"', 3],
    ['api and metrics in one location', ['http {', '  server {', '    location /api {', '      api;', '      zonesync_metrics;', '    }', '  }', '}'], '"api" and "zonesync_metrics" cannot both be in location "/api"', 3],
    ['api and dashboard in one location', ['http {', '  server {', '    location /api {', '      api;', '      zonesync_dashboard;', '    }', '  }', '}'], '"api" and "zonesync_dashboard" cannot both be in location "/api"', 3],
    ['health and metrics in one nested location', ['http {', '  server {', '    location /ops/ {', '      location /ops/x { zonesync_health ready; zonesync_metrics; }', '    }', '  }', '}'], '"zonesync_health" and "zonesync_metrics" cannot both be in location "/ops/x"', 4],
    ['two zones, one state file', ['http {', '  keyval_zone zone=x:1m state=s.keyval;', '}', 'stream {', '  keyval_zone zone=y:1m state=/etc/zonesync/s.keyval;', '}'], 'zones "x" and "y" have the same state file "/etc/zonesync/s.keyval"', 5],
    ['zonesync_state_fsync in http', ['http {', '  zonesync_state_fsync off;', '}'], '"zonesync_state_fsync" directive is not allowed here', 2],
    ['zonesync_state_fsync twice', ['zonesync_state_fsync off;', 'zonesync_state_fsync always;'], '"zonesync_state_fsync" directive is duplicate', 2],
    ['zonesync_state_fsync with two values', ['zonesync_state_fsync off always;'], 'invalid number of arguments in "zonesync_state_fsync" directive', 1],
    ['zone used for two purposes', ['http {', '  keyval_zone zone=x:1m;', '  limit_req_zone $a zone=x:1m;', '}'], 'zone "x" is already declared by "keyval_zone" for a different use', 3],
    ['a counter zone named as another', ['http {', '  zonesync_counter_zone zone=x:1m;', '  limit_req_zone $a zone=x:1m;', '}'], 'zone "x" is already declared by "zonesync_counter_zone" for a different use', 3],
    ['a limit_req on a counter zone', ['http {', '  zonesync_counter_zone zone=c:1m;', '  limit_req zone=c;', '  server {}', '}'], 'zone "c" is not a "limit_req_zone" in "limit_req" directive', 3],
    ['zone in http and stream', ['http {', '  keyval_zone zone=x:1m;', '}', 'stream {', '  keyval_zone zone=x:1m;', '}'], 'duplicate zone "x"', 5],
    ['zone too small', ['http {', '  limit_req_zone $a zone=r:16k;', '}'], 'zone "r" is too small (16384 bytes; at least 32k)', 2],
    ['duplicate limit_req zone at one level', ['http {', '  limit_req_zone $a zone=r:1m;', '  limit_req zone=r;', '  limit_req zone=r burst=2;', '}'], 'duplicate limit_req zone "r"', 4],
    ['recv buffer less than one buffer', syncServer('zone_sync_buffers 8 16k;', 'zone_sync_recv_buffer_size 8k;'), '"zone_sync_recv_buffer_size" 8k is less than the "zone_sync_buffers" size 16k', 6],
    ['recv buffer inherited from stream, less than the server\'s buffers', ['stream {', '  zone_sync_recv_buffer_size 4k;', '  server {', '    listen 1;', '    zone_sync;', '    zone_sync_buffers 4 8k;', '  }', '}'], '"zone_sync_recv_buffer_size" 4k is less than the "zone_sync_buffers" size 8k', 2],
    ['duplicate peer', syncServer('zone_sync_server a:1;', 'zone_sync_server b:1;', 'zone_sync_server a:1;'), 'duplicate "zone_sync_server" "a:1"', 7],
    ['listen ssl without certificate', ['stream {', '  server {', '    zone_sync;', '    listen 1 ssl;', '  }', '}'], 'no "ssl_certificate" is defined for the "listen ... ssl" directive', 4],
    ['certificate without key', ['stream {', '  server {', '    zone_sync;', '    listen 1 ssl;', '    ssl_certificate c.pem;', '  }', '}'], 'no "ssl_certificate_key" is defined for certificate "/etc/zonesync/c.pem"', 5],
    ['verify client without CA', ['stream {', '  server {', '    zone_sync;', '    listen 1 ssl;', '    ssl_certificate c.pem;', '    ssl_certificate_key k.pem;', '    ssl_verify_client on;', '  }', '}'], 'no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client', 7],
    ['zone_sync_ssl_verify without trusted certificate', syncServer('zone_sync_ssl on;', 'zone_sync_ssl_verify on;'), 'no "zone_sync_ssl_trusted_certificate" is defined for "zone_sync_ssl_verify"', 6],
    ['zone_sync_ssl_certificate without key', syncServer('zone_sync_ssl_certificate c.pem;'), 'no "zone_sync_ssl_certificate_key" is defined for certificate "/etc/zonesync/c.pem"', 5],
    ['server without listen', ['stream {', '  server {', '    zone_sync;', '  }', '}'], 'no "listen" is defined for server', 2],
    ['two zone_sync servers', ['stream {', '  server { listen 1; zone_sync; }', '  server { listen 2; zone_sync; }', '}'], `"zone_sync" is already enabled in the server at ${FILE}:2`, 3],
  ])('%s', (_, lines, message, line) => {
    expectError(lines, message, line);
  });

  it('a zone_sync_recv_buffer_size equal to one buffer is accepted', () => {
    const config = parseConfigText(syncServer('zone_sync_buffers 8 16k;', 'zone_sync_recv_buffer_size 16k;').join('\n'), FILE);
    expect(config.stream!.sync!.recvBufferSizeBytes).toBe(16384);
  });

  it('sync with a timeout is accepted, and sticky sync needs no timeout', () => {
    const config = parseConfigText(['http {', '  keyval_zone zone=one:32k timeout=1m sync;', '  upstream u { server a; sticky learn create=$a lookup=$b zone=s:1m sync; }', '}'].join('\n'), FILE);
    expect(config.zones.map((z) => z.sync)).toEqual([true, true]);
  });
});
