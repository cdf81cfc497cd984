// The buffers a zone's rounds are encoded into (zone_sync_buffers: `number` × `size` bytes,
// no frame longer than `size`). A round's frames go to every peer's transport straight from
// the buffer they were encoded in, with no copy; the buffer is reused once every transport
// it was written to has released it (sent it, or closed).
//
//   free ──acquire()──▶ filling ──heldBy(peer)*──▶ held ──every holder released──▶ free
//
// At most MAX_POOLED_BUFFERS are kept per zone, made when first needed; when all of them
// are held (peers behind by that many rounds), a round gets a buffer of its own, dropped
// once sent, as every round did before the pool.

import { FrameWriter } from './protocol/index.js';

/** Rounds' buffers a zone keeps at most. */
export const MAX_POOLED_BUFFERS = 8;

/** A transport's side of the bytes written to it: how far it has let go of them. */
export interface ByteHolder {
  /** Bytes written to it so far, in total: the stream offset where the next write starts. */
  readonly bytesOut: number;
  /** Bytes of its stream, from the start, it no longer holds (sent, or dropped on close). */
  releasedBytes(): number;
}

/** One round buffer, its writer, and who holds what was written from it. */
export class RoundBuffer {
  readonly writer: FrameWriter;
  /** Holders of the last round's bytes, and the stream offset each must release up to. */
  private readonly holders: ByteHolder[] = [];
  private readonly holdEnds: number[] = [];

  constructor(totalBytes: number, maxFrameBytes: number) {
    // A plain Uint8Array, not a Buffer: slice() of what collect returns must copy (a Buffer's is a view).
    this.writer = new FrameWriter(new Uint8Array(totalBytes), maxFrameBytes);
  }

  /** `holder` was just given this buffer's bytes (its bytesOut already counts them). */
  heldBy(holder: ByteHolder): void {
    this.holders.push(holder);
    this.holdEnds.push(holder.bytesOut);
  }

  /** True when no holder still needs the bytes; forgets the holders then. */
  released(): boolean {
    const holders = this.holders;
    for (let i = 0; i < holders.length; i++) {
      if (holders[i]!.releasedBytes() < this.holdEnds[i]!) return false;
    }
    holders.length = 0;
    this.holdEnds.length = 0;
    return true;
  }
}

export class RoundBufferPool {
  private readonly buffers: RoundBuffer[] = [];
  private readonly totalBytes: number;
  private readonly maxFrameBytes: number;

  constructor(count: number, sizeBytes: number) {
    this.totalBytes = count * sizeBytes;
    this.maxFrameBytes = sizeBytes;
  }

  /** Buffers kept, held or free. */
  get pooled(): number {
    return this.buffers.length;
  }

  /** A buffer no transport holds, its writer reset: a kept one, a new kept one, or a one-off. */
  acquire(): RoundBuffer {
    let buffer: RoundBuffer | undefined;
    for (const candidate of this.buffers) {
      if (candidate.released()) {
        buffer = candidate;
        break;
      }
    }
    if (buffer === undefined) {
      buffer = new RoundBuffer(this.totalBytes, this.maxFrameBytes);
      if (this.buffers.length < MAX_POOLED_BUFFERS) this.buffers.push(buffer);
    }
    buffer.writer.reset();
    return buffer;
  }
}
