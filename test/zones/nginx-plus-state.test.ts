// keyval state= pointed at a file NGINX Plus wrote (a JSON object of keys to values): the
// pairs load into the zone as this node's versions, expiring after the zone's timeout; the
// node then keeps the file in its own format. Files that are neither format keep failing
// with the state file's own errors.
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyvalZone } from '../../dist/zones/keyval/keyval-zone.js';
import { StateFileError, STATE_FILE_FORMAT } from '../../dist/zones/keyval/state-file.js';
import { createNodeContext } from '../../dist/zones/node.js';

const root = mkdtempSync(join(tmpdir(), 'zonesync-plus-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const NOW = 1_800_000_000_000;

function fileWith(text: string): string {
  const path = join(root, `zone-${++n}.keyval`);
  writeFileSync(path, text);
  return path;
}

function zoneOn(state: string, options: { timeout?: string; sync?: boolean; type?: 'string' | 'ip' } = {}, name = `z${++n}`): KeyvalZone {
  return KeyvalZone.create({ name, size: '1m', state, now: () => NOW, node: createNodeContext(9), ...options });
}

describe('an NGINX Plus keyval state file', () => {
  it.each([
    ['a zone without timeout', {}, 0],
    ['a zone with timeout', { timeout: '1h' }, NOW + 3_600_000],
    ['a synced zone', { timeout: '10m', sync: true }, NOW + 600_000],
  ] as const)('loads into %s as this node\'s versions', (_what, options, expireAtMs) => {
    const zone = zoneOn(fileWith('{"a":"1","b":"two words","ключ":"значение"}\n'), options);
    expect(zone.entries().sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: 'a', value: '1', expireAtMs }, { key: 'b', value: 'two words', expireAtMs }, { key: 'ключ', value: 'значение', expireAtMs },
    ]);
    for (const r of zone.versions()) expect(r).toMatchObject({ origin: 9, stampMs: NOW, tombstone: false });
  });

  it('loads addresses and CIDR blocks into a type=ip zone, matched as usual', () => {
    const zone = zoneOn(fileWith('{"10.0.0.0/8":"internal","192.168.1.10":"host"}'), { type: 'ip' });
    expect(zone.match('10.1.2.3')).toBe('internal');
    expect(zone.match('192.168.1.10')).toBe('host');
  });

  it('is written back in zonesync\'s format, which loads the same pairs', () => {
    const path = fileWith('{"k1":"v1","k2":"v2"}');
    zoneOn(path, {}, 'moved').saveStateSync();
    expect(readFileSync(path, 'utf8').startsWith(`{"format":"${STATE_FILE_FORMAT}"`)).toBe(true);
    expect(zoneOn(path, {}, 'moved').entries().map((e) => [e.key, e.value]).sort()).toEqual([['k1', 'v1'], ['k2', 'v2']]);
  });

  it('loads any object of string pairs whole', () => {
    fc.assert(fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ maxLength: 60 }), { maxKeys: 30 }), (pairs) => {
      // A key named "format" would make it look like a zonesync file; NGINX Plus keys of that name are covered below.
      delete (pairs as Record<string, string>)['format'];
      const zone = zoneOn(fileWith(JSON.stringify(pairs)));
      const loaded = Object.fromEntries(zone.entries().map((e) => [e.key, e.value]));
      expect(loaded).toEqual({ ...pairs });
    }), { numRuns: 40 });
  });

  it.each([
    ['a number value', '{"a":"1","b":2}', 'record', /value of key "b" is not a string/],
    ['an object value', '{"a":{"value":"x"}}', 'record', /value of key "a" is not a string/],
    ['an empty key', '{"":"x"}', 'record', /empty key/],
    ['text that is no JSON', 'not json at all', 'torn', /truncated/],
    ['a zonesync file cut short', `{"format":"${STATE_FILE_FORMAT}","version":1,"zone":"z","records":[`, 'torn', /truncated/],
    ['an empty file', '', 'torn', /empty/],
    ['a JSON array', '["a","b"]', 'corrupt', /not a JSON object/],
  ])('refuses %s, loading nothing', (_what, text, kind, message) => {
    let error: unknown;
    try {
      zoneOn(fileWith(text));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateFileError);
    expect((error as StateFileError).kind).toBe(kind);
    expect((error as Error).message).toMatch(message);
  });
});
