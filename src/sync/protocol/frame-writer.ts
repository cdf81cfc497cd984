// Fills one preallocated buffer with frames: data frames of records, and
// control frames. No frame is longer than `maxFrameBytes` (one of a zone's
// `zone_sync_buffers`), however large the buffer: a round packs its frames into
// one buffer of `number` × `size` bytes. Nothing here grows or allocates per
// record; "does not fit" is a return value.
//
// Data frame life cycle:
//
//   idle ──beginDataFrame()──▶ open ──beginRecord()*──▶ open ──finishDataFrame()──▶ idle
//
// Control frames are written whole, only while idle. `used` bytes from 0 are
// ready for the socket once every data frame is finished.

import {
  DOES_NOT_FIT,
  FRAME_HEADER_BYTES,
  NEVER_FITS,
  RECORD_HEADER_BYTES,
  U16_MAX,
  U32_MAX,
} from './constants.js';
import { writeHello, writePing, writePong, writeSnapshotBegin, writeSnapshotEnd } from './control.js';
import type { HelloZone } from './control.js';
import { patchFrameLength } from './frame-header.js';
import type { ZoneFrameHeader } from './frame-header.js';
import { recordWireBytes, writeRecordHeader } from './record-codec.js';
import { wireBuffer } from './wire-buffer.js';
import type { WireBuffer } from './wire-buffer.js';

const NO_FRAME = -1;

export class FrameWriter {
  readonly buffer: WireBuffer;
  /** Bytes written from offset 0, frames open or finished. */
  used = 0;
  /** Offset of the open data frame, or NO_FRAME. */
  private frameOffset = NO_FRAME;
  /** Records in the open data frame. */
  recordCount = 0;
  /** Longest frame this writer makes (a frame of it always fits a peer's receive buffer). */
  readonly maxFrameBytes: number;
  /** Room for records in the open data frame, were it empty; set by beginDataFrame. */
  private frameRoom = 0;
  /** Where the open data frame must end: its start + maxFrameBytes, or the buffer's end. */
  private frameLimit = 0;

  constructor(bytes: Uint8Array, maxFrameBytes: number = bytes.length) {
    if (bytes.length < FRAME_HEADER_BYTES || bytes.length > U32_MAX) {
      throw new RangeError(`buffer size must be ${FRAME_HEADER_BYTES}..${U32_MAX} bytes, got ${bytes.length}`);
    }
    if (!(Number.isInteger(maxFrameBytes) && maxFrameBytes >= FRAME_HEADER_BYTES && maxFrameBytes <= bytes.length)) {
      throw new RangeError(`frame size limit must be ${FRAME_HEADER_BYTES}..${bytes.length} bytes, got ${maxFrameBytes}`);
    }
    this.buffer = wireBuffer(bytes);
    this.maxFrameBytes = maxFrameBytes;
  }

  get capacity(): number {
    return this.buffer.bytes.length;
  }

  get frameOpen(): boolean {
    return this.frameOffset !== NO_FRAME;
  }

  /** Forgets everything written; the buffer is reused from offset 0. */
  reset(): void {
    this.used = 0;
    this.frameOffset = NO_FRAME;
    this.recordCount = 0;
  }

  /** The finished frames, ready for the socket. A view: valid until reset(). */
  written(): Uint8Array {
    this.assertIdle('written');
    return this.buffer.bytes.subarray(0, this.used);
  }

  /** Opens a data frame for the zone; false when even its header does not fit. */
  beginDataFrame(zone: ZoneFrameHeader): boolean {
    this.assertIdle('beginDataFrame');
    const header = zone.dataHeader;
    if (this.used + header.length > this.capacity || header.length > this.maxFrameBytes) return false;
    this.buffer.bytes.set(header, this.used);
    this.frameOffset = this.used;
    this.frameRoom = this.maxFrameBytes - header.length;
    this.frameLimit = Math.min(this.capacity, this.used + this.maxFrameBytes);
    this.used += header.length;
    this.recordCount = 0;
    return true;
  }

  /**
   * Reserves a record in the open data frame and writes its fixed 28 bytes.
   * Returns the offset of the key: the caller writes keyLength key bytes
   * there and payloadLength payload bytes right after, into buffer.bytes.
   * Returns DOES_NOT_FIT when the rest of this frame or buffer is too small
   * (finish the frame; retry in a new one, or in an empty buffer), NEVER_FITS
   * when the record is larger than an empty frame of this zone or its key
   * longer than 65535 bytes (log the zone and key length, count, skip).
   */
  beginRecord(
    flags: number,
    keyLength: number,
    payloadLength: number,
    origin: number,
    stampMs: number,
    stampLogical: number,
    expireAtMs: number,
  ): number {
    if (this.frameOffset === NO_FRAME) throw new Error('beginRecord without an open data frame');
    const recordBytes = recordWireBytes(keyLength, payloadLength);
    if (keyLength > U16_MAX || recordBytes > this.frameRoom) return NEVER_FITS;
    if (this.used + recordBytes > this.frameLimit) return DOES_NOT_FIT;
    const recordOffset = this.used;
    writeRecordHeader(this.buffer.view, recordOffset, flags, keyLength, payloadLength, origin, stampMs, stampLogical, expireAtMs);
    this.used = recordOffset + recordBytes;
    this.recordCount += 1;
    return recordOffset + RECORD_HEADER_BYTES;
  }

  /** Patches the frame's length; returns it. A frame with no record is legal but pointless. */
  finishDataFrame(): number {
    if (this.frameOffset === NO_FRAME) throw new Error('finishDataFrame without an open data frame');
    const frameLength = this.used - this.frameOffset;
    patchFrameLength(this.buffer.view, this.frameOffset, frameLength);
    this.frameOffset = NO_FRAME;
    return frameLength;
  }

  /** Drops the open data frame and its records, as if never begun. */
  abandonDataFrame(): void {
    if (this.frameOffset === NO_FRAME) return;
    this.used = this.frameOffset;
    this.frameOffset = NO_FRAME;
    this.recordCount = 0;
  }

  writeHello(nodeId: number, stampMs: number, stampLogical: number, nodeName: string, zones: readonly HelloZone[]): number {
    this.assertIdle('writeHello');
    return this.advance(writeHello(this.buffer, this.used, nodeId, stampMs, stampLogical, nodeName, zones));
  }

  writeSnapshotBegin(zone: ZoneFrameHeader, recordCount: number): number {
    this.assertIdle('writeSnapshotBegin');
    return this.advance(writeSnapshotBegin(this.buffer, this.used, zone, recordCount));
  }

  writeSnapshotEnd(zone: ZoneFrameHeader): number {
    this.assertIdle('writeSnapshotEnd');
    return this.advance(writeSnapshotEnd(this.buffer, this.used, zone));
  }

  writePing(stampMs: number, stampLogical: number): number {
    this.assertIdle('writePing');
    return this.advance(writePing(this.buffer, this.used, stampMs, stampLogical));
  }

  writePong(stampMs: number, stampLogical: number): number {
    this.assertIdle('writePong');
    return this.advance(writePong(this.buffer, this.used, stampMs, stampLogical));
  }

  private advance(frameLength: number): number {
    if (frameLength >= 0) this.used += frameLength;
    return frameLength;
  }

  private assertIdle(operation: string): void {
    if (this.frameOffset !== NO_FRAME) throw new Error(`${operation} while a data frame is open`);
  }
}
