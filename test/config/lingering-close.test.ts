// lingering_close, lingering_time and lingering_timeout in http, server and location: the
// forms nginx takes, nginx's defaults, inheritance, the errors with their file and line, and
// the same settings written in code.
import { describe, expect, it } from 'vitest';
import type { HttpRequestSettings } from '../../dist/config/types.js';
import { FILE, configErrorOf } from './config-error.js';
import { expectAtEachLevel, expectRefusedInCode, levelsText as text, settingsAtLevels, settingsInCode, type Levels } from './setting-levels.js';

type Lingering = Pick<HttpRequestSettings, 'lingeringClose' | 'lingeringTimeMs' | 'lingeringTimeoutMs'>;

const lingeringOf = (s: HttpRequestSettings): Lingering => ({
  lingeringClose: s.lingeringClose, lingeringTimeMs: s.lingeringTimeMs, lingeringTimeoutMs: s.lingeringTimeoutMs,
});

const DEFAULTS: Lingering = { lingeringClose: 'on', lingeringTimeMs: 30_000, lingeringTimeoutMs: 5_000 };

const load = (levels: Levels): { server: Lingering; location: Lingering; other: Lingering } => settingsAtLevels(levels, lingeringOf);

describe('accepted forms, at each level', () => {
  it.each<[string, Partial<Lingering>]>([
    ['lingering_close off;', { lingeringClose: 'off' }],
    ['lingering_close on;', { lingeringClose: 'on' }],
    ['lingering_close always;', { lingeringClose: 'always' }],
    ['lingering_time 10s;', { lingeringTimeMs: 10_000 }],
    ['lingering_time 2m;', { lingeringTimeMs: 120_000 }],
    ['lingering_time 0;', { lingeringTimeMs: 0 }],
    ['lingering_timeout 500ms;', { lingeringTimeoutMs: 500 }],
    ['lingering_timeout 1;', { lingeringTimeoutMs: 1_000 }],
    ['lingering_timeout 0;', { lingeringTimeoutMs: 0 }],
    ['lingering_close always; lingering_time 1h; lingering_timeout 30s;', { lingeringClose: 'always', lingeringTimeMs: 3_600_000, lingeringTimeoutMs: 30_000 }],
  ])('%s', (directives, expected) => {
    expectAtEachLevel(directives, lingeringOf, DEFAULTS, { ...DEFAULTS, ...expected });
  });

  it('nginx\'s defaults where nothing is written: lingering_close on, lingering_time 30s, lingering_timeout 5s', () => {
    expect(load({})).toEqual({ server: DEFAULTS, location: DEFAULTS, other: DEFAULTS });
  });

  it('a lower level wins, each directive inherited apart', () => {
    const got = load({ http: 'lingering_close always; lingering_time 1m;', server: 'lingering_timeout 2s;', location: 'lingering_close off;' });
    expect(got.server).toEqual({ lingeringClose: 'always', lingeringTimeMs: 60_000, lingeringTimeoutMs: 2_000 });
    expect(got.location).toEqual({ lingeringClose: 'off', lingeringTimeMs: 60_000, lingeringTimeoutMs: 2_000 });
    expect(got.other).toEqual(got.server);
  });
});

describe('errors, with the file and line', () => {
  it.each<[{ http?: string; server?: string; location?: string }, string, number]>([
    [{ http: 'lingering_close;' }, 'invalid number of arguments in "lingering_close" directive', 2],
    [{ server: 'lingering_time 1s 2s;' }, 'invalid number of arguments in "lingering_time" directive', 4],
    [{ location: 'lingering_timeout;' }, 'invalid number of arguments in "lingering_timeout" directive', 6],
    [{ http: 'lingering_close yes;' }, 'invalid value "yes" in "lingering_close" directive, it must be one of "off", "on", "always"', 2],
    [{ server: 'lingering_time forever;' }, 'invalid value "forever" in "lingering_time" directive', 4],
    [{ location: 'lingering_timeout -1;' }, 'invalid value "-1" in "lingering_timeout" directive', 6],
    [{ http: 'lingering_close on; lingering_close off;' }, '"lingering_close" directive is duplicate', 2],
    [{ server: 'lingering_time 1s; lingering_time 1s;' }, '"lingering_time" directive is duplicate', 4],
    [{ location: 'lingering_timeout 1s; lingering_timeout 2s;' }, '"lingering_timeout" directive is duplicate', 6],
  ])('%#: %s', (levels, message, line) => {
    expect(configErrorOf(text(levels))).toBe(`${message} in ${FILE}:${line}`);
  });

  it.each<[string[], string, number]>([
    [['lingering_close on;'], '"lingering_close" directive is not allowed here', 1],
    [['stream {', '  lingering_time 5s;', '}'], '"lingering_time" directive is not allowed here', 2],
    [['http {', '  upstream u { server a; lingering_timeout 5s; }', '}'], '"lingering_timeout" directive is not allowed here', 2],
  ])('%#: %s', (lines, message, line) => {
    expect(configErrorOf(lines.join('\n'))).toBe(`${message} in ${FILE}:${line}`);
  });
});

describe('in code (normalizeConfig)', () => {
  it('the defaults are filled in, written values inherited by locations', () => {
    const { written, other } = settingsInCode({ lingeringTimeMs: 1_000 }, { lingeringClose: 'always', lingeringTimeoutMs: 200 }, lingeringOf);
    expect(written).toEqual({ lingeringClose: 'always', lingeringTimeMs: 1_000, lingeringTimeoutMs: 200 });
    expect(other).toEqual({ ...DEFAULTS, lingeringTimeMs: 1_000 });
  });

  it.each<[object, string]>([
    [{ lingeringClose: 'sometimes' }, 'lingeringClose'],
    [{ lingeringClose: true }, 'lingeringClose'],
    [{ lingeringTimeMs: -1 }, 'lingeringTimeMs'],
    [{ lingeringTimeoutMs: '5s' }, 'lingeringTimeoutMs'],
  ])('%j is refused with the field named', (settings, field) => {
    expectRefusedInCode(settings, field);
  });
});
