// Moves records between zones of different nodes by the sync thread's own code, in process,
// without sockets: SyncZone.collect (output queues → frames in round buffers) → FrameReader
// → SyncZone.merge (RecordMerger) into each peer's zone, then the peer's clock observes the
// greatest stamp merged, as the sync thread does after a batch.
import { checkZone } from 'native-free-shm';
import { RecordTally, SyncZone } from '../../dist/sync/sync-zone.js';
import { FRAME_DATA, FRAME_MALFORMED, FRAME_NEED_MORE, FrameReader } from '../../dist/sync/protocol/index.js';
import type { ZoneDescriptor } from '../../dist/zones/index.js';

interface AnyZone {
  shm: import('native-free-shm').ShmZone;
  handle: { descriptor: ZoneDescriptor };
  clock: { observe(ms: number, logical: number): boolean };
  now: () => number;
}

const BUFFERS = 4;
const BUFFER_BYTES = 16 * 1024;
/** One SyncZone per zone, as a sync thread keeps one per synced zone. */
const syncZones = new WeakMap<AnyZone, SyncZone>();
let nextOwnerId = 0x7000_0000;

function syncZoneOf(z: AnyZone): SyncZone {
  let s = syncZones.get(z);
  if (s === undefined) {
    s = new SyncZone(0, z.handle.descriptor, nextOwnerId++, z.now, BUFFERS, BUFFER_BYTES);
    syncZones.set(z, s);
  }
  return s;
}

/** Sends every pending change of `from` to each zone of `to`. Returns the records sent. */
export function exchange(from: AnyZone, to: AnyZone[]): number {
  const source = syncZoneOf(from);
  const targets = to.map(syncZoneOf);
  const sent = new RecordTally();
  const onSkip = (): void => {
    throw new Error('exchange: a record could not be encoded');
  };
  for (let bytes = source.collect(from.now(), sent, onSkip); bytes !== null; bytes = source.collect(from.now(), sent, onSkip)) {
    to.forEach((z, i) => mergeFrames(bytes, targets[i]!, z));
  }
  return sent.recordsOut;
}

function mergeFrames(bytes: Uint8Array, into: SyncZone, z: AnyZone): void {
  const reader = new FrameReader(BUFFER_BYTES);
  const tally = new RecordTally();
  for (let at = 0; at < bytes.length;) {
    at += reader.append(bytes, at);
    for (let kind = reader.next(); kind !== FRAME_NEED_MORE; kind = reader.next()) {
      if (kind === FRAME_MALFORMED) throw new Error(`exchange: malformed frame: ${reader.failure!.reason}`);
      if (kind === FRAME_DATA) into.merge(reader, z.now(), tally);
    }
  }
  if (tally.maxStampMs >= 0) z.clock.observe(tally.maxStampMs, tally.maxStampLogical);
}

export function expectSound(zone: AnyZone): string[] {
  return checkZone(zone.shm);
}
