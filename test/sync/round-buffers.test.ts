// Round buffers: a round's frames go to the transports from the buffer they were encoded in,
// so a buffer is reused only once every transport given its bytes has released them; frames
// packed into one buffer stay within one zone_sync_buffers size and decode as before.
import { describe, expect, it } from 'vitest';
import { MAX_POOLED_BUFFERS, RoundBufferPool, type ByteHolder } from '../../dist/sync/round-buffers.js';
import { RecordTally, SyncZone } from '../../dist/sync/sync-zone.js';
import { FRAME_DATA, FRAME_NEED_MORE, FrameReader } from '../../dist/sync/protocol/index.js';
import { dumpZone, makeZones } from './helpers.js';
import { zoneSet } from '../../dist-bench/lib/shm-strings.js';

/** A transport stand-in: `released` bytes of the stream are let go of; written counts what it was given. */
class FakeHolder implements ByteHolder {
  bytesOut = 0;
  released = 0;

  write(bytes: number): void {
    this.bytesOut += bytes;
  }

  releaseAll(): void {
    this.released = this.bytesOut;
  }

  releasedBytes(): number {
    return this.released;
  }
}

describe('RoundBufferPool', () => {
  it('does not hand out a buffer a holder still holds, and reuses it once released', () => {
    const pool = new RoundBufferPool(2, 256);
    const holder = new FakeHolder();
    const first = pool.acquire();
    holder.write(100);
    first.heldBy(holder);
    const second = pool.acquire();
    expect(second).not.toBe(first);
    holder.released = 99; // one byte short
    expect(pool.acquire()).not.toBe(first);
    holder.releaseAll();
    expect(pool.acquire()).toBe(first);
  });

  it('a buffer written to no holder is free at once; one held by two waits for both', () => {
    const pool = new RoundBufferPool(1, 256);
    const buffer = pool.acquire();
    expect(pool.acquire()).toBe(buffer);
    const a = new FakeHolder();
    const b = new FakeHolder();
    a.write(10);
    b.write(10);
    buffer.heldBy(a);
    buffer.heldBy(b);
    a.releaseAll();
    expect(pool.acquire()).not.toBe(buffer);
    b.releaseAll();
    expect(pool.acquire()).toBe(buffer);
  });

  it(`keeps at most ${MAX_POOLED_BUFFERS} buffers; beyond, a round gets a one-off buffer`, () => {
    const pool = new RoundBufferPool(1, 128);
    const holder = new FakeHolder();
    const seen = new Set<unknown>();
    for (let i = 0; i < MAX_POOLED_BUFFERS + 3; i++) {
      const buffer = pool.acquire();
      expect(seen.has(buffer)).toBe(false);
      seen.add(buffer);
      holder.write(1);
      buffer.heldBy(holder);
    }
    expect(pool.pooled).toBe(MAX_POOLED_BUFFERS);
    holder.releaseAll();
    expect(seen.has(pool.acquire())).toBe(true);
    expect(pool.pooled).toBe(MAX_POOLED_BUFFERS);
  });

  it('a holder whose transport closed releases everything', () => {
    const pool = new RoundBufferPool(1, 128);
    const buffer = pool.acquire();
    const holder = new FakeHolder();
    holder.write(50);
    buffer.heldBy(holder);
    holder.released = Number.POSITIVE_INFINITY;
    expect(pool.acquire()).toBe(buffer);
  });
});

describe('SyncZone.collect with round buffers', () => {
  const COUNT = 4;
  const SIZE = 1024;

  function setup(records: number) {
    const { zones, descriptors } = makeZones([{ name: 'kv', sizeBytes: 1024 * 1024, shards: 4 }]);
    const source = zones.get('kv')!;
    for (let i = 0; i < records; i++) {
      zoneSet(source, `key-${i}`, `value-${i}`.repeat(1 + (i % 5)), 0, i % 11 === 0, { stampMs: 1_700_000_000_000 + i, origin: 7 });
    }
    const from = new SyncZone(0, descriptors[0]!, 101, Date.now, COUNT, SIZE);
    const target = makeZones([{ name: 'kv', sizeBytes: 1024 * 1024, shards: 4 }]);
    const into = new SyncZone(0, target.descriptors[0]!, 102, Date.now, COUNT, SIZE);
    return { source, from, into, target: target.zones.get('kv')! };
  }

  /** Merges `bytes` into `into` with a receive buffer of one zone_sync_buffers size: every frame must fit it. */
  function mergeBytes(bytes: Uint8Array, into: SyncZone): number {
    const reader = new FrameReader(SIZE);
    const tally = new RecordTally();
    let frames = 0;
    for (let at = 0; at < bytes.length;) {
      at += reader.append(bytes, at);
      for (let kind = reader.next(); kind !== FRAME_NEED_MORE; kind = reader.next()) {
        expect(kind).toBe(FRAME_DATA);
        expect(reader.frameLength).toBeLessThanOrEqual(SIZE);
        into.merge(reader, Date.now(), tally);
        frames++;
      }
    }
    return frames;
  }

  it('bytes held by a peer are not overwritten by the next rounds, and every record arrives', () => {
    const { source, from, into, target } = setup(1000);
    const tally = new RecordTally();
    const holder = new FakeHolder();
    const rounds: Array<{ bytes: Uint8Array; copy: Uint8Array }> = [];
    for (let bytes = from.collect(Date.now(), tally, () => {}); bytes !== null; bytes = from.collect(Date.now(), tally, () => {})) {
      expect(bytes.length).toBeLessThanOrEqual(COUNT * SIZE);
      holder.write(bytes.length);
      from.heldBy(holder); // never released during the loop
      rounds.push({ bytes, copy: new Uint8Array(bytes) }); // a copy, whatever the array type
    }
    expect(rounds.length).toBeGreaterThan(MAX_POOLED_BUFFERS); // the one-off path ran too
    let frames = 0;
    for (const round of rounds) {
      expect(round.bytes).toEqual(round.copy);
      frames += mergeBytes(round.bytes, into);
    }
    expect(tally.recordsOut).toBe(1000);
    expect(tally.framesOut).toBe(frames);
    expect(dumpZone(target)).toEqual(dumpZone(source));
  });

  it('released round buffers are reused: rounds after the first write where the first did', () => {
    const { from } = setup(300);
    const tally = new RecordTally();
    const holder = new FakeHolder();
    const first = from.collect(Date.now(), tally, () => {})!;
    holder.write(first.length);
    from.heldBy(holder);
    holder.releaseAll();
    const second = from.collect(Date.now(), tally, () => {})!;
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset);
  });
});
