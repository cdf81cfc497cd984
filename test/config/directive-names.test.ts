// Which name gets which error: a directive of nginx's that zonesync lacks is "not supported
// by zonesync"; any other unknown name (a typo, a third-party module's directive) is an
// "unknown directive", worded as nginx words it.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ConfigError, parseConfigText } from '../../dist/config/index.js';
import { NGINX_DIRECTIVE_NAMES } from '../../dist/config/nginx-directives.js';

const FILE = '/etc/zonesync/zonesync.conf';

function messageOf(text: string): string {
  try {
    parseConfigText(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError, got a configuration');
}

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
    'proxy_cache one;', 'proxy_buffering off;', 'fastcgi_pass 127.0.0.1:9000;', 'gzip_types text/plain;', 'js_content main.f;',
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
