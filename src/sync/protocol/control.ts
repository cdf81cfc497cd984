// Control messages (module_tag 0; docs/PROTOCOL.md "Control messages"): writers
// that fill a caller's buffer, and a decoder into small objects (control
// messages are rare, so they may allocate).

import { readStampLogical, readStampMs, writeStamp } from '../../clock.js';
import {
  CONTROL_HELLO,
  CONTROL_MODULE_VERSION,
  CONTROL_PING,
  CONTROL_PONG,
  CONTROL_SNAPSHOT_BEGIN,
  CONTROL_SNAPSHOT_END,
  CONTROL_TYPE_BYTES,
  DOES_NOT_FIT,
  FRAME_HEADER_BYTES,
  HELLO_FIXED_BODY_BYTES,
  HELLO_ZONE_FIXED_BYTES,
  MODULE_TAG_CONTROL,
  PING_BODY_BYTES,
  SNAPSHOT_BEGIN_BODY_BYTES,
  U16_MAX,
} from './constants.js';
import { assertU16, assertU32, writeFixedHeader } from './frame-header.js';
import type { ZoneFrameHeader } from './frame-header.js';
import { malformed } from './malformed.js';
import type { Malformed, MalformedReason } from './malformed.js';
import { decodeUtf8Strict, utf8ByteLength, writeUtf8 } from './utf8.js';
import type { WireBuffer } from './wire-buffer.js';

export interface HelloZone {
  readonly name: string;
  readonly moduleTag: number;
  readonly moduleVersion: number;
}

export interface Hello {
  readonly type: typeof CONTROL_HELLO;
  readonly nodeId: number;
  readonly stampMs: number;
  readonly stampLogical: number;
  /** e.g. "host:port" */
  readonly nodeName: string;
  readonly zones: readonly HelloZone[];
}

export interface SnapshotBegin {
  readonly type: typeof CONTROL_SNAPSHOT_BEGIN;
  readonly zoneName: string;
  readonly recordCount: number;
}

export interface SnapshotEnd {
  readonly type: typeof CONTROL_SNAPSHOT_END;
  readonly zoneName: string;
}

/** PING carries the sender's HLC now; PONG echoes the PING's u64. */
export interface PingOrPong {
  readonly type: typeof CONTROL_PING | typeof CONTROL_PONG;
  readonly stampMs: number;
  readonly stampLogical: number;
}

export type ControlMessage = Hello | SnapshotBegin | SnapshotEnd | PingOrPong;

export type ControlDecoded =
  | { readonly kind: 'message'; readonly message: ControlMessage }
  /** A type or module version this node does not know: skip and count. */
  | { readonly kind: 'unknown'; readonly controlType: number; readonly moduleVersion: number }
  | { readonly kind: 'malformed'; readonly malformed: Malformed };

// ---- writers: each returns the frame's length, or DOES_NOT_FIT ----

/** Frame length of a control message with a body of bodyBytes after the type byte. */
function controlFrameLength(nameLength: number, bodyBytes: number): number {
  return FRAME_HEADER_BYTES + nameLength + CONTROL_TYPE_BYTES + bodyBytes;
}

/** Writes header, zone name and type byte; returns the body's offset. */
function writeControlPrefix(
  buffer: WireBuffer,
  offset: number,
  frameLength: number,
  nameBytes: Uint8Array | null,
  type: number,
): number {
  const nameLength = nameBytes === null ? 0 : nameBytes.length;
  writeFixedHeader(buffer.view, offset, frameLength, nameLength, MODULE_TAG_CONTROL, CONTROL_MODULE_VERSION);
  if (nameBytes !== null) buffer.bytes.set(nameBytes, offset + FRAME_HEADER_BYTES);
  const typeOffset = offset + FRAME_HEADER_BYTES + nameLength;
  buffer.view.setUint8(typeOffset, type);
  return typeOffset + CONTROL_TYPE_BYTES;
}

function fits(buffer: WireBuffer, offset: number, frameLength: number): boolean {
  return offset >= 0 && offset + frameLength <= buffer.bytes.length;
}

export function helloFrameLength(nodeName: string, zones: readonly HelloZone[]): number {
  let bodyBytes = HELLO_FIXED_BODY_BYTES + utf8ByteLength(nodeName);
  for (const zone of zones) bodyBytes += HELLO_ZONE_FIXED_BYTES + utf8ByteLength(zone.name);
  return controlFrameLength(0, bodyBytes);
}

export function writeHello(
  buffer: WireBuffer,
  offset: number,
  nodeId: number,
  stampMs: number,
  stampLogical: number,
  nodeName: string,
  zones: readonly HelloZone[],
): number {
  assertU32(nodeId, 'node id');
  assertU16(zones.length, 'zone count');
  const frameLength = helloFrameLength(nodeName, zones);
  if (!fits(buffer, offset, frameLength)) return DOES_NOT_FIT;
  const { view } = buffer;
  let at = writeControlPrefix(buffer, offset, frameLength, null, CONTROL_HELLO);
  view.setUint32(at, nodeId);
  writeStamp(view, at + 4, stampMs, stampLogical);
  at = writeShortString(buffer, at + 12, nodeName);
  view.setUint16(at, zones.length);
  at += 2;
  for (const zone of zones) {
    at = writeShortString(buffer, at, zone.name);
    assertU16(zone.moduleTag, 'module_tag');
    assertU16(zone.moduleVersion, 'module_version');
    view.setUint16(at, zone.moduleTag);
    view.setUint16(at + 2, zone.moduleVersion);
    at += 4;
  }
  if (at !== offset + frameLength) throw new Error(`HELLO length mismatch: ${at - offset} != ${frameLength}`);
  return frameLength;
}

/** name_len u16 + UTF-8 bytes; returns the offset after them. */
function writeShortString(buffer: WireBuffer, offset: number, text: string): number {
  const byteLength = utf8ByteLength(text);
  if (byteLength > U16_MAX) throw new RangeError(`string longer than ${U16_MAX} bytes`);
  buffer.view.setUint16(offset, byteLength);
  writeUtf8(buffer.bytes, offset + 2, text, byteLength);
  return offset + 2 + byteLength;
}

export function snapshotBeginFrameLength(zone: ZoneFrameHeader): number {
  return controlFrameLength(zone.nameBytes.length, SNAPSHOT_BEGIN_BODY_BYTES);
}

export function writeSnapshotBegin(buffer: WireBuffer, offset: number, zone: ZoneFrameHeader, recordCount: number): number {
  assertU32(recordCount, 'snapshot record count');
  const frameLength = snapshotBeginFrameLength(zone);
  if (!fits(buffer, offset, frameLength)) return DOES_NOT_FIT;
  const bodyOffset = writeControlPrefix(buffer, offset, frameLength, zone.nameBytes, CONTROL_SNAPSHOT_BEGIN);
  buffer.view.setUint32(bodyOffset, recordCount);
  return frameLength;
}

export function snapshotEndFrameLength(zone: ZoneFrameHeader): number {
  return controlFrameLength(zone.nameBytes.length, 0);
}

export function writeSnapshotEnd(buffer: WireBuffer, offset: number, zone: ZoneFrameHeader): number {
  const frameLength = snapshotEndFrameLength(zone);
  if (!fits(buffer, offset, frameLength)) return DOES_NOT_FIT;
  writeControlPrefix(buffer, offset, frameLength, zone.nameBytes, CONTROL_SNAPSHOT_END);
  return frameLength;
}

/** PING and PONG frames are this long: 12 + 1 + 8. */
export const PING_FRAME_BYTES = controlFrameLength(0, PING_BODY_BYTES);

export function writePing(buffer: WireBuffer, offset: number, stampMs: number, stampLogical: number): number {
  return writeStampMessage(buffer, offset, CONTROL_PING, stampMs, stampLogical);
}

/** Echoes the PING's stamp. */
export function writePong(buffer: WireBuffer, offset: number, stampMs: number, stampLogical: number): number {
  return writeStampMessage(buffer, offset, CONTROL_PONG, stampMs, stampLogical);
}

function writeStampMessage(buffer: WireBuffer, offset: number, type: number, stampMs: number, stampLogical: number): number {
  if (!fits(buffer, offset, PING_FRAME_BYTES)) return DOES_NOT_FIT;
  const bodyOffset = writeControlPrefix(buffer, offset, PING_FRAME_BYTES, null, type);
  writeStamp(buffer.view, bodyOffset, stampMs, stampLogical);
  return PING_FRAME_BYTES;
}

// ---- decoder ----

/** Where a control frame's parts lie in the receive buffer. */
export interface ControlFrameParts {
  readonly moduleVersion: number;
  readonly nameOffset: number;
  readonly nameLength: number;
  /** First byte after the zone name: the type byte. */
  readonly bodyOffset: number;
  /** One past the frame's last byte. */
  readonly bodyEnd: number;
}

class MalformedControl extends Error {
  constructor(readonly reason: MalformedReason, detail: string) {
    super(detail);
  }
}

/** Bounds-checked sequential reads over a control body; throws MalformedControl. */
class BodyCursor {
  constructor(
    private readonly buffer: WireBuffer,
    public offset: number,
    private readonly end: number,
    private readonly what: string,
  ) {}

  private take(byteCount: number): number {
    const at = this.offset;
    if (this.end - at < byteCount) {
      throw new MalformedControl('control-body-truncated', `${this.what}: needs ${byteCount} more bytes, has ${this.end - at}`);
    }
    this.offset = at + byteCount;
    return at;
  }

  u16(): number {
    return this.buffer.view.getUint16(this.take(2));
  }

  u32(): number {
    return this.buffer.view.getUint32(this.take(4));
  }

  /** Skips the 8 bytes of a u64 stamp; returns where they start. */
  stampAt(): number {
    return this.take(8);
  }

  shortString(): string {
    const byteLength = this.u16();
    const at = this.take(byteLength);
    const text = decodeUtf8Strict(this.buffer.bytes, at, byteLength);
    if (text === null) throw new MalformedControl('invalid-utf8', `${this.what}: a name is not UTF-8`);
    return text;
  }

  expectEnd(): void {
    if (this.offset !== this.end) {
      throw new MalformedControl('control-body-trailing-bytes', `${this.what}: ${this.end - this.offset} bytes after the body`);
    }
  }
}

function isKnownControlType(type: number): boolean {
  return type >= CONTROL_HELLO && type <= CONTROL_PONG;
}

function controlNeedsZone(type: number): boolean {
  return type === CONTROL_SNAPSHOT_BEGIN || type === CONTROL_SNAPSHOT_END;
}

export function decodeControl(buffer: WireBuffer, parts: ControlFrameParts): ControlDecoded {
  if (parts.moduleVersion !== CONTROL_MODULE_VERSION) {
    const controlType = parts.bodyOffset < parts.bodyEnd ? buffer.view.getUint8(parts.bodyOffset) : -1;
    return { kind: 'unknown', controlType, moduleVersion: parts.moduleVersion };
  }
  if (parts.bodyOffset >= parts.bodyEnd) return malformedResult('control-type-missing', 'control frame without a type byte');
  const type = buffer.view.getUint8(parts.bodyOffset);
  if (!isKnownControlType(type)) return { kind: 'unknown', controlType: type, moduleVersion: parts.moduleVersion };
  if (controlNeedsZone(type) && parts.nameLength === 0) {
    return malformedResult('control-zone-name-missing', `control type ${type} names no zone`);
  }
  if (!controlNeedsZone(type) && parts.nameLength !== 0) {
    return malformedResult('control-zone-name-unexpected', `control type ${type} names a zone`);
  }
  try {
    return { kind: 'message', message: decodeControlBody(buffer, parts, type) };
  } catch (error) {
    if (error instanceof MalformedControl) return malformedResult(error.reason, error.message);
    throw error;
  }
}

function malformedResult(reason: MalformedReason, detail: string): ControlDecoded {
  return { kind: 'malformed', malformed: malformed(reason, detail) };
}

function decodeControlBody(buffer: WireBuffer, parts: ControlFrameParts, type: number): ControlMessage {
  const body = new BodyCursor(buffer, parts.bodyOffset + CONTROL_TYPE_BYTES, parts.bodyEnd, `control type ${type}`);
  let message: ControlMessage;
  if (type === CONTROL_HELLO) message = decodeHelloBody(buffer, body);
  else if (type === CONTROL_PING || type === CONTROL_PONG) message = decodeStampBody(buffer, body, type);
  else message = decodeSnapshotBody(buffer, parts, body, type);
  body.expectEnd();
  return message;
}

function decodeHelloBody(buffer: WireBuffer, body: BodyCursor): Hello {
  const nodeId = body.u32();
  const stampAt = body.stampAt();
  const nodeName = body.shortString();
  const zoneCount = body.u16();
  const zones: HelloZone[] = [];
  for (let i = 0; i < zoneCount; i++) {
    const name = body.shortString();
    const moduleTag = body.u16();
    const moduleVersion = body.u16();
    zones.push({ name, moduleTag, moduleVersion });
  }
  return {
    type: CONTROL_HELLO,
    nodeId,
    stampMs: readStampMs(buffer.view, stampAt),
    stampLogical: readStampLogical(buffer.view, stampAt),
    nodeName,
    zones,
  };
}

function decodeStampBody(buffer: WireBuffer, body: BodyCursor, type: typeof CONTROL_PING | typeof CONTROL_PONG): PingOrPong {
  const stampAt = body.stampAt();
  return { type, stampMs: readStampMs(buffer.view, stampAt), stampLogical: readStampLogical(buffer.view, stampAt) };
}

function decodeSnapshotBody(buffer: WireBuffer, parts: ControlFrameParts, body: BodyCursor, type: number): ControlMessage {
  const zoneName = decodeUtf8Strict(buffer.bytes, parts.nameOffset, parts.nameLength);
  if (zoneName === null) throw new MalformedControl('invalid-utf8', 'zone name is not UTF-8');
  if (type === CONTROL_SNAPSHOT_END) return { type: CONTROL_SNAPSHOT_END, zoneName };
  return { type: CONTROL_SNAPSHOT_BEGIN, zoneName, recordCount: body.u32() };
}
