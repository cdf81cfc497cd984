import { describe, expect, it } from 'vitest';
import {
  APPLY_IGNORED, APPLY_INSERTED, APPLY_REPLACED, RecordVersion, ShmZone, WRITE_NO_MEMORY, WRITE_OK, ZoneCursor, checkZone,
} from 'native-free-shm';
import { zoneGet, zoneRemove, zoneSet } from '../../dist-bench/lib/shm-strings.js';

function zoneWithClock(sizeBytes = 1 << 18, shards = 1) {
  const clock = { t: 1_000_000 };
  const z = ShmZone.create({ sizeBytes, shards }, { now: () => clock.t });
  return { z, clock };
}

function pendingKeys(z: ShmZone): string[] {
  const keys: string[] = [];
  for (let s = 0; s < z.shardCount; s++) {
    z.lock(s);
    for (let rec = z.popOutputLocked(s); rec !== 0; rec = z.popOutputLocked(s)) keys.push(z.keyText(rec));
    z.unlock(s);
  }
  return keys;
}

describe('record table', () => {
  it('sets, gets, updates in place and grows a record, unicode included', () => {
    const { z } = zoneWithClock();
    expect(zoneSet(z, 'ключ', 'значение')).toBe(WRITE_OK);
    expect(zoneGet(z, 'ключ')).toBe('значение');
    zoneSet(z, 'k', 'a');
    zoneSet(z, 'k', 'b'); // in place
    expect(zoneGet(z, 'k')).toBe('b');
    zoneSet(z, 'k', 'x'.repeat(5000)); // moves to a run of pages
    expect(zoneGet(z, 'k')).toBe('x'.repeat(5000));
    zoneSet(z, 'k', '🙂');
    expect(zoneGet(z, 'k')).toBe('🙂');
    expect(z.stats().records).toBe(2);
    expect(checkZone(z)).toEqual([]);
  });

  it('removes records and frees their memory', () => {
    const { z } = zoneWithClock();
    const free0 = z.stats().bytesFree;
    for (let i = 0; i < 500; i++) zoneSet(z, `k${i}`, `v${i}`);
    for (let i = 0; i < 500; i++) expect(zoneRemove(z, `k${i}`)).toBe(true);
    expect(zoneRemove(z, 'k0')).toBe(false);
    expect(z.stats().records).toBe(0);
    expect(z.stats().bytesFree).toBe(free0);
    expect(checkZone(z)).toEqual([]);
  });

  it('expires records on access and in the sweep that runs with writes', () => {
    const { z, clock } = zoneWithClock();
    zoneSet(z, 'short', 'lived', clock.t + 1000);
    zoneSet(z, 'forever', 'here');
    clock.t += 999;
    expect(zoneGet(z, 'short')).toBe('lived');
    clock.t += 1;
    expect(zoneGet(z, 'short')).toBeUndefined();
    expect(z.stats().expired).toBe(1);
    expect(zoneGet(z, 'forever')).toBe('here');
  });

  it('sweeps at most two expired records from the LRU tail per write, stopping at a live one', () => {
    const { z, clock } = zoneWithClock();
    for (let i = 0; i < 10; i++) zoneSet(z, `e${i}`, 'x', clock.t + 10);
    zoneSet(z, 'live', 'y');
    for (let i = 10; i < 15; i++) zoneSet(z, `e${i}`, 'x', clock.t + 10);
    clock.t += 10;
    zoneSet(z, 't1', 'sweep');
    expect(z.stats().records).toBe(15 + 1 + 1 - 2); // e0..e14, live, t1; e0 and e1 swept
    for (let i = 0; i < 6; i++) zoneSet(z, `t${i + 2}`, 'sweep');
    expect(z.stats().expired).toBe(10); // e0..e9; the sweep stops at 'live'
    expect(zoneGet(z, 'e12')).toBeUndefined();
    expect(z.stats().expired).toBe(11);
  });

  it('queues each locally changed record once, oldest change first', () => {
    const { z } = zoneWithClock(1 << 20, 4);
    zoneSet(z, 'a', '1');
    zoneSet(z, 'b', '1');
    zoneSet(z, 'a', '2');
    zoneSet(z, 'c', '1');
    expect(z.stats().pending).toBe(3);
    const keys = pendingKeys(z);
    expect(keys.sort()).toEqual(['a', 'b', 'c']);
    expect(z.stats().pending).toBe(0);
    zoneSet(z, 'b', '2');
    expect(pendingKeys(z)).toEqual(['b']);
  });

  it('keeps output order within a shard and unlinks removed records from the queue', () => {
    const { z } = zoneWithClock(1 << 18, 1);
    zoneSet(z, 'x', '1');
    zoneSet(z, 'y', '1');
    zoneSet(z, 'z', '1');
    zoneSet(z, 'x', '2'); // already queued: stays first
    zoneRemove(z, 'y');
    expect(z.stats().pending).toBe(2);
    expect(checkZone(z)).toEqual([]);
    expect(pendingKeys(z)).toEqual(['x', 'z']);
  });

  it('merges remote versions: newer wins, ties broken by origin, never queued', () => {
    const { z } = zoneWithClock();
    const bytes = new TextEncoder().encode('remote');
    const apply = (stampMs: number, logical: number, origin: number) => {
      z.setKey('k');
      const version = Object.assign(new RecordVersion(), { stampMs, logical, origin, expireAtMs: 0, tombstone: false });
      const shard = z.shardOfKey();
      z.lock(shard);
      const r = z.applyLocked(shard, version, bytes, 0, bytes.length);
      z.unlock(shard);
      return r;
    };
    expect(apply(100, 0, 2)).toBe(APPLY_INSERTED);
    expect(apply(100, 0, 2)).toBe(APPLY_IGNORED); // same version
    expect(apply(100, 0, 1)).toBe(APPLY_IGNORED); // tie on stamp, lower origin
    expect(apply(100, 0, 3)).toBe(APPLY_REPLACED); // tie on stamp, higher origin
    expect(apply(99, 5, 9)).toBe(APPLY_IGNORED);
    expect(apply(100, 1, 1)).toBe(APPLY_REPLACED);
    expect(zoneGet(z, 'k')).toBe('remote');
    expect(z.stats().pending).toBe(0);
  });

  it('refuses value bytes outside the given array before changing anything', () => {
    const { z } = zoneWithClock();
    zoneSet(z, 'k', 'kept');
    const v = new TextEncoder().encode('remote');
    z.setKey('k');
    const version = Object.assign(new RecordVersion(), { stampMs: 2_000_000, logical: 0, origin: 7, expireAtMs: 0, tombstone: false });
    z.lock(0);
    try {
      expect(() => z.applyLocked(0, version, v, 2, v.length)).toThrow(RangeError);
      expect(() => z.applyLocked(0, version, v, -1, 2)).toThrow(RangeError);
    } finally {
      z.unlock(0);
    }
    expect(zoneGet(z, 'k')).toBe('kept');
    expect(checkZone(z)).toEqual([]);
    expect(() => z.setKeyBytes(v, 4, 3)).toThrow(RangeError);
    expect(z.key.subarray(0, 1)).toEqual(new TextEncoder().encode('k')); // the current key is as it was
  });

  it('drops a pending local change when a newer remote version replaces it', () => {
    const { z } = zoneWithClock();
    zoneSet(z, 'k', 'local', 0, false, { stampMs: 50 });
    expect(z.stats().pending).toBe(1);
    z.setKey('k');
    const version = Object.assign(new RecordVersion(), { stampMs: 60, logical: 0, origin: 7, expireAtMs: 0, tombstone: false });
    const v = new TextEncoder().encode('remote');
    z.lock(0);
    expect(z.applyLocked(0, version, v, 0, v.length)).toBe(APPLY_REPLACED);
    z.unlock(0);
    expect(z.stats().pending).toBe(0);
    expect(zoneGet(z, 'k')).toBe('remote');
  });

  it('hides tombstones from get but keeps them for sync and snapshots', () => {
    const { z } = zoneWithClock();
    zoneSet(z, 'gone', 'soon');
    zoneSet(z, 'gone', '', 0, true);
    expect(zoneGet(z, 'gone')).toBeUndefined();
    expect(z.stats().records).toBe(1);
    const seen: boolean[] = [];
    const c = new ZoneCursor(z);
    while (!c.done) c.step(10, (zone, _s, rec) => seen.push(zone.isTombstone(rec)));
    expect(seen).toEqual([true]);
  });

  it('evicts least recently used records when full, then reports no memory', () => {
    const { z } = zoneWithClock(64 * 1024, 1);
    for (let i = 0; i < 2000; i++) expect(zoneSet(z, `key${i}`, 'v'.repeat(40))).toBe(WRITE_OK);
    const s = z.stats();
    expect(s.evictions).toBeGreaterThan(0);
    expect(s.records).toBeLessThan(2000);
    expect(zoneGet(z, 'key1999')).toBe('v'.repeat(40)); // the newest survive
    expect(zoneGet(z, 'key0')).toBeUndefined(); // the oldest went first
    expect(checkZone(z)).toEqual([]);
    // A value larger than the whole shard can never fit.
    const before = z.stats().records;
    expect(() => zoneSet(z, 'huge', 'x'.repeat(200 * 1024))).toThrow(/larger than the largest block/);
    expect(z.stats().records).toBe(before);
    // One that fits a shard but not beside the live records: evicts a few, then says so.
    for (let i = 0; i < 100; i++) zoneGet(z, `key${1999 - i}`);
    expect(zoneSet(z, 'big', 'x'.repeat(40 * 1024))).toBe(WRITE_NO_MEMORY);
    expect(z.stats().allocFailures).toBeGreaterThan(0);
    expect(zoneGet(z, 'key1999')).toBe('v'.repeat(40));
    expect(checkZone(z)).toEqual([]);
  });

  it('makes room for a record of another size class when every page holds a full class', () => {
    const { z } = zoneWithClock(64 * 1024, 1);
    // 96-byte blocks fill every page; then 112-byte ones need a page of their own.
    for (let i = 0; i < 1000; i++) expect(zoneSet(z, `a${String(i).padStart(3, '0')}`, 'v'.repeat(41))).toBe(WRITE_OK);
    for (let i = 0; i < 1000; i++) expect(zoneSet(z, `b${String(i).padStart(3, '0')}`, 'v'.repeat(55))).toBe(WRITE_OK);
    expect(zoneGet(z, 'b999')).toBe('v'.repeat(55));
    expect(z.stats().allocFailures).toBe(0);
    expect(checkZone(z)).toEqual([]);
  });

  it('gives a record read since it was queued a second chance before evicting it (CLOCK)', () => {
    const { z } = zoneWithClock(64 * 1024, 1);
    let n = 0;
    while (z.stats().evictions === 0) zoneSet(z, `k${n++}`, 'v'.repeat(40));
    // k0 went first. k1 is now the oldest: read it, and the next eviction takes k2 instead.
    expect(zoneGet(z, 'k0')).toBeUndefined();
    expect(zoneGet(z, 'k1')).toBe('v'.repeat(40));
    const before = z.stats().evictions;
    while (z.stats().evictions === before) zoneSet(z, `k${n++}`, 'v'.repeat(40));
    expect(zoneGet(z, 'k1')).toBe('v'.repeat(40));
    expect(zoneGet(z, 'k2')).toBeUndefined();
    expect(checkZone(z)).toEqual([]);
  });

  it('touching a record on get protects it from eviction', () => {
    const { z } = zoneWithClock(64 * 1024, 1);
    zoneSet(z, 'hot', 'h');
    for (let i = 0; i < 3000; i++) {
      zoneSet(z, `cold${i}`, 'c'.repeat(40));
      expect(zoneGet(z, 'hot')).toBe('h');
    }
  });
});

describe('snapshot cursor', () => {
  it('visits every record present for the whole walk exactly once, despite concurrent changes', () => {
    const { z } = zoneWithClock(1 << 21, 8);
    for (let i = 0; i < 5000; i++) zoneSet(z, `stable${i}`, 'v');
    const visits = new Map<string, number>();
    const c = new ZoneCursor(z);
    let churn = 0;
    while (!c.done) {
      c.step(64, (zone, _s, rec) => {
        const k = zone.keyText(rec);
        visits.set(k, (visits.get(k) ?? 0) + 1);
      });
      // Between batches: inserts, removals and growth of other keys.
      for (let j = 0; j < 20; j++, churn++) {
        zoneSet(z, `churn${churn}`, 'x'.repeat(churn % 500));
        if (churn % 3 === 0) zoneRemove(z, `churn${churn - 1}`);
      }
    }
    for (let i = 0; i < 5000; i++) expect(visits.get(`stable${i}`)).toBe(1);
    expect(checkZone(z)).toEqual([]);
  });
});
