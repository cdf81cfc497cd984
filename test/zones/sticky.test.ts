import { describe, expect, it } from 'vitest';
import { StickyZone, createNodeContext } from '../../dist/zones/index.js';
import { exchange } from './exchange.js';

function sticky(t = { now: 1_700_000_000_000 }, opts: Partial<Parameters<typeof StickyZone.create>[0]> = {}) {
  return { st: StickyZone.create({ name: 'sessions', size: '1m', now: () => t.now, ...opts }), t };
}

describe('sticky learn zone', () => {
  it('learns a session and looks it up', () => {
    const { st } = sticky();
    st.learn('abc123', 'backend1:8080');
    expect(st.lookup('abc123')).toBe('backend1:8080');
    expect(st.lookup('nope')).toBeUndefined();
    expect(st.forget('abc123')).toBe(true);
    expect(st.lookup('abc123')).toBeUndefined();
  });

  it('forgets a session 10 minutes (the default) after it was last used; a lookup refreshes it', () => {
    const { st, t } = sticky();
    st.learn('s1', 'a:1');
    st.learn('s2', 'b:1');
    t.now += 9 * 60_000;
    expect(st.lookup('s1')).toBe('a:1'); // refreshed: 10 more minutes
    t.now += 2 * 60_000;
    expect(st.lookup('s2')).toBeUndefined();
    expect(st.lookup('s1')).toBe('a:1');
    t.now += 10 * 60_000;
    expect(st.lookup('s1')).toBeUndefined();
  });

  it('a session read without the lock is still refreshed under it once a refresh is due', () => {
    const { st, t } = sticky();
    st.learn('s', 'a:1');
    expect(st.lookup('s')).toBe('a:1'); // the locked read marks the record used
    expect(st.lookup('s')).toBe('a:1'); // lock-free from here on
    expect(st.shm.readValueOptimistic(st.shm.shardOfKey(), t.now)).toBe('a:1');
    t.now += 9 * 60_000;
    expect(st.lookup('s')).toBe('a:1'); // due: rewritten with 10 more minutes
    t.now += 9 * 60_000;
    expect(st.lookup('s')).toBe('a:1');
    t.now += 10 * 60_000;
    expect(st.lookup('s')).toBeUndefined();
  });

  it('honours a configured timeout', () => {
    const t = { now: 1_000_000 };
    const { st } = sticky(t, { timeout: '30s' });
    st.learn('s', 'x:1');
    t.now += 30_000;
    expect(st.lookup('s')).toBeUndefined();
  });

  it('refuses session ids over 32 bytes (or the configured limit) with a clear error', () => {
    const { st } = sticky();
    expect(() => st.learn('x'.repeat(33), 'a:1')).toThrow(/33 bytes is longer than the limit of 32/);
    const wide = sticky(undefined, { maxSessionBytes: 64 }).st;
    wide.learn('x'.repeat(64), 'a:1');
    expect(wide.lookup('x'.repeat(64))).toBe('a:1');
  });

  it('syncs sessions, and lookups refresh them on the other nodes only now and then', () => {
    const t = { now: 1_700_000_000_000 };
    const a = StickyZone.create({ name: 's', size: '1m', sync: true, node: createNodeContext(1), now: () => t.now });
    const b = StickyZone.create({ name: 's', size: '1m', sync: true, node: createNodeContext(2), now: () => t.now });
    a.learn('sess', 'up1:80');
    expect(exchange(a, [b])).toBe(1);
    expect(b.lookup('sess')).toBe('up1:80');
    expect(exchange(b, [a])).toBe(0); // a lookup right after learning rewrites nothing
    t.now += 61_000;
    expect(b.lookup('sess')).toBe('up1:80');
    expect(exchange(b, [a])).toBe(1); // a minute on: the refresh is synced
  });
});
