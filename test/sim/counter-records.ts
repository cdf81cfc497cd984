// Reads a counter zone's raw records (every node's count of a key, as this node holds them)
// without going through the zone's own reading: what the model of the counter's semantics
// needs to know of a node, namely which resets it has heard of and which counts it holds.
import { ZoneCursor, type ShmZone } from 'native-free-shm';
import { COUNT_BYTES, emptyCount, readCount, type Count } from '../../dist/zones/counter/count-codec.js';
import { ORIGIN_SUFFIX_BYTES } from '../../dist/zones/descriptor.js';
import { compareStamp, type Stamp } from '../../dist/zones/payload-bytes.js';

export interface HeldCount {
  origin: number;
  /** The record's version: the greater one wins when two nodes' copies meet. */
  version: Stamp;
  count: Count;
}

const decoder = new TextDecoder();

/** The live counts of `key` held in `shm` at `nowMs`, one per origin. */
export function heldCounts(shm: ShmZone, key: string, nowMs: number): HeldCount[] {
  const out: HeldCount[] = [];
  const cursor = new ZoneCursor(shm);
  while (!cursor.done) {
    cursor.step(256, (z, _shard, rec) => {
      if (z.isTombstone(rec) || z.valueLen(rec) !== COUNT_BYTES) return;
      const expireAt = z.expireAtMs(rec);
      if (expireAt !== 0 && expireAt <= nowMs) return;
      const at = z.keyOffset(rec);
      if (decoder.decode(z.memory.u8.subarray(at, at + z.keyLen(rec) - ORIGIN_SUFFIX_BYTES)) !== key) return;
      out.push({ origin: z.origin(rec), version: { ms: z.stampMs(rec), logical: z.logical(rec) }, count: readCount(z.memory.u8, z.valueOffset(rec), emptyCount()) });
    });
  }
  return out;
}

/** The latest reset among the counts: the one a node that holds them has heard of. */
export function latestResetOf(counts: readonly HeldCount[]): Stamp {
  let latest: Stamp = { ms: 0, logical: 0 };
  for (const c of counts) if (compareStamp(c.count.resetStamp, latest) > 0) latest = c.count.resetStamp;
  return latest;
}
