import { describe, expect, it } from 'vitest';
import { ShmZone, forceUnlockWord, lockWord, tryLockWord, unlockWord } from 'native-free-shm';
import { zoneGet, zoneSet } from '../../dist-bench/lib/shm-strings.js';

describe('mutex (single thread)', () => {
  it('holds the owner id in the lock word and releases to 0', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    expect(lockWord(i32, 0, 7, 4, 2)).toBe(true);
    expect(Atomics.load(i32, 0)).toBe(7);
    expect(tryLockWord(i32, 0, 8)).toBe(false);
    unlockWord(i32, 0, 7);
    expect(Atomics.load(i32, 0)).toBe(0);
    expect(tryLockWord(i32, 0, 8)).toBe(true);
  });

  it('refuses an unlock by another owner and a reentrant lock', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    lockWord(i32, 0, 7, 4, 2);
    expect(() => unlockWord(i32, 0, 9)).toThrow(/unlock by 9 of a lock held by 7/);
    expect(() => lockWord(i32, 0, 7, 4, 2)).toThrow(/not reentrant/);
    expect(Atomics.load(i32, 0)).toBe(7);
  });

  it('force-unlocks only the named owner', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    lockWord(i32, 0, 7, 4, 2);
    expect(forceUnlockWord(i32, 0, 8)).toBe(false);
    expect(Atomics.load(i32, 0)).toBe(7);
    expect(forceUnlockWord(i32, 0, 7)).toBe(true);
    expect(Atomics.load(i32, 0)).toBe(0);
  });

  it('zone.forceUnlock opens the shards a dead owner held and keeps a clean shard', () => {
    const z = ShmZone.create({ sizeBytes: 1 << 20, shards: 4 });
    zoneSet(z, 'kept', 'yes');
    const dead = ShmZone.attach(z.handle, { ownerId: 4242 });
    dead.lock(1);
    dead.lock(3);
    expect(z.holdsAnyLock(4242)).toBe(true);
    expect(z.forceUnlock(4242)).toBe(2);
    expect(z.holdsAnyLock(4242)).toBe(false);
    expect(zoneGet(z, 'kept')).toBe('yes');
    expect(z.stats().resets).toBe(0);
  });

  it('zone.forceUnlock resets a shard whose holder died in the middle of a change', () => {
    const z = ShmZone.create({ sizeBytes: 1 << 18, shards: 1 });
    for (let i = 0; i < 100; i++) zoneSet(z, `k${i}`, `v${i}`);
    const dead = ShmZone.attach(z.handle, { ownerId: 4243 });
    dead.setKey('k5');
    dead.lock(0);
    const rec = dead.findLocked(0, Date.now());
    dead.removeLocked(0, rec); // a mutation began; the thread "dies" before unlock
    expect(z.forceUnlock(4243)).toBe(1);
    const s = z.stats();
    expect(s.resets).toBe(1);
    expect(s.records).toBe(0);
    expect(s.pagesFree).toBe(s.pagesTotal);
    zoneSet(z, 'after', 'reset');
    expect(zoneGet(z, 'after')).toBe('reset');
  });
});
