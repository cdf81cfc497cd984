// Which zone changes a reload applies and which need a restart, over every parameter of
// every kind of zone: a restart's reason names the zone, the parameter and both values.
import { describe, expect, it } from 'vitest';
import { parseRate, type ZoneConfig } from '../../dist/config/index.js';
import { changedRates, zoneRestartProblems } from '../../dist/runtime/zone-changes.js';

const KEYVAL: ZoneConfig = { kind: 'keyval', name: 'kv', sizeBytes: 1 << 20, sync: false, module: 'http', stateFile: null, timeoutMs: 3_600_000, type: 'string' };
const LIMIT: ZoneConfig = { kind: 'limit_req', name: 'z0', sizeBytes: 1 << 20, sync: false, key: '$binary_remote_addr', rate: parseRate('10r/s') };
const STICKY: ZoneConfig = {
  kind: 'sticky', name: 'st', sizeBytes: 1 << 20, sync: false, upstream: 'backend', create: ['$upstream_cookie_s'], lookup: ['$cookie_s'], timeoutMs: 600_000, header: false,
};
const COUNTER: ZoneConfig = { kind: 'counter', name: 'hits', sizeBytes: 1 << 20, sync: false, windowMs: 10_000 };
const ALL = [KEYVAL, LIMIT, STICKY, COUNTER];

/** `ALL` with the zone named `name` changed by `change`. */
function changed(name: string, change: Record<string, unknown>): ZoneConfig[] {
  return ALL.map((z) => (z.name === name ? { ...z, ...change } as ZoneConfig : z));
}

describe('zone changes on reload', () => {
  it.each([
    { what: 'limit_req rate', after: changed('z0', { rate: parseRate('50r/s') }) },
    { what: 'limit_req rate in r/m', after: changed('z0', { rate: parseRate('30r/m') }) },
    { what: 'sticky create=', after: changed('st', { create: ['$upstream_cookie_other'] }) },
    { what: 'sticky lookup=', after: changed('st', { lookup: ['$cookie_other', '$arg_s'] }) },
    { what: 'sticky header', after: changed('st', { header: true }) },
    { what: 'sticky upstream block', after: changed('st', { upstream: 'other' }) },
    { what: 'a source location only', after: changed('kv', { source: { file: 'other.conf', line: 9 } }) },
    { what: 'the order of the zones', after: [...ALL].reverse() },
  ])('applies a change of $what', ({ after }) => {
    expect(zoneRestartProblems(ALL, after)).toEqual([]);
  });

  it.each([
    { after: changed('z0', { sizeBytes: 2 << 20 }), why: 'zone "z0": size 1m -> 2m needs a restart' },
    { after: changed('kv', { sizeBytes: 65536 + 4096 }), why: 'zone "kv": size 1m -> 68k needs a restart' },
    { after: changed('z0', { sync: true }), why: 'zone "z0": sync off -> on needs a restart' },
    { after: changed('z0', { key: '$remote_addr' }), why: 'zone "z0": key $binary_remote_addr -> $remote_addr needs a restart' },
    { after: changed('z0', { key: null }), why: 'zone "z0": key $binary_remote_addr -> none (taken from code) needs a restart' },
    { after: changed('kv', { timeoutMs: 90_000 }), why: 'zone "kv": timeout 1h -> 1m30s needs a restart' },
    { after: changed('kv', { timeoutMs: null }), why: 'zone "kv": timeout 1h -> none needs a restart' },
    { after: changed('kv', { type: 'ip' }), why: 'zone "kv": type string -> ip needs a restart' },
    { after: changed('kv', { stateFile: '/var/lib/kv.json' }), why: 'zone "kv": state none -> /var/lib/kv.json needs a restart' },
    { after: changed('kv', { module: 'stream' }), why: 'zone "kv": keyval_zone -> keyval_zone (stream) needs a restart' },
    { after: changed('st', { timeoutMs: 1_800_000 }), why: 'zone "st": timeout 10m -> 30m needs a restart' },
    { after: changed('hits', { windowMs: 0 }), why: 'zone "hits": window 10s -> none needs a restart' },
    { after: [...ALL.filter((z) => z.name !== 'z0'), { ...KEYVAL, name: 'z0' }], why: 'zone "z0": limit_req_zone -> keyval_zone needs a restart' },
    { after: [...ALL, { ...COUNTER, name: 'more' }], why: 'zone "more" is new: a new zone needs a restart' },
    { after: ALL.filter((z) => z.name !== 'st'), why: 'zone "st" was removed: a removed zone needs a restart' },
  ])('refuses: $why', ({ after, why }) => {
    expect(zoneRestartProblems(ALL, after)).toEqual([why]);
  });

  it('names every parameter that changed', () => {
    const after = changed('z0', { sizeBytes: 2 << 20, key: '$remote_addr', rate: parseRate('50r/s') });
    expect(zoneRestartProblems(ALL, after)).toEqual([
      'zone "z0": size 1m -> 2m needs a restart', 'zone "z0": key $binary_remote_addr -> $remote_addr needs a restart',
    ]);
  });

  it('finds the limit_req zones whose rate changed, and only those', () => {
    expect(changedRates(ALL, ALL)).toEqual([]);
    expect(changedRates(ALL, changed('z0', { rate: parseRate('10') }))).toEqual([]); // "10" is 10r/s
    expect(changedRates(ALL, changed('z0', { rate: parseRate('50r/s') })).map((z) => z.name)).toEqual(['z0']);
    expect(changedRates(ALL, [...ALL, { ...LIMIT, name: 'new', rate: parseRate('1r/s') }])).toEqual([]);
  });
});
