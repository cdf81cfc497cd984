import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyvalZone, ZoneArgumentError, ZoneFullError, createNodeContext } from '../../dist/zones/index.js';
import fc from 'fast-check';
import { parseIpAddress, parseIpKey, prefixMatches } from '../../dist/net/ip.js';
import { exchange, expectSound } from './exchange.js';

function zone(opts: Partial<Parameters<typeof KeyvalZone.create>[0]> = {}, t = { now: 1_700_000_000_000 }) {
  return { kv: KeyvalZone.create({ name: 'one', size: '1m', now: () => t.now, ...opts }), t };
}

describe('keyval zone', () => {
  it('sets, gets, deletes and clears, unicode included', () => {
    const { kv } = zone();
    kv.set('k', 'v');
    kv.set('ключ', 'значение 🙂');
    expect(kv.get('k')).toBe('v');
    expect(kv.get('ключ')).toBe('значение 🙂');
    expect(kv.delete('k')).toBe(true);
    expect(kv.delete('k')).toBe(false);
    expect(kv.get('k')).toBeUndefined();
    kv.set('a', '1');
    expect(kv.entries().map((e) => e.key).sort()).toEqual(['a', 'ключ']);
    expect(kv.clear()).toBe(2);
    expect(kv.entries()).toEqual([]);
    expect(expectSound(kv)).toEqual([]);
  });

  it('removes records `timeout` after their last write; a per-key expire overrides it', () => {
    const { kv, t } = zone({ timeout: '1h' });
    kv.set('a', '1');
    kv.set('b', '2', { expireMs: 5000 });
    kv.set('c', '3', { expireMs: 0 }); // never
    t.now += 5000;
    expect(kv.get('b')).toBeUndefined();
    expect(kv.get('a')).toBe('1');
    t.now += 3_600_000;
    expect(kv.get('a')).toBeUndefined();
    expect(kv.get('c')).toBe('3');
    kv.set('a', 'again');
    expect(kv.entries().find((e) => e.key === 'a')!.expireAtMs).toBe(t.now + 3_600_000);
  });

  it('requires timeout with sync, as NGINX Plus does, and checks its arguments', () => {
    expect(() => KeyvalZone.create({ name: 'z', size: '1m', sync: true })).toThrow(/"sync" requires "timeout"/);
    expect(() => KeyvalZone.create({ name: 'z', size: '1q' })).toThrow(/not a size/);
    expect(() => KeyvalZone.create({ name: 'z', size: '1m', timeout: 'soon' })).toThrow(/not a time/);
    expect(() => KeyvalZone.create({ name: 'bad name', size: '1m' })).toThrow(/zone name/);
    expect(() => KeyvalZone.create({ name: 'z', size: '1m', type: 'regex' as never })).toThrow(/type must be/);
    const { kv } = zone({ maxKeyBytes: 8 });
    expect(() => kv.set('123456789', 'v')).toThrow(ZoneArgumentError);
    expect(() => kv.set('k', 5 as never)).toThrow(/value must be a string/);
  });

  it('a full zone refuses a new key (ZoneFullError) and loses no acknowledged one; a value that cannot fit is a clear error', () => {
    const { kv } = zone({ size: '64k', shards: 1 });
    let stored = 0;
    expect(() => {
      for (; stored < 2000; stored++) kv.set(`key${stored}`, 'x'.repeat(100));
    }).toThrow(ZoneFullError);
    expect(stored).toBeGreaterThan(100);
    expect(kv.stats().evictions).toBe(0);
    for (let i = 0; i < stored; i++) expect(kv.get(`key${i}`)).toBe('x'.repeat(100));
    expect(kv.get(`key${stored}`)).toBeUndefined(); // the refused write changed nothing
    kv.set('key0', 'y'.repeat(100)); // a rewrite in place still works
    expect(kv.get('key0')).toBe('y'.repeat(100));
    expect(() => kv.set('big', 'x'.repeat(40_000))).toThrow(ZoneFullError);
    expect(() => kv.set('huge', 'x'.repeat(1 << 20))).toThrow(/larger than the largest block/);
    expect(expectSound(kv)).toEqual([]);
  });

  it('merges remote versions last-writer-wins, ties broken by origin', () => {
    const { kv } = zone({ sync: true, timeout: '1h', node: createNodeContext(5) });
    const at = 1_700_000_000_000; // the zone's clock
    const base = { key: 'k', logical: 0, expireAtMs: at + 60_000, tombstone: false };
    expect(kv.applyRemote({ ...base, value: 'from7', stampMs: at, origin: 7 })).toBe(true);
    expect(kv.applyRemote({ ...base, value: 'from3', stampMs: at, origin: 3 })).toBe(false);
    expect(kv.applyRemote({ ...base, value: 'from9', stampMs: at, origin: 9 })).toBe(true);
    expect(kv.applyRemote({ ...base, value: 'old', stampMs: at - 1, origin: 99 })).toBe(false);
    // Versions a synced zone could never have written: no expiry, or a lifetime past the timeout.
    expect(kv.applyRemote({ ...base, value: 'forever', stampMs: at + 1, origin: 7, expireAtMs: 0 })).toBe(false);
    expect(kv.applyRemote({ ...base, value: 'too long', stampMs: at + 1, origin: 7, expireAtMs: at + 1 + 3_600_001 })).toBe(false);
    expect(kv.get('k')).toBe('from9');
    expect(kv.stats().pending).toBe(0); // remote versions are never queued
  });

  it('a tombstone beats an older version that arrives later', () => {
    const a = zone({ sync: true, timeout: '1h', node: createNodeContext(1) }).kv;
    const b = zone({ sync: true, timeout: '1h', node: createNodeContext(2) }).kv;
    a.set('k', 'v1');
    const v1 = a.versions().find((r) => r.key === 'k')!;
    a.delete('k');
    exchange(a, [b]);
    expect(b.get('k')).toBeUndefined();
    expect(b.applyRemote(v1)).toBe(false); // the late, older version loses
    expect(b.get('k')).toBeUndefined();
    expect(b.versions().find((r) => r.key === 'k')!.tombstone).toBe(true);
  });

  it('a version stamped beyond the clock guard is refused; one within it is outranked by the next local write', () => {
    const t = { now: 1_700_000_000_000 };
    const kv = KeyvalZone.create({ name: 'one', size: '1m', sync: true, timeout: '1h', node: createNodeContext(1), now: () => t.now });
    // A node whose clock runs two hours ahead: beyond the guard, refused.
    expect(kv.applyRemote({ key: 'k', value: 'ahead', stampMs: t.now + 7_200_000, logical: 0, origin: 2, expireAtMs: t.now + 7_300_000, tombstone: false })).toBe(false);
    expect(kv.get('k')).toBeUndefined();
    // Within the guard (50 s ahead): stored, and a local write still wins over it.
    expect(kv.applyRemote({ key: 'k', value: 'soon', stampMs: t.now + 50_000, logical: 0, origin: 2, expireAtMs: t.now + 60_000, tombstone: false })).toBe(true);
    kv.set('k', 'local');
    const v = kv.versions().find((r) => r.key === 'k')!;
    expect(v.value).toBe('local');
    expect(v.stampMs).toBeGreaterThanOrEqual(t.now + 50_000);
  });


  it('a zone that does not sync stamps with the wall clock, each version of a key newer than the last', () => {
    const { kv, t } = zone();
    const stampOf = (key: string) => {
      const v = kv.versions().find((r) => r.key === key)!;
      return [v.stampMs, v.logical];
    };
    kv.set('k', '1');
    expect(stampOf('k')).toEqual([t.now, 0]);
    kv.set('k', '2'); // same millisecond
    expect(stampOf('k')).toEqual([t.now, 1]);
    t.now -= 5000; // the clock goes back
    kv.set('k', '3');
    expect(stampOf('k')).toEqual([t.now + 5000, 2]);
    kv.set('other', 'x');
    expect(stampOf('other')).toEqual([t.now, 0]);
    t.now = -1;
    expect(() => kv.set('k', '4')).toThrow(/wall clock out of range/);
    expect(kv.get('k')).toBe('3');
  });
  it('queues a key changed many times between two polls once, in its last state', () => {
    const a = zone({ sync: true, timeout: '1h', node: createNodeContext(1) }).kv;
    const b = zone({ sync: true, timeout: '1h', node: createNodeContext(2) }).kv;
    for (let i = 0; i < 50; i++) a.set('k', `v${i}`);
    expect(a.stats().pending).toBe(1);
    expect(exchange(a, [b])).toBe(1);
    expect(b.get('k')).toBe('v49');
  });

  it('type=ip matches the longest stored address or block, IPv4 and IPv6', () => {
    const { kv } = zone({ type: 'ip' });
    kv.set('10.0.0.0/8', 'ten');
    kv.set('10.1.0.0/16', 'ten-one');
    kv.set('10.1.2.3', 'host');
    kv.set('2001:db8::/32', 'doc');
    kv.set('2001:db8:1::/48', 'doc-1');
    kv.set('0.0.0.0/0', 'default4');
    expect(kv.match('10.1.2.3')).toBe('host');
    expect(kv.match('10.1.9.9')).toBe('ten-one');
    expect(kv.match('10.200.0.1')).toBe('ten');
    expect(kv.match('192.168.0.1')).toBe('default4');
    expect(kv.match('2001:db8:1:2::5')).toBe('doc-1');
    expect(kv.match('2001:db8:ffff::1')).toBe('doc');
    expect(kv.match('2001:db9::1')).toBeUndefined();
    expect(kv.match('not an address')).toBeUndefined();
    expect(() => kv.set('10.0.0.0/33', 'x')).toThrow(/not an IP address or CIDR block/);
    kv.set('10.1.2.3/8', 'masked'); // stored as 10.0.0.0/8
    expect(kv.get('10.0.0.0/8')).toBe('masked');
    kv.delete('10.1.0.0/16');
    expect(kv.match('10.1.9.9')).toBe('masked');
  });

  it('type=ip finds the longest stored block holding the address, for any blocks of either family (property)', () => {
    // Blocks of every length near each other's (the lengths share and straddle bitmap words) and addresses inside and outside them.
    const v4 = fc.tuple(fc.constantFrom(10, 11, 192), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
      .map((o) => o.join('.'));
    const v6 = fc.tuple(fc.constantFrom('2001:db8', '2001:db9', 'fe80:0'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff }))
      .map(([head, a, b]) => `${head}:${a.toString(16)}::${b.toString(16)}`);
    const block = fc.oneof(
      fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, n]) => ({ family: 4 as const, text: `${a}/${n}` })),
      fc.tuple(v6, fc.integer({ min: 0, max: 128 })).map(([a, n]) => ({ family: 6 as const, text: `${a}/${n}` })),
    );
    fc.assert(fc.property(fc.array(block, { maxLength: 8 }), fc.array(fc.oneof(v4, v6), { minLength: 1, maxLength: 8 }), (blocks, addresses) => {
      const { kv } = zone({ type: 'ip' });
      blocks.forEach((b, i) => kv.set(b.text, `v${i}`));
      const stored = kv.entries(); // canonical keys, the last value of a block written twice
      for (const address of addresses) {
        const a = parseIpAddress(address)!;
        let best: { length: number; value: string } | undefined;
        for (const { key, value } of stored) {
          const k = parseIpKey(key)!;
          if (k.family === a.family && prefixMatches(k.bytes, a.bytes, k.prefixLength) && (best === undefined || k.prefixLength > best.length)) {
            best = { length: k.prefixLength, value };
          }
        }
        expect(kv.match(address)).toBe(best?.value);
      }
    }), { numRuns: 300 });
  });

  it('type=ip blocks that arrive from a peer are matched too', () => {
    const a = zone({ type: 'ip', sync: true, timeout: '1h', node: createNodeContext(1) }).kv;
    const b = zone({ type: 'ip', sync: true, timeout: '1h', node: createNodeContext(2) }).kv;
    a.set('172.16.0.0/12', 'private');
    exchange(a, [b]);
    expect(b.match('172.20.1.1')).toBe('private');
  });

  it('type=prefix matches the longest stored prefix', () => {
    const { kv } = zone({ type: 'prefix' });
    kv.set('/api/', 'api');
    kv.set('/api/v1/', 'v1');
    kv.set('/', 'root');
    expect(kv.match('/api/v1/users')).toBe('v1');
    expect(kv.match('/api/v2/users')).toBe('api');
    expect(kv.match('/static/x.css')).toBe('root');
    expect(kv.match('nothing')).toBeUndefined();
  });

  it('keeps records with their stamps across a restart through the state file, and refuses a torn one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zonesync-state-'));
    try {
      const state = join(dir, 'one.keyval');
      const first = zone({ state, sync: true, timeout: '1h', node: createNodeContext(1) }).kv;
      first.set('a', 'alpha');
      first.set('b', 'beta');
      first.delete('b');
      await first.saveState();
      const before = first.versions().sort((x, y) => x.key.localeCompare(y.key));
      const second = zone({ state, sync: true, timeout: '1h', node: createNodeContext(1) }).kv;
      expect(second.versions().sort((x, y) => x.key.localeCompare(y.key))).toEqual(before);
      expect(second.get('a')).toBe('alpha');
      expect(second.get('b')).toBeUndefined();
      const text = readFileSync(state, 'utf8');
      writeFileSync(state, text.slice(0, Math.floor(text.length / 2)));
      expect(() => zone({ state, sync: true, timeout: '1h' })).toThrow(/state/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('expire and tombstones in a synced zone', () => {
    const synced = (opts: Partial<Parameters<typeof KeyvalZone.create>[0]> = {}) =>
      zone({ sync: true, timeout: '10s', node: createNodeContext(1), ...opts });

    it.each([
      { expireMs: 0, why: 'never expiring' },
      { expireMs: 10_001, why: 'longer than the timeout' },
      { expireMs: -1, why: 'negative' },
      { expireMs: 1.5, why: 'not whole' },
      { expireMs: Number.MAX_SAFE_INTEGER, why: 'past 2^53 - 1 from now' },
    ])('refuses expire $expireMs ($why), changing nothing', ({ expireMs }) => {
      const { kv } = synced();
      expect(() => kv.set('k', 'v', { expireMs })).toThrow(ZoneArgumentError);
      expect(kv.get('k')).toBeUndefined();
      expect(kv.stats().records).toBe(0);
    });

    it('accepts expire from 1 ms to the timeout', () => {
      const { kv } = synced();
      kv.set('a', 'v', { expireMs: 1 });
      kv.set('b', 'v', { expireMs: 10_000 });
      expect(kv.get('b')).toBe('v');
    });

    it('a zone that does not sync still takes 0 (never) but not an expiry past 2^53 - 1', () => {
      const { kv } = zone({ timeout: '10s' });
      kv.set('forever', 'v', { expireMs: 0 });
      expect(kv.entries()[0]!.expireAtMs).toBe(0);
      expect(() => kv.set('k', 'v', { expireMs: 2 ** 53 })).toThrow(/too large/);
    });

    it('a tombstone lives the timeout past its own stamp, even when the deleted copy expired sooner', () => {
      const { kv, t } = synced();
      kv.set('k', 'v', { expireMs: 1_000 });
      t.now += 500;
      expect(kv.delete('k')).toBe(true);
      const tomb = kv.versions().find((r) => r.key === 'k')!;
      expect(tomb.tombstone).toBe(true);
      expect(tomb.expireAtMs).toBe(tomb.stampMs + 10_000);
      t.now += 9_000; // the deleted copy would have expired long ago: the tombstone is still there
      expect(kv.versions().some((r) => r.key === 'k' && r.tombstone)).toBe(true);
    });
  });
});
