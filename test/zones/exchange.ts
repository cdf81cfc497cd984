// Moves records between zones of different nodes the way the sync thread does, without sockets:
// pop each zone's output queue and merge every record into the peers' zones with WireApplier.
import { checkZone } from 'native-free-shm';
import { WireApplier, wireKeyLength, type WireRecord } from '../../dist/zones/index.js';

interface AnyZone {
  shm: import('native-free-shm').ShmZone;
  handle: { descriptor: import('../../dist/zones/index.js').ZoneDescriptor };
  clock: { observe(ms: number, logical: number): boolean };
}

/** Sends every pending change of `from` to each zone of `to`. Returns the records sent. */
export function exchange(from: AnyZone, to: AnyZone[]): number {
  const shm = from.shm;
  const appliers = to.map((z) => new WireApplier(z.shm, z.handle.descriptor));
  const batch: Array<WireRecord & { bytes: Uint8Array }> = [];
  for (let s = 0; s < shm.shardCount; s++) {
    shm.lock(s);
    try {
      for (let rec = shm.popOutputLocked(s); rec !== 0; rec = shm.popOutputLocked(s)) {
        const keyLength = wireKeyLength(shm, from.handle.descriptor, rec);
        const bytes = shm.memory.u8.slice(shm.keyOffset(rec), shm.keyOffset(rec) + keyLength);
        const payload = shm.memory.u8.slice(shm.valueOffset(rec), shm.valueOffset(rec) + shm.valueLen(rec));
        const joined = new Uint8Array(bytes.length + payload.length);
        joined.set(bytes);
        joined.set(payload, bytes.length);
        batch.push({
          bytes: joined, keyOffset: 0, keyLength, payloadOffset: keyLength, payloadLength: payload.length,
          origin: shm.origin(rec), stampMs: shm.stampMs(rec), stampLogical: shm.logical(rec),
          expireAtMs: shm.expireAtMs(rec), tombstone: shm.isTombstone(rec),
        });
      }
    } finally {
      shm.unlock(s);
    }
  }
  for (const r of batch) {
    to.forEach((z, i) => {
      z.clock.observe(r.stampMs, r.stampLogical);
      appliers[i]!.apply(r.bytes, r);
    });
  }
  return batch.length;
}

export function expectSound(zone: AnyZone): string[] {
  return checkZone(zone.shm);
}
