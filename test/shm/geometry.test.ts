import { describe, expect, it } from 'vitest';
import { ShmZone, autoShards, computeGeometry } from 'native-free-shm';
import { zoneGet, zoneSet } from '../../dist-bench/lib/shm-strings.js';

describe('zone geometry and bad arguments', () => {
  it('lays out shards that fit in the zone', () => {
    const g = computeGeometry({ sizeBytes: 1 << 20, shards: 4 });
    expect(g.shards).toBe(4);
    expect(g.pages).toBeGreaterThanOrEqual(4);
    expect(1024 + g.shards * g.strideBytes).toBeLessThanOrEqual(1 << 20);
    expect(g.pagesOffset + (g.pages << g.pageShift)).toBeLessThanOrEqual(g.strideBytes);
    expect(g.buckets & (g.buckets - 1)).toBe(0);
  });

  it('picks shards automatically: one per 64 KiB, at most 16', () => {
    expect(autoShards(32 * 1024)).toBe(1);
    expect(autoShards(256 * 1024)).toBe(4);
    expect(autoShards(1 << 20)).toBe(16);
    expect(autoShards(1 << 26)).toBe(16);
  });

  it('rejects a zone too small for its shards with the size it needs', () => {
    expect(() => ShmZone.create({ sizeBytes: 32 * 1024, shards: 16 })).toThrow(/too small for 16 shard\(s\).*need at least \d+ bytes/);
  });

  it('rejects shard counts that are not powers of two, bad page sizes and key limits', () => {
    expect(() => ShmZone.create({ sizeBytes: 1 << 20, shards: 3 })).toThrow(RangeError);
    expect(() => ShmZone.create({ sizeBytes: 1 << 20, shards: 512 })).toThrow(/from 1 to 256/);
    expect(() => ShmZone.create({ sizeBytes: 1 << 20, pageSize: 3000 })).toThrow(/page size/);
    expect(() => ShmZone.create({ sizeBytes: 1 << 20, maxKeyBytes: 0 })).toThrow(/max key bytes/);
    expect(() => ShmZone.create({ sizeBytes: 0 })).toThrow(/zone size/);
    expect(() => ShmZone.create({ sizeBytes: 2 ** 31 })).toThrow(/zone size/);
  });

  it('rejects a key over the limit and leaves the zone as it was', () => {
    const z = ShmZone.create({ sizeBytes: 1 << 18, maxKeyBytes: 16 });
    zoneSet(z, 'short', 'v');
    expect(() => zoneSet(z, 'k'.repeat(17), 'v')).toThrow(/longer than the zone's limit of 16 bytes/);
    expect(() => zoneSet(z, 'é'.repeat(9), 'v')).toThrow(/limit of 16 bytes/); // 18 UTF-8 bytes
    expect(zoneGet(z, 'short')).toBe('v');
    expect(z.stats().records).toBe(1);
  });

  it('refuses a buffer that is not a zone', () => {
    expect(() => ShmZone.attach({ buffer: new SharedArrayBuffer(4096) })).toThrow(/bad magic/);
  });

  it('attaches to the same memory through a cloned handle', () => {
    const z = ShmZone.create({ sizeBytes: 1 << 18 });
    zoneSet(z, 'a', 'b');
    const other = ShmZone.attach(structuredClone(z.handle));
    expect(zoneGet(other, 'a')).toBe('b');
    expect(other.ownerId).not.toBe(z.ownerId);
  });
});
