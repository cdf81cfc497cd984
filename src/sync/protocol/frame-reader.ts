// Turns a peer's byte stream into frames, inside one fixed receive buffer of
// `zone_sync_recv_buffer_size` bytes that never grows.
//
// Use:
//   let at = 0;
//   while (at < chunk.length) {
//     at += reader.append(chunk, at);
//     for (let kind = reader.next(); kind !== FRAME_NEED_MORE; kind = reader.next()) {
//       if (kind === FRAME_MALFORMED) { log(reader.failure); close(); return; }
//       ...   // FRAME_DATA: reader.records(); FRAME_CONTROL: reader.control
//     }
//   }
//
// Invariants: bytes [start, end) of the buffer are received and not yet
// yielded; a yielded frame's bytes stay put until the next call of next()
// or append(). A frame is never longer than the buffer, so after compaction
// there is always room to complete the frame in progress. Once malformed,
// the reader stays malformed: the connection is to be closed.

import {
  FRAME_HEADER_BYTES,
  FRAME_LENGTH_OFFSET,
  FRAME_MODULE_TAG_OFFSET,
  FRAME_MODULE_VERSION_OFFSET,
  FRAME_NAME_LEN_OFFSET,
  FRAME_VERSION_OFFSET,
  MODULE_TAG_CONTROL,
  PROTOCOL_VERSION,
  RECORD_LEN_FIELD_BYTES,
  RECORD_LEN_OFFSET,
  U32_MAX,
} from './constants.js';
import { moduleVersionOf } from '../../zones/descriptor.js';
import { decodeControl } from './control.js';
import type { ControlMessage } from './control.js';
import { malformed } from './malformed.js';
import type { Malformed } from './malformed.js';
import { hasPayloadLengthRule, payloadLengthValid } from './payloads.js';
import {
  RecordView, checkRecord, checkedRecordFlags, checkedRecordPayloadLength, decodeCheckedRecord, recordErrorReason,
} from './record-codec.js';
import { decodeUtf8 } from './utf8.js';
import { wireBuffer } from './wire-buffer.js';
import type { WireBuffer } from './wire-buffer.js';

/** Results of FrameReader.next(). */
export const FRAME_NEED_MORE = 0;
/** A data frame of a known module tag and version; every record is valid. */
export const FRAME_DATA = 1;
/** A control message, decoded into reader.control. */
export const FRAME_CONTROL = 2;
/** Well formed, but of a module tag, module version or control type this node lacks: skip, count. */
export const FRAME_UNKNOWN = 3;
/** The stream is broken; reader.failure says why. Close the connection. */
export const FRAME_MALFORMED = 4;
export type FrameKind =
  | typeof FRAME_NEED_MORE
  | typeof FRAME_DATA
  | typeof FRAME_CONTROL
  | typeof FRAME_UNKNOWN
  | typeof FRAME_MALFORMED;

/**
 * Iterates the records of a validated data frame; the cursor is itself the record view.
 * The frame was checked whole before it was yielded (FrameReader.validateRecords), so a
 * record is decoded without checking it again; only the bound stays asserted.
 */
export class RecordCursor extends RecordView {
  private view: DataView | null = null;
  private offset = 0;
  private end = 0;

  reset(view: DataView, bodyOffset: number, bodyEnd: number): void {
    this.view = view;
    this.offset = bodyOffset;
    this.end = bodyEnd;
  }

  /** Moves to the next record; false at the end of the frame. */
  next(): boolean {
    const view = this.view;
    const offset = this.offset;
    if (view === null || offset >= this.end) return false;
    const recordEnd = offset + RECORD_LEN_FIELD_BYTES + view.getUint32(offset + RECORD_LEN_OFFSET);
    if (recordEnd > this.end) throw new Error(`record of a validated frame overruns it at ${offset}`);
    decodeCheckedRecord(view, offset, recordEnd, this);
    this.offset = recordEnd;
    return true;
  }
}

export class FrameReader {
  readonly buffer: WireBuffer;
  /** First received byte not yet yielded. */
  private start = 0;
  /** One past the last received byte. */
  private end = 0;

  // The frame last yielded by next(); offsets into buffer.bytes.
  frameOffset = 0;
  frameLength = 0;
  moduleTag = 0;
  moduleVersion = 0;
  nameOffset = 0;
  nameLength = 0;
  bodyOffset = 0;
  bodyEnd = 0;
  /** Records in the last FRAME_DATA frame. */
  recordCount = 0;
  /** The last FRAME_CONTROL message. */
  control: ControlMessage | null = null;
  /** The control type of the last FRAME_UNKNOWN control frame; -1 for a data frame. */
  unknownControlType = -1;
  /** Set once, by the first malformed frame. */
  failure: Malformed | null = null;

  private readonly cursor = new RecordCursor();

  constructor(recvBufferSizeBytes: number) {
    if (!(Number.isInteger(recvBufferSizeBytes) && recvBufferSizeBytes >= FRAME_HEADER_BYTES && recvBufferSizeBytes <= U32_MAX)) {
      throw new RangeError(`receive buffer size must be ${FRAME_HEADER_BYTES}..${U32_MAX} bytes, got ${recvBufferSizeBytes}`);
    }
    this.buffer = wireBuffer(new Uint8Array(recvBufferSizeBytes));
  }

  get capacity(): number {
    return this.buffer.bytes.length;
  }

  /** Received bytes not yet yielded as frames. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  /**
   * Copies as much of chunk[chunkOffset..] as fits; returns the count copied.
   * Call next() until FRAME_NEED_MORE before appending the rest. After a
   * malformed frame the bytes are dropped (and counted as taken).
   */
  append(chunk: Uint8Array, chunkOffset = 0): number {
    const available = chunk.length - chunkOffset;
    if (this.failure !== null) return available;
    if (this.end === this.capacity) this.compact();
    const copyCount = Math.min(available, this.capacity - this.end);
    // The common case, a whole chunk that fits, copies without making a subarray.
    const source = chunkOffset === 0 && copyCount === chunk.length ? chunk : chunk.subarray(chunkOffset, chunkOffset + copyCount);
    this.buffer.bytes.set(source, this.end);
    this.end += copyCount;
    return copyCount;
  }

  /** Yields the next complete frame, if any. */
  next(): FrameKind {
    if (this.failure !== null) return FRAME_MALFORMED;
    const available = this.end - this.start;
    if (available < 4) return this.needMore();
    const view = this.buffer.view;
    const frameLength = view.getUint32(this.start + FRAME_LENGTH_OFFSET);
    if (frameLength < FRAME_HEADER_BYTES) return this.fail(malformed('frame-length-under-header', `length ${frameLength}`));
    if (frameLength > this.capacity) {
      return this.fail(malformed('frame-length-over-receive-buffer', `length ${frameLength} > ${this.capacity}`));
    }
    if (available < FRAME_HEADER_BYTES) return this.needMore();
    const version = view.getUint16(this.start + FRAME_VERSION_OFFSET);
    if (version !== PROTOCOL_VERSION) return this.fail(malformed('unsupported-protocol-version', `version ${version}`));
    const nameLength = view.getUint16(this.start + FRAME_NAME_LEN_OFFSET);
    if (FRAME_HEADER_BYTES + nameLength > frameLength) {
      return this.fail(malformed('zone-name-overruns-frame', `name_len ${nameLength}, length ${frameLength}`));
    }
    if (available < frameLength) return this.needMore();
    this.takeFrame(frameLength, nameLength);
    return this.classify();
  }

  /** The last FRAME_DATA frame's records. The cursor is reused by every call. */
  records(): RecordCursor {
    this.cursor.reset(this.buffer.view, this.bodyOffset, this.bodyEnd);
    return this.cursor;
  }

  /** The last frame's zone name (invalid UTF-8 becomes U+FFFD and so matches no zone). */
  zoneName(): string {
    return decodeUtf8(this.buffer.bytes, this.nameOffset, this.nameLength);
  }

  /** Compares the last frame's zone name with `nameBytes`, without decoding. */
  zoneNameEquals(nameBytes: Uint8Array): boolean {
    if (nameBytes.length !== this.nameLength) return false;
    const bytes = this.buffer.bytes;
    for (let i = 0; i < nameBytes.length; i++) {
      if (bytes[this.nameOffset + i] !== nameBytes[i]) return false;
    }
    return true;
  }

  private takeFrame(frameLength: number, nameLength: number): void {
    const view = this.buffer.view;
    this.frameOffset = this.start;
    this.frameLength = frameLength;
    this.moduleTag = view.getUint16(this.start + FRAME_MODULE_TAG_OFFSET);
    this.moduleVersion = view.getUint16(this.start + FRAME_MODULE_VERSION_OFFSET);
    this.nameOffset = this.start + FRAME_HEADER_BYTES;
    this.nameLength = nameLength;
    this.bodyOffset = this.nameOffset + nameLength;
    this.bodyEnd = this.start + frameLength;
    this.recordCount = 0;
    this.control = null;
    this.unknownControlType = -1;
    this.start += frameLength;
  }

  private classify(): FrameKind {
    if (this.moduleTag === MODULE_TAG_CONTROL) return this.classifyControl();
    if (this.nameLength === 0) return this.fail(malformed('data-frame-without-zone', `module_tag ${this.moduleTag}`));
    if (!isKnownDataSignature(this.moduleTag, this.moduleVersion)) return FRAME_UNKNOWN;
    return this.validateRecords();
  }

  private classifyControl(): FrameKind {
    const decoded = decodeControl(this.buffer, this);
    if (decoded.kind === 'malformed') return this.fail(decoded.malformed);
    if (decoded.kind === 'unknown') {
      this.unknownControlType = decoded.controlType;
      return FRAME_UNKNOWN;
    }
    this.control = decoded.message;
    return FRAME_CONTROL;
  }

  /** One pass over the records, so that a yielded frame decodes in full (RecordCursor trusts it). */
  private validateRecords(): FrameKind {
    const view = this.buffer.view;
    const moduleTag = this.moduleTag;
    const end = this.bodyEnd;
    let offset = this.bodyOffset;
    let recordCount = 0;
    while (offset < end) {
      const nextOffset = checkRecord(view, offset, end);
      if (nextOffset < 0) return this.fail(malformed(recordErrorReason(nextOffset), `record ${recordCount} at body offset ${offset - this.bodyOffset}`));
      if (hasPayloadLengthRule(moduleTag)) {
        const payloadLength = checkedRecordPayloadLength(view, offset, nextOffset);
        if (!payloadLengthValid(moduleTag, checkedRecordFlags(view, offset), payloadLength)) {
          return this.fail(malformed('payload-length', `record ${recordCount}: ${payloadLength} payload bytes for module ${moduleTag}`));
        }
      }
      offset = nextOffset;
      recordCount += 1;
    }
    this.recordCount = recordCount;
    return FRAME_DATA;
  }

  private needMore(): FrameKind {
    this.compact();
    return FRAME_NEED_MORE;
  }

  /** Moves the unyielded bytes to the front of the buffer. */
  private compact(): void {
    if (this.start === 0) return;
    this.buffer.bytes.copyWithin(0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }

  private fail(failure: Malformed): FrameKind {
    this.failure = failure;
    this.start = this.end;
    return FRAME_MALFORMED;
  }
}

function isKnownDataSignature(moduleTag: number, moduleVersion: number): boolean {
  const known = moduleVersionOf(moduleTag);
  return known !== 0 && moduleVersion === known;
}
