// keepalive_timeout and keepalive_requests of client connections, in http, server and
// location (the upstream ones, of the keepalive cache, are in gateway-config.test.ts): the
// forms nginx takes, nginx's defaults, inheritance with each parameter merged apart, and the
// errors with their file and line.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../dist/config/index.js';
import type { HttpRequestSettings } from '../../dist/config/types.js';
import { FILE, configErrorOf } from './config-error.js';
import { expectAtEachLevel, expectRefusedInCode, levelsText as text, settingsAtLevels, settingsInCode, type Levels } from './setting-levels.js';

type Keepalive = Pick<HttpRequestSettings, 'keepaliveTimeoutMs' | 'keepaliveHeaderTimeoutMs' | 'keepaliveRequests'>;

const keepaliveOf = (s: HttpRequestSettings): Keepalive => ({
  keepaliveTimeoutMs: s.keepaliveTimeoutMs, keepaliveHeaderTimeoutMs: s.keepaliveHeaderTimeoutMs, keepaliveRequests: s.keepaliveRequests,
});

const DEFAULTS: Keepalive = { keepaliveTimeoutMs: 75_000, keepaliveHeaderTimeoutMs: null, keepaliveRequests: 1000 };

const load = (levels: Levels): { server: Keepalive; location: Keepalive; other: Keepalive } => settingsAtLevels(levels, keepaliveOf);

describe('accepted forms, at each level', () => {
  it.each<[string, Partial<Keepalive>]>([
    ['keepalive_timeout 65;', { keepaliveTimeoutMs: 65_000 }],
    ['keepalive_timeout 1s;', { keepaliveTimeoutMs: 1_000 }],
    ['keepalive_timeout 1500ms;', { keepaliveTimeoutMs: 1_500 }],
    ['keepalive_timeout 2m;', { keepaliveTimeoutMs: 120_000 }],
    ['keepalive_timeout 30d;', { keepaliveTimeoutMs: 30 * 24 * 3_600_000 }],
    ['keepalive_timeout "1m 30s";', { keepaliveTimeoutMs: 90_000 }],
    ['keepalive_timeout 0;', { keepaliveTimeoutMs: 0 }],
    ['keepalive_timeout 65 60;', { keepaliveTimeoutMs: 65_000, keepaliveHeaderTimeoutMs: 60_000 }],
    ['keepalive_timeout 75s 1m;', { keepaliveTimeoutMs: 75_000, keepaliveHeaderTimeoutMs: 60_000 }],
    ['keepalive_timeout 0 10;', { keepaliveTimeoutMs: 0, keepaliveHeaderTimeoutMs: 10_000 }],
    ['keepalive_requests 3;', { keepaliveRequests: 3 }],
    ['keepalive_requests 0;', { keepaliveRequests: 0 }],
    ['keepalive_requests 100000;', { keepaliveRequests: 100_000 }],
    ['keepalive_timeout 5s; keepalive_requests 7;', { keepaliveTimeoutMs: 5_000, keepaliveRequests: 7 }],
  ])('%s', (directives, expected) => {
    expectAtEachLevel(directives, keepaliveOf, DEFAULTS, { ...DEFAULTS, ...expected });
  });

  it('nginx\'s defaults where nothing is written: keepalive_timeout 75s, no Keep-Alive field, keepalive_requests 1000', () => {
    expect(load({})).toEqual({ server: DEFAULTS, location: DEFAULTS, other: DEFAULTS });
  });

  it('a lower level wins; keepalive_timeout\'s two values are inherited apart, as nginx merges them', () => {
    const got = load({ http: 'keepalive_timeout 65 60; keepalive_requests 10;', server: 'keepalive_requests 20;', location: 'keepalive_timeout 5;' });
    expect(got.server).toEqual({ keepaliveTimeoutMs: 65_000, keepaliveHeaderTimeoutMs: 60_000, keepaliveRequests: 20 });
    expect(got.location).toEqual({ keepaliveTimeoutMs: 5_000, keepaliveHeaderTimeoutMs: 60_000, keepaliveRequests: 20 });
    expect(got.other).toEqual(got.server);
  });

  it('the upstream ones stay the keepalive cache\'s, apart from the client connections\' ones', () => {
    const config = parseConfigText([
      'http {', '  keepalive_timeout 10s;', '  keepalive_requests 5;',
      '  upstream u { server 127.0.0.1:9; keepalive 4; keepalive_timeout 30s; keepalive_requests 100; }',
      '  server { listen 127.0.0.1:8081; location / { proxy_pass http://u; } }', '}',
    ].join('\n'), FILE);
    expect(config.http!.upstreams[0]).toMatchObject({ keepalive: 4, keepaliveTimeoutMs: 30_000, keepaliveRequests: 100 });
    expect(keepaliveOf(config.http!.servers[0]!.locations[0]!.settings)).toEqual({ keepaliveTimeoutMs: 10_000, keepaliveHeaderTimeoutMs: null, keepaliveRequests: 5 });
  });
});

describe('errors, with the file and line', () => {
  it.each<[{ http?: string; server?: string; location?: string }, string, number]>([
    [{ http: 'keepalive_timeout;' }, 'invalid number of arguments in "keepalive_timeout" directive', 2],
    [{ server: 'keepalive_timeout 1 2 3;' }, 'invalid number of arguments in "keepalive_timeout" directive', 4],
    [{ location: 'keepalive_requests 1 2;' }, 'invalid number of arguments in "keepalive_requests" directive', 6],
    [{ http: 'keepalive_requests;' }, 'invalid number of arguments in "keepalive_requests" directive', 2],
    [{ http: 'keepalive_timeout forever;' }, 'invalid value "forever" in "keepalive_timeout" directive', 2],
    [{ server: 'keepalive_timeout -1;' }, 'invalid value "-1" in "keepalive_timeout" directive', 4],
    [{ location: 'keepalive_timeout 10 x;' }, 'invalid value "x" in "keepalive_timeout" directive', 6],
    [{ http: 'keepalive_timeout 5s5m;' }, 'invalid value "5s5m" in "keepalive_timeout" directive', 2],
    [{ server: 'keepalive_requests x;' }, 'invalid value "x" in "keepalive_requests" directive', 4],
    [{ location: 'keepalive_requests -3;' }, 'invalid value "-3" in "keepalive_requests" directive', 6],
    [{ http: 'keepalive_requests 1.5;' }, 'invalid value "1.5" in "keepalive_requests" directive', 2],
    [{ http: 'keepalive_timeout 1; keepalive_timeout 2;' }, '"keepalive_timeout" directive is duplicate', 2],
    [{ server: 'keepalive_requests 1; keepalive_requests 1;' }, '"keepalive_requests" directive is duplicate', 4],
    [{ location: 'keepalive_timeout 1 1; keepalive_timeout 1;' }, '"keepalive_timeout" directive is duplicate', 6],
  ])('%#: %s', (levels, message, line) => {
    expect(configErrorOf(text(levels))).toBe(`${message} in ${FILE}:${line}`);
  });

  it.each<[string[], string, number]>([
    // nginx has them in http, server and location only.
    [['http {', '  server {', '    listen 1;', '    location / { limit_except GET { keepalive_timeout 1; } }', '  }', '}'], '"keepalive_timeout" directive is not allowed here', 4],
    [['keepalive_requests 5;'], '"keepalive_requests" directive is not allowed here', 1],
    [['stream {', '  keepalive_timeout 5;', '}'], '"keepalive_timeout" directive is not allowed here', 2],
    // The upstream form takes one parameter.
    [['http {', '  upstream u { server a; keepalive_timeout 5 5; }', '}'], 'invalid number of arguments in "keepalive_timeout" directive', 2],
    // nginx's other client keep-alive directives are still refused.
    [['http {', '  keepalive_time 1h;', '}'], '"keepalive_time" directive is not supported by zonesync', 2],
    [['http {', '  keepalive_disable msie6;', '}'], '"keepalive_disable" directive is not supported by zonesync', 2],
  ])('%#: %s', (lines, message, line) => {
    expect(configErrorOf(lines.join('\n'))).toBe(`${message} in ${FILE}:${line}`);
  });
});

describe('in code (normalizeConfig)', () => {
  it('the defaults are filled in, written values inherited by locations', () => {
    const { written, other } = settingsInCode({ keepaliveRequests: 3 }, { keepaliveTimeoutMs: 0, keepaliveHeaderTimeoutMs: 5_000 }, keepaliveOf);
    expect(written).toEqual({ keepaliveTimeoutMs: 0, keepaliveHeaderTimeoutMs: 5_000, keepaliveRequests: 3 });
    expect(other).toEqual({ ...DEFAULTS, keepaliveRequests: 3 });
  });

  it.each<[object, string]>([
    [{ keepaliveTimeoutMs: -1 }, 'keepaliveTimeoutMs'],
    [{ keepaliveTimeoutMs: '75s' }, 'keepaliveTimeoutMs'],
    [{ keepaliveHeaderTimeoutMs: 1.5 }, 'keepaliveHeaderTimeoutMs'],
    [{ keepaliveRequests: 'many' }, 'keepaliveRequests'],
  ])('%j is refused with the field named', (settings, field) => {
    expectRefusedInCode(settings, field);
  });
});
