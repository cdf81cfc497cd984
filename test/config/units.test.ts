import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  ConfigValueError, formatRate, formatSize, formatTimeMs, parseNonNegativeInteger, parseRate, parseSize, parseTimeMs,
} from '../../dist/config/index.js';

describe('parseSize', () => {
  it.each([
    ['0', 0], ['512', 512], ['4k', 4096], ['4K', 4096], ['1m', 1048576], ['1M', 1048576],
    ['32k', 32768], ['2g', 2 * 1024 ** 3], ['2G', 2 * 1024 ** 3], ['007', 7],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'k', '4kb', '4 k', '-1', '1.5m', '4t', ' 4k', 'm1', '0x10', '99999999999999999999k'])(
    'rejects "%s" with a ConfigValueError naming the value', (text) => {
      expect(() => parseSize(text)).toThrow(ConfigValueError);
      try {
        parseSize(text);
      } catch (error) {
        expect((error as ConfigValueError).value).toBe(text);
        expect((error as Error).message).toContain(`"${text}"`);
      }
    },
  );
});

describe('formatSize', () => {
  it.each([[0, '0'], [4096, '4k'], [1048576, '1m'], [1024 ** 3, '1g'], [1000, '1000'], [6144, '6k']])(
    '%d is "%s"', (bytes, text) => {
      expect(formatSize(bytes)).toBe(text);
    },
  );

  it('round-trips through parseSize', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (bytes) => parseSize(formatSize(bytes)) === bytes));
  });

  it('refuses negative and fractional sizes', () => {
    expect(() => formatSize(-1)).toThrow(RangeError);
    expect(() => formatSize(1.5)).toThrow(RangeError);
  });
});

describe('parseTimeMs', () => {
  it.each([
    ['0', 0], ['5', 5000], ['500ms', 500], ['1s', 1000], ['30s', 30000], ['1m', 60000], ['10m', 600000],
    ['1h', 3600000], ['1d', 86400000], ['1w', 604800000], ['1M', 30 * 86400000], ['1y', 365 * 86400000],
    ['1h30m', 5400000], ['1h 30m', 5400000], ['1h  30m', 5400000], ['1s500ms', 1500], ['1s 500ms', 1500],
    ['1y1M1w1d1h1m1s1ms', (365 + 30 + 7 + 1) * 86400000 + 3600000 + 60000 + 1000 + 1],
    ['1m 30', 90000], ['2 3', 5000], ['90s', 90000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseTimeMs(text)).toBe(ms);
  });

  it.each([
    '', 's', 'ms', '5q', '1.5s', '-1s', '1s1h', '1m1m', '1s 1s', '5 ms', '1h x', '1ss', '1s 5 ', '1ms 1s', 'abc',
    '999999999999999999y',
  ])('rejects "%s"', (text) => {
    expect(() => parseTimeMs(text)).toThrow(ConfigValueError);
    expect(() => parseTimeMs(text)).toThrow(`"${text}"`);
  });
});

describe('formatTimeMs', () => {
  it.each([[0, '0s'], [500, '500ms'], [1000, '1s'], [90000, '1m30s'], [1500, '1s500ms'], [86400000 + 1, '1d1ms']])(
    '%d ms is "%s"', (ms, text) => {
      expect(formatTimeMs(ms)).toBe(text);
    },
  );

  it('round-trips through parseTimeMs', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 45 }), (ms) => parseTimeMs(formatTimeMs(ms)) === ms));
  });
});

describe('parseRate', () => {
  it('reads r/s as nginx: milli-requests per second', () => {
    expect(parseRate('100r/s')).toEqual({ requests: 100, per: 's', milliRequestsPerSecond: 100000 });
  });

  it('reads r/m, truncating as nginx does', () => {
    expect(parseRate('30r/m')).toEqual({ requests: 30, per: 'm', milliRequestsPerSecond: 500 });
    expect(parseRate('1r/m').milliRequestsPerSecond).toBe(16);
  });

  it('reads a bare number as requests per second, as nginx', () => {
    expect(parseRate('7')).toEqual({ requests: 7, per: 's', milliRequestsPerSecond: 7000 });
  });

  it('reads up to 4294967r/s, the most a limit_req zone keeps (milli-requests per second in 32 bits)', () => {
    expect(parseRate('4294967r/s').milliRequestsPerSecond).toBe(4294967000);
    expect(parseRate('257698037r/m').milliRequestsPerSecond).toBe(4294967283);
  });

  it('round-trips through formatRate', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4294967 }), fc.constantFrom('s', 'm'), (n, per) => formatRate(parseRate(`${n}r/${per}`)) === `${n}r/${per}`));
  });

  it.each(['0r/s', '0', 'r/s', '10r/h', '1.5r/s', '-1r/s', '10 r/s', '10r/', '', '4294968r/s', '257698038r/m', '9007199254740r/s'])('rejects "%s"', (text) => {
    expect(() => parseRate(text)).toThrow(ConfigValueError);
    expect(() => parseRate(text)).toThrow(`invalid rate "${text}"`);
  });
});

describe('parseNonNegativeInteger', () => {
  it('reads digits only', () => {
    expect(parseNonNegativeInteger('42')).toBe(42);
    expect(() => parseNonNegativeInteger('4k')).toThrow('invalid number "4k"');
    expect(() => parseNonNegativeInteger('')).toThrow(ConfigValueError);
    expect(() => parseNonNegativeInteger('99999999999999999999')).toThrow('too large');
  });
});
