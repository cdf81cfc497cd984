// Which name gets which error: a directive of nginx's that zonesync lacks is "not supported
// by zonesync"; any other unknown name (a typo, a third-party module's directive) is an
// "unknown directive", worded as nginx words it.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../dist/config/index.js';
import { NGINX_DIRECTIVE_NAMES } from '../../dist/config/nginx-directives.js';
import { FILE, configErrorOf as messageOf } from './config-error.js';

/* `line` written on line 4, in a location of a server of the http block. */
const inLocation = (line: string): string => ['http {', '  server {', '    location / {', `      ${line}`, '    }', '  }', '}'].join('\n');

describe('a misspelt directive is unknown, not unsupported', () => {
  it.each([
    'proxy_set_headr Host $host;', 'proxy_pas http://127.0.0.1:1;', 'proxy_passs http://127.0.0.1:1;', 'proxy_read_timout 5s;',
    'gzipp on;', 'gzip_typess text/plain;', 'ssl_certifcate a.pem;', 'fastcgi_pas 127.0.0.1:9000;', 'js_contnt main.f;',
    'add_headers X-A b;', 'limit_reqq zone=a;', 'acces_log off;', 'client_max_body 1m;', 'auth_jwt_keyfile k.json;',
    // directives of third-party modules are no nginx directives either
    'more_set_headers "X-A: b";', 'lua_code_cache off;', 'content_by_lua_block;', 'geoip2 /etc/geo.mmdb;',
  ])('%s', (line) => {
    const name = line.split(/[ ;]/)[0]!;
    expect(messageOf(inLocation(line))).toBe(`unknown directive "${name}" in ${FILE}:4`);
  });
});

describe('a directive of nginx that zonesync lacks is not supported', () => {
  it.each([
    'proxy_cache one;', 'proxy_cache_valid 10m;', 'fastcgi_pass 127.0.0.1:9000;', 'gzip_types text/plain;', 'js_content main.f;',
    'auth_jwt realm;', 'health_check;', 'sub_filter a b;', 'try_files $uri =404;', 'rewrite ^ /x;', 'expires 1h;',
    'otel_trace on;', 'status_zone z;', 'mp4;', 'limit_conn addr 1;',
  ])('%s', (line) => {
    const name = line.split(/[ ;]/)[0]!;
    expect(messageOf(inLocation(line))).toBe(`"${name}" directive is not supported by zonesync in ${FILE}:4`);
  });

  it('a one-letter typo of any nginx directive is unknown unless it is itself a directive', () => {
    const names = [...NGINX_DIRECTIVE_NAMES];
    const typo = fc.tuple(fc.constantFrom(...names), fc.nat(), fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_'), fc.constantFrom('insert', 'delete', 'replace'))
      .map(([name, at, letter, edit]) => {
        const i = at % (name.length + (edit === 'insert' ? 1 : 0));
        if (edit === 'insert') return name.slice(0, i) + letter + name.slice(i);
        if (edit === 'delete') return name.slice(0, i) + name.slice(i + 1);
        return name.slice(0, i) + letter + name.slice(i + 1);
      })
      .filter((name) => name !== '' && !NGINX_DIRECTIVE_NAMES.has(name) && !name.startsWith('zonesync_'));
    fc.assert(fc.property(typo, (name) => {
      expect(messageOf(inLocation(`${name} x;`))).toBe(`unknown directive "${name}" in ${FILE}:4`);
    }), { numRuns: 300 });
  });
});

/*
 * A block directive written without its "{", or a directive that takes none written with one.
 * nginx checks this as soon as the directive's head is read, so the error names the
 * directive's line, not a "}" or the end of file further down. The messages are nginx's
 * own (nginx -t gives each of these for the same text).
 */
describe('a directive with or without its block, as nginx says it', () => {
  it.each<[string, string[], string]>([
    ['location without "{" (its "}" below)', ['http {', '  server {', '    listen 127.0.0.1:8081;', '    location / {', '      return 200 "ok";', '    }', '',
      '    location /text  return 200 "x"; }', '', '  }', '}'], 'directive "location" has no opening "{" in FILE:8'],
    ['http', ['http;'], 'directive "http" has no opening "{" in FILE:1'],
    ['http with an argument', ['http server;'], 'directive "http" has no opening "{" in FILE:1'],
    ['events', ['events;'], 'directive "events" has no opening "{" in FILE:1'],
    ['stream', ['stream;'], 'directive "stream" has no opening "{" in FILE:1'],
    ['server of http', ['http {', '  server listen 80;', '}'], 'directive "server" has no opening "{" in FILE:2'],
    ['server of stream', ['stream {', '  server listen 1; zone_sync;', '}'], 'directive "server" has no opening "{" in FILE:2'],
    ['upstream', ['http {', '  upstream u server 127.0.0.1:1;', '}'], 'directive "upstream" has no opening "{" in FILE:2'],
    ['location of one argument', ['http {', '  server {', '    location /;', '  }', '}'], 'directive "location" has no opening "{" in FILE:3'],
    ['nested location', ['http {', '  server {', '    location / {', '      location /a return 200;', '    }', '  }', '}'], 'directive "location" has no opening "{" in FILE:4'],
    ['limit_except', ['http {', '  server {', '    location / {', '      limit_except GET deny all;', '    }', '  }', '}'], 'directive "limit_except" has no opening "{" in FILE:4'],
    ['return with a block', ['http {', '  server {', '    location / {', '      return 200 {', '      }', '    }', '  }', '}'], 'directive "return" is not terminated by ";" in FILE:4'],
    ['proxy_pass with a block, no "}" to close it', ['http {', '  server {', '    location / {', '      proxy_pass http://127.0.0.1:1 {', '    }', '  }', '}'], 'directive "proxy_pass" is not terminated by ";" in FILE:4'],
    ['listen with a block', ['http {', '  server {', '    listen 80 { }', '  }', '}'], 'directive "listen" is not terminated by ";" in FILE:3'],
    ['worker_processes with a block', ['worker_processes 1 { }'], 'directive "worker_processes" is not terminated by ";" in FILE:1'],
    ['server of upstream with a block', ['http {', '  upstream u {', '    server 127.0.0.1:1 { }', '  }', '}'], 'directive "server" is not terminated by ";" in FILE:3'],
    ['allow with a block', ['http {', '  allow all { }', '}'], 'directive "allow" is not terminated by ";" in FILE:2'],
    ['worker_connections with a block', ['events {', '  worker_connections 10 { }', '}'], 'directive "worker_connections" is not terminated by ";" in FILE:2'],
    ['limit_req_zone with a block', ['http {', '  limit_req_zone $binary_remote_addr zone=a:1m rate=1r/s {', '  }', '}'], 'directive "limit_req_zone" is not terminated by ";" in FILE:2'],
    ['server_name with a block', ['http {', '  server {', '    server_name a { }', '  }', '}'], 'directive "server_name" is not terminated by ";" in FILE:3'],
    ['zone_sync with a block', ['stream {', '  server {', '    zone_sync { }', '  }', '}'], 'directive "zone_sync" is not terminated by ";" in FILE:3'],
    ['a misspelt directive before a later error', ['http {', '  server {', '    proxy_pas http://a;', '    location /a return 200;', '  }', '}'], 'unknown directive "proxy_pas" in FILE:3'],
    ['the first error of the file wins', ['http {', '  server {', '    location /a return 200;', '    proxy_pas http://a;', '  }', '}'], 'directive "location" has no opening "{" in FILE:3'],
  ])('%s', (_, lines, message) => {
    expect(messageOf(lines.join('\n'))).toBe(message.replace('FILE', FILE));
  });

  it('in an included file, in the context of its include', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zonesync-conf-'));
    try {
      writeFileSync(join(dir, 'zonesync.conf'), 'http {\n  include servers/*.conf;\n}\n');
      mkdirSync(join(dir, 'servers'));
      writeFileSync(join(dir, 'servers', 'a.conf'), 'server {\n  listen 127.0.0.1:8081;\n  location /a  return 200; }\n}\n');
      expect(() => loadConfig(join(dir, 'zonesync.conf'))).toThrow(`directive "location" has no opening "{" in ${join(dir, 'servers', 'a.conf')}:3`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
