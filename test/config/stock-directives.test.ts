// The directives of a stock nginx.conf: those that change nothing zonesync does load with a
// warning; those that would change its answers stay refused; add_header, server_tokens and
// keepalive_timeout are read, with nginx's inheritance.

import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfigText } from '../../dist/config/index.js';
import type { HttpLocationConfig, ZonesyncConfig } from '../../dist/config/index.js';
import { FILE, configErrorOf } from './config-error.js';

function load(lines: readonly string[]): { config: ZonesyncConfig; warnings: string[] } {
  const warnings: string[] = [];
  const config = parseConfigText(lines.join('\n'), FILE, { onWarning: (message) => warnings.push(message) });
  return { config, warnings };
}

const errorOf = (lines: readonly string[]): string => configErrorOf(lines.join('\n'));

const server = (...body: string[]): string[] => ['http {', '  server {', '    listen 127.0.0.1:8081;', ...body.map((b) => `    ${b}`), '  }', '}'];
// body starts at line 4 in server()

describe('directives that change nothing zonesync does load with a warning', () => {
  it.each<[string[], string, number]>([
    [['user nginx;'], 'user', 1],
    [['user www-data www-data;'], 'user', 1],
    [['events {', '  multi_accept on;', '}'], 'multi_accept', 2],
    [['events {', '  use epoll;', '}'], 'use', 2],
    [['events {', '  accept_mutex off;', '}'], 'accept_mutex', 2],
    [['http {', '  sendfile on;', '}'], 'sendfile', 2],
    [server('sendfile off;'), 'sendfile', 4],
    [server('location / { tcp_nopush on; }'), 'tcp_nopush', 4],
    [['http {', '  tcp_nodelay on;', '}'], 'tcp_nodelay', 2],
    [['http {', '  types_hash_max_size 2048;', '}'], 'types_hash_max_size', 2],
    [['http {', '  types_hash_bucket_size 64;', '}'], 'types_hash_bucket_size', 2],
    [['http {', '  server_names_hash_bucket_size 64;', '}'], 'server_names_hash_bucket_size', 2],
    [['http {', '  server_names_hash_max_size 512;', '}'], 'server_names_hash_max_size', 2],
    [['http {', '  default_type application/octet-stream;', '}'], 'default_type', 2],
    [server('location / { default_type text/plain; }'), 'default_type', 4],
    [['http {', '  types {', '    text/html html htm;', '    image/png png;', '  }', '}'], 'types', 2],
    [server('location / { types { } }'), 'types', 4],
    [['http {', '  gzip off;', '}'], 'gzip', 2],
    [server('gzip off;'), 'gzip', 4],
    [['http {', '  ssl_protocols TLSv1.2 TLSv1.3;', '}'], 'ssl_protocols', 2],
    [server('ssl_prefer_server_ciphers on;'), 'ssl_prefer_server_ciphers', 4],
    [['http {', '  error_log /var/log/nginx/error.log;', '}'], 'error_log', 2],
    [server('location / { error_log stderr warn; }'), 'error_log', 4],
  ])('%#: %s', (lines, name, line) => {
    const { warnings } = load(lines);
    expect(warnings).toEqual([`"${name}" is ignored by zonesync in ${FILE}:${line}`]);
  });

  it('a stock nginx.conf with its mime.types loads, each ignored directive told once, in file order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zonesync-stock-'));
    try {
      writeFileSync(join(dir, 'mime.types'), 'types {\n    text/html                             html htm shtml;\n    application/json                      json;\n}\n');
      writeFileSync(join(dir, 'nginx.conf'), [
        'user www-data;',
        'worker_processes auto;',
        'pid /tmp/zonesync-stock.pid;',
        'error_log stderr notice;',
        'events {',
        '    worker_connections 768;',
        '    multi_accept on;',
        '}',
        'http {',
        '    sendfile on;',
        '    tcp_nopush on;',
        '    keepalive_timeout 65;',
        '    types_hash_max_size 2048;',
        '    server_tokens off;',
        '    include mime.types;',
        '    default_type application/octet-stream;',
        '    ssl_protocols TLSv1.2 TLSv1.3;',
        '    ssl_prefer_server_ciphers on;',
        '    error_log /var/log/nginx/http-error.log;',
        '    gzip off;',
        '    server {',
        '        listen 127.0.0.1:8081;',
        '        location /api/ { api; }',
        '    }',
        '}',
      ].join('\n'));
      const warnings: string[] = [];
      const config = loadConfig(join(dir, 'nginx.conf'), { onWarning: (m) => warnings.push(m) });
      const conf = join(dir, 'nginx.conf');
      expect(warnings).toEqual([
        `"user" is ignored by zonesync in ${conf}:1`,
        `"multi_accept" is ignored by zonesync in ${conf}:7`,
        `"sendfile" is ignored by zonesync in ${conf}:10`,
        `"tcp_nopush" is ignored by zonesync in ${conf}:11`,
        `"types_hash_max_size" is ignored by zonesync in ${conf}:13`,
        `"types" is ignored by zonesync in ${join(dir, 'mime.types')}:1`,
        `"default_type" is ignored by zonesync in ${conf}:16`,
        `"ssl_protocols" is ignored by zonesync in ${conf}:17`,
        `"ssl_prefer_server_ciphers" is ignored by zonesync in ${conf}:18`,
        `"error_log" is ignored by zonesync in ${conf}:19`,
        `"gzip" is ignored by zonesync in ${conf}:20`,
      ]);
      expect(config.http?.servers[0]?.settings.serverTokens).toBe(false);
      // keepalive_timeout is read (client connections wait 65 s idle), not ignored.
      expect(config.http?.servers[0]?.locations[0]?.settings.keepaliveTimeoutMs).toBe(65_000);
      expect(config.http?.servers[0]?.locations[0]?.api).toEqual({ write: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('directives that would change the answers stay refused', () => {
  it.each<[string[], string]>([
    [['http {', '  gzip on;', '}'], '"gzip" directive is not supported by zonesync in FILE:2'],
    [server('gzip_types text/plain;'), '"gzip_types" directive is not supported by zonesync in FILE:4'],
    [['http {', '  sendfile on off;', '}'], 'invalid number of arguments in "sendfile" directive in FILE:2'],
    [['http {', '  types text/html html;', '}'], 'directive "types" has no opening "{" in FILE:2'],
    [['http {', '  upstream u {', '    server a;', '    sendfile on;', '  }', '}'], '"sendfile" directive is not allowed here in FILE:4'],
    [['stream {', '  sendfile on;', '}'], '"sendfile" directive is not allowed here in FILE:2'],
    [['http {', '  user nginx;', '}'], '"user" directive is not allowed here in FILE:2'],
  ])('%#: %s', (lines, message) => {
    expect(errorOf(lines)).toBe(message.replace('FILE', FILE));
  });
});

describe('add_header and server_tokens', () => {
  const location = (config: ZonesyncConfig, ...path: number[]): HttpLocationConfig => {
    let l = config.http!.servers[0]!.locations[path[0]!]!;
    for (const i of path.slice(1)) l = l.locations[i]!;
    return l;
  };

  it('a level with its own add_header inherits none of the outer ones; one without inherits them all', () => {
    const { config } = load([
      'http {',
      '  add_header X-Http h;',
      '  server {',
      '    listen 127.0.0.1:8081;',
      '    add_header X-Server s;',
      '    add_header X-Frame-Options DENY always;',
      '    location /own { add_header X-Own "$remote_addr o" always; }',
      '    location /inherits {',
      '      location /inherits/own { add_header X-Nested n; }',
      '      location /inherits/none { }',
      '    }',
      '  }',
      '  server {',
      '    listen 127.0.0.1:8082;',
      '    location / { }',
      '  }',
      '}',
    ]);
    const serverHeaders = [{ name: 'X-Server', value: 's', always: false }, { name: 'X-Frame-Options', value: 'DENY', always: true }];
    expect(config.http!.servers[0]!.settings.addHeaders).toEqual(serverHeaders);
    expect(location(config, 0).settings.addHeaders).toEqual([{ name: 'X-Own', value: '$remote_addr o', always: true }]);
    expect(location(config, 1).settings.addHeaders).toEqual(serverHeaders);
    expect(location(config, 1, 0).settings.addHeaders).toEqual([{ name: 'X-Nested', value: 'n', always: false }]);
    expect(location(config, 1, 1).settings.addHeaders).toEqual(serverHeaders);
    expect(config.http!.servers[1]!.locations[0]!.settings.addHeaders).toEqual([{ name: 'X-Http', value: 'h', always: false }]);
  });

  it.each<[string, boolean]>([['on', true], ['off', false], ['build', true]])('server_tokens %s', (value, tokens) => {
    const { config, warnings } = load(server(`server_tokens ${value};`, 'location / { }'));
    expect(location(config, 0).settings.serverTokens).toBe(tokens);
    expect(warnings).toEqual([]);
  });

  it.each<[string, string]>([
    ['add_header X-A b sometimes;', 'invalid parameter "sometimes" in "add_header" directive in FILE:4'],
    ['add_header "X A" b;', 'invalid value "X A" in "add_header" directive, it must be a header field name in FILE:4'],
    ['add_header X-A "a\\nb";', 'invalid value "a\nb" in "add_header" directive, a header value cannot hold a line break in FILE:4'],
    ['add_header X-A;', 'invalid number of arguments in "add_header" directive in FILE:4'],
    ['server_tokens maybe;', 'invalid value "maybe" in "server_tokens" directive, it must be "on", "off" or "build" in FILE:4'],
    ['server_tokens on;\n    server_tokens off;', '"server_tokens" directive is duplicate in FILE:5'],
  ])('%s', (line, message) => {
    expect(errorOf(server(line))).toBe(message.replace('FILE', FILE));
  });
});
