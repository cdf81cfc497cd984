// RecordMerger, the one merge of a record made elsewhere: what it refuses, and its locks
// (kept across a batch of one shard, always released, also when a merge throws).
import { describe, expect, it } from 'vitest';
import { APPLY_IGNORED, APPLY_INSERTED, APPLY_REPLACED } from 'native-free-shm';
import {
  CounterZone, KeyvalZone, LimitReqZone, MERGE_FUTURE, MERGE_INVALID, MERGE_SKIPPED, RecordMerger, StickyZone, createNodeContext, type WireRecord,
} from '../../dist/zones/index.js';
import { SHARE_BYTES } from '../../dist/zones/limit-req/share-codec.js';
import { COUNT_BYTES, emptyCount, writeCount } from '../../dist/zones/counter/count-codec.js';

const NOW = 1_700_000_000_000;

function keyval() {
  const kv = KeyvalZone.create({ name: 'm', size: '256k', shards: 4, sync: true, timeout: '1h', node: createNodeContext(1), now: () => NOW });
  return { kv, merger: new RecordMerger(kv.shm, kv.handle.descriptor) };
}

/** Key and value in one buffer, as a frame carries them. */
function wire(key: string, value: string, version: Partial<WireRecord> = {}): { bytes: Uint8Array; r: WireRecord } {
  const k = new TextEncoder().encode(key);
  const v = new TextEncoder().encode(value);
  const bytes = new Uint8Array(k.length + v.length);
  bytes.set(k);
  bytes.set(v, k.length);
  return {
    bytes,
    r: {
      keyOffset: 0, keyLength: k.length, payloadOffset: k.length, payloadLength: v.length,
      origin: 2, stampMs: NOW, stampLogical: 0, expireAtMs: NOW + 60_000, tombstone: false, ...version,
    },
  };
}

describe('RecordMerger', () => {
  it('decides by (stamp, logical, origin) and never queues a merged record', () => {
    const { kv, merger } = keyval();
    const merge = (value: string, v: Partial<WireRecord>) => {
      const { bytes, r } = wire('k', value, v);
      return merger.mergeOne(bytes, r, NOW);
    };
    expect(merge('a', { stampMs: NOW, origin: 2 })).toBe(APPLY_INSERTED);
    expect(merge('b', { stampMs: NOW, origin: 1 })).toBe(APPLY_IGNORED);
    expect(merge('c', { stampMs: NOW, origin: 3 })).toBe(APPLY_REPLACED);
    expect(merge('d', { stampMs: NOW, stampLogical: 1, origin: 1 })).toBe(APPLY_REPLACED);
    expect(merge('e', { stampMs: NOW - 1, stampLogical: 9, origin: 9 })).toBe(APPLY_IGNORED);
    expect(kv.get('k')).toBe('d');
    expect(kv.stats().pending).toBe(0);
  });

  it('skips an expired record and one larger than the zone can hold, changing nothing', () => {
    const { kv, merger } = keyval();
    const expired = wire('old', 'v', { expireAtMs: NOW });
    expect(merger.mergeOne(expired.bytes, expired.r, NOW)).toBe(MERGE_SKIPPED);
    const longKey = wire('k'.repeat(kv.shm.memory.maxKeyBytes + 1), 'v');
    expect(merger.mergeOne(longKey.bytes, longKey.r, NOW)).toBe(MERGE_SKIPPED);
    const huge = wire('big', 'x'.repeat(kv.shm.maxRecordBytes));
    expect(merger.mergeOne(huge.bytes, huge.r, NOW)).toBe(MERGE_SKIPPED);
    expect(kv.stats().records).toBe(0);
  });

  it('keeps one shard lock across a batch and opens it at release()', () => {
    const { kv, merger } = keyval();
    const owner = kv.shm.ownerId;
    for (let i = 0; i < 200; i++) {
      const { bytes, r } = wire(`key${i}`, `v${i}`);
      merger.merge(bytes, r, NOW);
      expect(kv.shm.holdsAnyLock(owner)).toBe(true);
    }
    merger.release();
    expect(kv.shm.holdsAnyLock(owner)).toBe(false);
    for (let i = 0; i < 200; i++) expect(kv.get(`key${i}`)).toBe(`v${i}`);
  });

  it('leaves no lock held when a merge throws (a payload range outside its array)', () => {
    const { kv, merger } = keyval();
    const { bytes, r } = wire('k', 'value');
    expect(() => merger.mergeOne(bytes, { ...r, payloadLength: r.payloadLength + 10 }, NOW)).toThrow(RangeError);
    expect(kv.shm.holdsAnyLock(kv.shm.ownerId)).toBe(false);
    expect(merger.mergeOne(bytes, r, NOW)).toBe(APPLY_INSERTED);
    expect(kv.get('k')).toBe('value');
  });

  it.each([
    ['an empty key', 'string', '', 'v'],
    ['a key that is not an address', 'ip', 'not-an-address', 'v'],
    ['an address with a port', 'ip', '1.2.3.4:80', 'v'],
    ['a block not in canonical form', 'ip', '10.1.2.3/8', 'v'],
    ['an IPv6 block not in canonical form', 'ip', '2001:DB8::/32', 'v'],
  ] as const)('refuses %s (MERGE_INVALID), as the API would', (_what, type, key, value) => {
    const kv = KeyvalZone.create({ name: 'v', size: '256k', type, sync: true, timeout: '1h', node: createNodeContext(1), now: () => NOW });
    const merger = new RecordMerger(kv.shm, kv.handle.descriptor);
    const { bytes, r } = wire(key, value);
    expect(merger.mergeOne(bytes, r, NOW)).toBe(MERGE_INVALID);
    expect(kv.stats().records).toBe(0);
    const good = wire(type === 'ip' ? '10.0.0.0/8' : 'k', 'v');
    expect(merger.mergeOne(good.bytes, good.r, NOW)).toBe(APPLY_INSERTED);
  });

  it('refuses a sticky session with no server, but not a sticky tombstone', () => {
    const sticky = StickyZone.create({ name: 's', size: '256k', sync: true, node: createNodeContext(1), now: () => NOW });
    const merger = new RecordMerger(sticky.shm, sticky.handle.descriptor);
    const empty = wire('session', '');
    expect(merger.mergeOne(empty.bytes, empty.r, NOW)).toBe(MERGE_INVALID);
    expect(merger.mergeOne(empty.bytes, { ...empty.r, tombstone: true, expireAtMs: NOW + 1000 }, NOW)).toBe(APPLY_INSERTED);
  });

  it('refuses a record stamped beyond the clock guard, and takes one just inside it', () => {
    const { kv, merger } = keyval();
    const ahead = wire('k', 'future', { stampMs: NOW + 60_001 });
    expect(merger.mergeOne(ahead.bytes, ahead.r, NOW)).toBe(MERGE_FUTURE);
    expect(kv.get('k')).toBeUndefined();
    const inside = wire('k', 'soon', { stampMs: NOW + 60_000 });
    expect(merger.mergeOne(inside.bytes, inside.r, NOW)).toBe(APPLY_INSERTED);
    expect(kv.get('k')).toBe('soon');
  });

  it('refuses a version living longer past its stamp than the zone allows (its tombstones could not outlive it)', () => {
    const { kv, merger } = keyval(); // timeout 1h
    const forever = wire('a', 'v', { expireAtMs: 0 });
    expect(merger.mergeOne(forever.bytes, forever.r, NOW)).toBe(MERGE_INVALID);
    const tooLong = wire('b', 'v', { expireAtMs: NOW + 3_600_001 });
    expect(merger.mergeOne(tooLong.bytes, tooLong.r, NOW)).toBe(MERGE_INVALID);
    const longest = wire('c', 'v', { expireAtMs: NOW + 3_600_000 });
    expect(merger.mergeOne(longest.bytes, longest.r, NOW)).toBe(APPLY_INSERTED);
    expect(kv.entries().map((e) => e.key)).toEqual(['c']);
  });

  it('skips a record too large to be sent on from a synced zone', () => {
    const kv = KeyvalZone.create({ name: 'm', size: '256k', sync: true, timeout: '1h', maxSyncedBytes: 100, node: createNodeContext(1), now: () => NOW });
    const merger = new RecordMerger(kv.shm, kv.handle.descriptor);
    const fits = wire('k', 'v'.repeat(99));
    expect(merger.mergeOne(fits.bytes, fits.r, NOW)).toBe(APPLY_INSERTED);
    const over = wire('j', 'v'.repeat(100));
    expect(merger.mergeOne(over.bytes, over.r, NOW)).toBe(MERGE_SKIPPED);
  });

  it('refuses a limit_req share or a count with a time or number past 2^53 - 1, and takes one within', () => {
    const limit = LimitReqZone.create({ name: 'l', size: '256k', rate: '1r/s', sync: true, node: createNodeContext(1), now: () => NOW });
    const counter = CounterZone.create({ name: 'c', size: '256k', sync: true, node: createNodeContext(1), now: () => NOW });
    const record = (payload: Uint8Array) => {
      const bytes = new Uint8Array(1 + payload.length);
      bytes[0] = 0x6b; // key "k"
      bytes.set(payload, 1);
      return { bytes, r: { keyOffset: 0, keyLength: 1, payloadOffset: 1, payloadLength: payload.length, origin: 2, stampMs: NOW, stampLogical: 0, expireAtMs: NOW + 60_000, tombstone: false } };
    };
    const share = new Uint8Array(SHARE_BYTES);
    new DataView(share.buffer).setUint32(4, 0x200000); // last = 2^53
    const badShare = record(share);
    const limitMerger = new RecordMerger(limit.shm, limit.handle.descriptor);
    expect(limitMerger.mergeOne(badShare.bytes, badShare.r, NOW)).toBe(MERGE_INVALID);
    new DataView(share.buffer).setUint32(4, 0x1fffff);
    expect(limitMerger.mergeOne(record(share).bytes, record(share).r, NOW)).toBe(APPLY_INSERTED);
    const count = new Uint8Array(COUNT_BYTES);
    writeCount(count, 0, { ...emptyCount(), windowStartMs: NOW, windowEndMs: NOW + 1000, added: 3 });
    new DataView(count.buffer).setUint32(16, 0x200000); // added = 2^53 and more
    const counterMerger = new RecordMerger(counter.shm, counter.handle.descriptor);
    expect(counterMerger.mergeOne(record(count).bytes, record(count).r, NOW)).toBe(MERGE_INVALID);
    writeCount(count, 0, { ...emptyCount(), windowStartMs: NOW, windowEndMs: NOW + 1000, added: 3 });
    expect(counterMerger.mergeOne(record(count).bytes, record(count).r, NOW)).toBe(APPLY_INSERTED);
    expect(counter.get('k', { window: 1000 }).value).toBe(0); // its window is not this key's window of 1 s
  });
});
