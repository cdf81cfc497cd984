import { describe, expect, it } from 'vitest';
import { ShmZone, checkZone, sizeClassOf, slabAlloc, slabBlockSize, slabFree, slabMaxBlock } from 'native-free-shm';
import { zoneRemove, zoneSet } from '../../dist-bench/lib/shm-strings.js';

function emptyShard() {
  const z = ShmZone.create({ sizeBytes: 256 * 1024, shards: 1 });
  const m = z.memory;
  return { z, m, base: m.shardBase(0) };
}

describe('slab allocator', () => {
  it('maps sizes to classes of 8 to 64 bytes in steps of 8, then four per doubling', () => {
    expect(sizeClassOf(1)).toBe(0);
    expect(sizeClassOf(8)).toBe(0);
    expect(sizeClassOf(9)).toBe(1);
    expect(sizeClassOf(64)).toBe(7);
    expect(sizeClassOf(65)).toBe(8); // 80
    expect(sizeClassOf(96)).toBe(9);
    expect(sizeClassOf(128)).toBe(11);
    expect(sizeClassOf(129)).toBe(12); // 160
    expect(sizeClassOf(2048)).toBe(27);
    const sizes = ShmZone.create({ sizeBytes: 256 * 1024, shards: 1 }).stats().classes.map((c) => c.sizeBytes);
    expect(sizes.slice(0, 14)).toEqual([8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192]);
    expect(sizes.at(-1)).toBe(2048);
    // A block never wastes more than a fifth of itself above 64 bytes (nginx's powers of two: half).
    for (let bytes = 65; bytes <= 2048; bytes++) expect(sizes[sizeClassOf(bytes)]! - bytes).toBeLessThan(sizes[sizeClassOf(bytes)]! / 5);
  });

  it('gives distinct, aligned chunks of the class size and counts them', () => {
    const { z, m, base } = emptyShard();
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const off = slabAlloc(m, base, 100);
      expect(off).toBeGreaterThan(0);
      expect((off - (base + m.pagesOffset)) % 4096 % 112).toBe(0);
      expect(slabBlockSize(m, base, off)).toBe(112);
      expect(seen.has(off)).toBe(false);
      seen.add(off);
    }
    const cls = z.stats().classes.find((c) => c.sizeBytes === 112)!;
    expect(cls.usedChunks).toBe(200);
    expect(cls.requests).toBe(200);
    const perPage = Math.floor(4096 / 112); // 36; the page's last 64 bytes hold no chunk
    expect(cls.totalChunks).toBe(Math.ceil(200 / perPage) * perPage);
    for (const off of seen) slabFree(m, base, off);
    const after = z.stats();
    expect(after.pagesFree).toBe(after.pagesTotal);
    expect(after.classes.find((c) => c.sizeBytes === 112)!.totalChunks).toBe(0);
  });

  it('gives whole page runs above half a page and merges freed runs', () => {
    const { z, m, base } = emptyShard();
    const total = z.stats().pagesTotal;
    const a = slabAlloc(m, base, 5000); // 2 pages
    const b = slabAlloc(m, base, 4096); // 1 page
    const c = slabAlloc(m, base, 9000); // 3 pages
    expect(slabBlockSize(m, base, a)).toBe(8192);
    expect(slabBlockSize(m, base, c)).toBe(12288);
    expect(b - a).toBe(8192);
    expect(z.stats().pagesFree).toBe(total - 6);
    slabFree(m, base, a);
    slabFree(m, base, c);
    slabFree(m, base, b); // merges with both neighbours into one run of everything
    expect(z.stats().pagesFree).toBe(total);
    const all = slabAlloc(m, base, total * 4096);
    expect(all).toBe(a);
    expect(slabAlloc(m, base, 8)).toBe(0);
  });

  it('returns 0 when full, counts the failure, and recovers after a free', () => {
    const { z, m, base } = emptyShard();
    const blocks: number[] = [];
    for (;;) {
      const off = slabAlloc(m, base, 1000);
      if (off === 0) break;
      blocks.push(off);
    }
    expect(blocks.length).toBe(z.stats().pagesTotal * 4);
    expect(z.stats().classes.find((c) => c.sizeBytes === 1024)!.failures).toBe(1);
    slabFree(m, base, blocks.pop()!);
    expect(slabAlloc(m, base, 1000)).toBeGreaterThan(0);
    expect(slabMaxBlock(m)).toBe(z.stats().pagesTotal * 4096);
  });

  it('refuses to free what it never gave', () => {
    const { m, base } = emptyShard();
    const off = slabAlloc(m, base, 64);
    expect(() => slabFree(m, base, off + 8)).toThrow(/misaligned/);
    const large = slabAlloc(m, base, 8192);
    expect(() => slabFree(m, base, large + 4096)).toThrow(/not in use|inside a large block/);
  });

  it('keeps its structures sound through random alloc/free', () => {
    const { z, m, base } = emptyShard();
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const live: number[] = [];
    for (let i = 0; i < 5000; i++) {
      if (live.length > 0 && rnd() < 0.45) {
        const k = Math.floor(rnd() * live.length);
        slabFree(m, base, live[k]!);
        live[k] = live[live.length - 1]!;
        live.pop();
      } else {
        const size = rnd() < 0.9 ? 1 + Math.floor(rnd() * 2048) : 2049 + Math.floor(rnd() * 20000);
        const off = slabAlloc(m, base, size);
        if (off !== 0) live.push(off);
      }
    }
    // The checker counts every block in use as a record; there are none, so it reports only that.
    const problems = checkZone(z).filter((p) => !/slab blocks in use for 0 records/.test(p));
    expect(problems).toEqual([]);
    for (const off of live) slabFree(m, base, off);
    expect(checkZone(z)).toEqual([]);
    expect(z.stats().pagesFree).toBe(z.stats().pagesTotal);
  });
});

describe("nginx's power-of-two size classes (sizeClasses: 'pow2')", () => {
  it('cuts pages into 8, 16, 32, ... half a page, and stays sound through random use', () => {
    const raw = ShmZone.create({ sizeBytes: 256 * 1024, shards: 1, sizeClasses: 'pow2' });
    const m = raw.memory;
    const base = m.shardBase(0);
    expect(raw.stats().classes.map((c) => c.sizeBytes)).toEqual([8, 16, 32, 64, 128, 256, 512, 1024, 2048]);
    expect(slabBlockSize(m, base, slabAlloc(m, base, 95))).toBe(128);
    expect(slabBlockSize(m, base, slabAlloc(m, base, 129))).toBe(256);
    // Records in a zone of their own: in a zone, every slab block is a record.
    const z = ShmZone.create({ sizeBytes: 256 * 1024, shards: 1, sizeClasses: 'pow2' });
    for (let i = 0; i < 3000; i++) zoneSet(z, `key${i}`, 'v'.repeat(i % 900));
    for (let i = 0; i < 3000; i += 2) zoneRemove(z, `key${i}`);
    expect(checkZone(z)).toEqual([]);
    expect(z.stats().classes.every((c) => (c.sizeBytes & (c.sizeBytes - 1)) === 0)).toBe(true);
  });

  it('the default fine classes waste less than the power-of-two ones for the same records', () => {
    const used = (sizeClasses: 'pow2' | 'fine') => {
      const z = ShmZone.create({ sizeBytes: 1 << 20, shards: 1, sizeClasses });
      for (let i = 0; i < 2000; i++) zoneSet(z, `user:${String(i).padStart(8, '0')}`, 'x'.repeat(32));
      expect(checkZone(z)).toEqual([]);
      return z.stats().sizeBytes - z.stats().bytesFree;
    };
    expect(used('fine')).toBeLessThan(used('pow2'));
  });
});
