// Frames from a SyncZone.collect (or a snapshot) merged into another node's zone through a
// FrameReader, as a peer connection does with what it receives, without a socket.
import type { RecordTally, SyncZone } from '../../dist/sync/sync-zone.js';
import { FRAME_DATA, FRAME_MALFORMED, FRAME_NEED_MORE, FrameReader } from '../../dist/sync/protocol/index.js';

/** Merges every data frame of `chunks` into `into`; `receiveBufferBytes` bounds a frame. */
export function mergeFrames(chunks: readonly Uint8Array[], into: SyncZone, nowMs: number, tally: RecordTally, receiveBufferBytes: number): void {
  const reader = new FrameReader(receiveBufferBytes);
  for (const chunk of chunks) {
    let at = 0;
    while (at < chunk.length) {
      at += reader.append(chunk, at);
      for (let kind = reader.next(); kind !== FRAME_NEED_MORE; kind = reader.next()) {
        if (kind === FRAME_MALFORMED) throw new Error(`malformed frame: ${reader.failure!.reason}`);
        if (kind === FRAME_DATA) into.merge(reader, nowMs, tally);
      }
    }
  }
}
