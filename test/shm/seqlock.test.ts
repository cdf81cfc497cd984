import { describe, expect, it } from 'vitest';
import { RecordVersion, ShmZone, checkZone } from 'native-free-shm';
import { zoneGet, zoneSet } from '../../dist-bench/lib/shm-strings.js';

function zoneWithClock(shards = 1) {
  const clock = { t: 1_000_000 };
  const z = ShmZone.create({ sizeBytes: 1 << 18, shards }, { now: () => clock.t, ownerId: 7 });
  return { z, clock };
}

/** The lock-free read of `key`, as a caller does it. */
function readOptimistic(z: ShmZone, key: string, nowMs?: number): string | undefined | null {
  z.setKey(key);
  return z.readValueOptimistic(z.shardOfKey(), nowMs);
}

/** Older unused records, so that the LRU tail is never the record under test. */
function addOlderRecords(z: ShmZone): void {
  for (let i = 0; i < 4; i++) zoneSet(z, `older${i}`, 'x');
}

/** A key other than `key` whose hash picks the same bucket. */
function collidingKey(z: ShmZone, key: string): string {
  z.setKey(key);
  const bucket = z.keyHash & z.memory.bucketMask;
  for (let i = 0; ; i++) {
    z.setKey(`c${i}`);
    if ((z.keyHash & z.memory.bucketMask) === bucket) return `c${i}`;
  }
}

/** Index of the shard header word holding the sequence, found by its value (made distinct first). */
function seqWordIndex(z: ShmZone, shard: number): number {
  const w = z.memory.shardBase(shard) >>> 2;
  const seq = z.shardSeq(shard);
  for (let i = 0; i < 16; i++) if (z.memory.u32[w + i] === seq) return w + i;
  throw new Error('sequence word not found on the lock line');
}

describe('lock-free reads (readValueOptimistic)', () => {
  it('reads a used record without the lock, and publishes its expiry', () => {
    const { z, clock } = zoneWithClock();
    zoneSet(z, 'k', 'value', clock.t + 5000);
    expect(zoneGet(z, 'k')).toBe('value'); // the locked path marks it used
    expect(readOptimistic(z, 'k')).toBe('value');
    expect(z.optimisticExpireAtMs).toBe(clock.t + 5000);
    expect(z.optimisticExpired).toBe(false);
  });

  it('a used record stepped over by the expiry sweep keeps its bit, so it stays readable without the lock', () => {
    const { z } = zoneWithClock();
    zoneSet(z, 'hot', 'value');
    expect(zoneGet(z, 'hot')).toBe('value'); // used: the LRU tail, with its bit set
    for (let i = 0; i < 50; i++) zoneSet(z, `new${i}`, 'x'); // every write sweeps the tail
    expect(readOptimistic(z, 'hot')).toBe('value');
    expect(checkZone(z)).toEqual([]);
  });

  it('answers undefined for a missing key, with no expiry', () => {
    const { z } = zoneWithClock();
    zoneSet(z, 'other', 'x');
    expect(readOptimistic(z, 'missing')).toBeUndefined();
    expect(z.optimisticExpireAtMs).toBe(0);
  });

  it('answers undefined for a tombstone', () => {
    const { z } = zoneWithClock();
    zoneSet(z, 'gone', 'x', 0, true);
    expect(readOptimistic(z, 'gone')).toBeUndefined();
    expect(zoneGet(z, 'gone')).toBeUndefined();
  });

  it('answers undefined for an expired record and leaves it in place; get then drops it', () => {
    const { z, clock } = zoneWithClock();
    zoneSet(z, 'short', 'lived', clock.t + 1000);
    expect(zoneGet(z, 'short')).toBe('lived');
    expect(readOptimistic(z, 'short', clock.t + 999)).toBe('lived');
    expect(readOptimistic(z, 'short', clock.t + 1000)).toBeUndefined(); // nowMs given: the clock is not read
    expect(z.optimisticExpired).toBe(true);
    clock.t += 1000;
    const seq = z.shardSeq(0);
    expect(readOptimistic(z, 'short')).toBeUndefined();
    expect(z.stats().records).toBe(1);
    expect(z.stats().expired).toBe(0);
    expect(z.shardSeq(0)).toBe(seq); // nothing was changed
    expect(zoneGet(z, 'short')).toBeUndefined();
    expect(z.stats().records).toBe(0);
    expect(z.stats().expired).toBe(1);
  });

  it('gives no answer for a record not yet marked used, until a locked read marks it', () => {
    const { z } = zoneWithClock();
    addOlderRecords(z);
    zoneSet(z, 'fresh', 'v1');
    expect(readOptimistic(z, 'fresh')).toBeNull();
    expect(readOptimistic(z, 'fresh')).toBeNull(); // the lock-free path never sets the bit itself
    expect(zoneGet(z, 'fresh')).toBe('v1');
    expect(readOptimistic(z, 'fresh')).toBe('v1');
    zoneSet(z, 'fresh', 'v2'); // in place: the bit stays
    expect(readOptimistic(z, 'fresh')).toBe('v2');
    zoneSet(z, 'fresh', 'v3'.repeat(1000)); // moved to a larger block, and to the LRU head unused
    expect(readOptimistic(z, 'fresh')).toBeNull();
    expect(zoneGet(z, 'fresh')).toBe('v3'.repeat(1000));
    expect(readOptimistic(z, 'fresh')).toBe('v3'.repeat(1000));
  });

  it('gives no answer while another owner is in the middle of changing the shard', () => {
    const { z } = zoneWithClock();
    addOlderRecords(z);
    zoneSet(z, 'k', 'old');
    zoneGet(z, 'k');
    const writer = ShmZone.attach(z.handle, { ownerId: 8 });
    writer.setKey('k');
    const shard = writer.shardOfKey();
    writer.lock(shard);
    expect(readOptimistic(z, 'k')).toBe('old'); // locked but not yet changing: still even
    const version = Object.assign(new RecordVersion(), { stampMs: 1, logical: 0, origin: 1, expireAtMs: 0, tombstone: false });
    const rec = writer.writeLocked(shard, writer.findLocked(shard, 0), 3, version, true, 0);
    writer.memory.u8.set(new TextEncoder().encode('new'), writer.valueOffset(rec));
    expect(readOptimistic(z, 'k')).toBeNull();
    writer.unlock(shard);
    expect(readOptimistic(z, 'k')).toBe('new');
  });

  it('gives up, without throwing or looping, on links and lengths no sound shard holds', () => {
    const { z } = zoneWithClock();
    zoneSet(z, 'k', 'value');
    zoneGet(z, 'k');
    const other = collidingKey(z, 'k'); // its lookup walks past k's record
    z.setKey('k');
    const shard = z.shardOfKey();
    z.lock(shard);
    const rec = z.findLocked(shard, 0);
    z.unlock(shard);
    const u32 = z.memory.u32;
    const link = rec >>> 2; // R_HASH_NEXT, the record's first word
    const valueLen = (rec + 24) >>> 2; // R_VALUE_LEN
    // A chain that loops on itself: the walk stops after a bounded number of steps.
    const saved = u32[link]!;
    u32[link] = rec;
    expect(readOptimistic(z, other)).toBeNull();
    u32[link] = rec + 4; // misaligned
    expect(readOptimistic(z, other)).toBeNull();
    u32[link] = 8; // inside the zone header, not the shard's pages
    expect(readOptimistic(z, other)).toBeNull();
    u32[link] = z.memory.sizeBytes + 64; // past the buffer
    expect(readOptimistic(z, other)).toBeNull();
    u32[link] = saved;
    expect(readOptimistic(z, other)).toBeUndefined();
    // A value length past the shard: no huge string is made.
    const savedLen = u32[valueLen]!;
    u32[valueLen] = 0xffffffff;
    expect(readOptimistic(z, 'k')).toBeNull();
    u32[valueLen] = savedLen;
    expect(readOptimistic(z, 'k')).toBe('value');
    expect(checkZone(z)).toEqual([]);
  });
});

describe('the shard sequence word', () => {
  it('is odd during a tenure that changes the shard, even after, and untouched by tenures that only read', () => {
    const { z } = zoneWithClock();
    expect(z.shardSeq(0)).toBe(0);
    zoneSet(z, 'a', '1');
    expect(z.shardSeq(0)).toBe(2);
    zoneGet(z, 'a'); // locked (marks the record used: one bit, no change announced)
    zoneGet(z, 'a'); // lock-free
    zoneGet(z, 'missing');
    expect(z.shardSeq(0)).toBe(2);
    z.setKey('a');
    z.lock(0);
    expect(z.shardSeq(0)).toBe(2);
    z.removeLocked(0, z.findLocked(0, 0));
    expect(z.shardSeq(0)).toBe(3);
    z.expireLocked(0, 0, 4); // a second change in the same tenure does not bump it again
    expect(z.shardSeq(0)).toBe(3);
    z.unlock(0);
    expect(z.shardSeq(0)).toBe(4);
    expect(checkZone(z)).toEqual([]);
  });

  it('stays monotonic and ends even when a holder that died mid-change is forced open', () => {
    const { z } = zoneWithClock(2);
    for (let i = 0; i < 50; i++) zoneSet(z, `k${i}`, `v${i}`);
    const dead = ShmZone.attach(z.handle, { ownerId: 99 });
    dead.lock(1);
    dead.expireLocked(1, 0, 1); // a change begins; the holder dies before unlock
    const seen = dead.shardSeq(1);
    expect(seen % 2).toBe(1);
    expect(z.forceUnlock(99)).toBe(1);
    expect(z.stats().resets).toBe(1);
    const after = z.shardSeq(1);
    expect(after % 2).toBe(0);
    expect(after).toBeGreaterThan(seen);
    expect(checkZone(z)).toEqual([]);
  });

  it('is made even when a holder died between announcing a change and making it', () => {
    const { z } = zoneWithClock();
    zoneSet(z, 'a', '1');
    zoneSet(z, 'a', '2');
    zoneSet(z, 'b', '3'); // S_SEQ = 6, a value no other word of the lock line holds
    const word = seqWordIndex(z, 0);
    const dead = ShmZone.attach(z.handle, { ownerId: 99 });
    dead.lock(0);
    Atomics.add(z.memory.i32, word, 1); // S_SEQ odd, S_DIRTY not yet set: nothing changed
    expect(z.forceUnlock(99)).toBe(1);
    expect(z.stats().resets).toBe(0);
    expect(z.shardSeq(0)).toBe(8);
    expect(zoneGet(z, 'a')).toBe('2');
    expect(checkZone(z)).toEqual([]);
  });

  it('is reported by checkZone when odd with no change in progress', () => {
    const { z } = zoneWithClock();
    zoneSet(z, 'a', '1');
    zoneSet(z, 'a', '2');
    zoneSet(z, 'b', '3');
    const word = seqWordIndex(z, 0);
    Atomics.add(z.memory.i32, word, 1);
    expect(checkZone(z).join('\n')).toMatch(/sequence word 7 is odd/);
    expect(readOptimistic(z, 'a')).toBeNull();
  });
});
