// The control frames this node writes (PROTOCOL.md "Control frames"): HELLO with its node
// id, name and synced zones, PING and PONG; HELLO and PING carry a fresh stamp of the
// node's clock. One small writer serves them all: each call returns a copy of its bytes,
// which the peer hands to its transport.

import type { SharedHybridClock } from '../shared-clock.js';
import { FrameWriter, helloFrameLength, type HelloZone } from './protocol/index.js';

export class ControlFrames {
  private readonly writer: FrameWriter;

  constructor(
    private readonly nodeId: number,
    private readonly nodeName: string,
    private readonly zones: readonly HelloZone[],
    private readonly clock: SharedHybridClock,
  ) {
    this.writer = new FrameWriter(new Uint8Array(Math.max(256, helloFrameLength(nodeName, zones))));
  }

  hello(): Uint8Array {
    const w = this.writer;
    w.reset();
    const stamp = this.clock.now();
    w.writeHello(this.nodeId, stamp.ms, stamp.logical, this.nodeName, this.zones);
    return w.written().slice();
  }

  ping(): Uint8Array {
    const w = this.writer;
    w.reset();
    const stamp = this.clock.now();
    w.writePing(stamp.ms, stamp.logical);
    return w.written().slice();
  }

  /** The answer to a PING: its stamp, echoed. */
  pong(stampMs: number, stampLogical: number): Uint8Array {
    const w = this.writer;
    w.reset();
    w.writePong(stampMs, stampLogical);
    return w.written().slice();
  }
}
