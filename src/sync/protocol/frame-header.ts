// The frame header: length u32, version u16, name_len u16, module_tag u16,
// module_version u16, then the zone name (docs/PROTOCOL.md "Frame").

import {
  FRAME_HEADER_BYTES,
  FRAME_LENGTH_OFFSET,
  FRAME_MODULE_TAG_OFFSET,
  FRAME_MODULE_VERSION_OFFSET,
  FRAME_NAME_LEN_OFFSET,
  FRAME_NAME_OFFSET,
  FRAME_VERSION_OFFSET,
  PROTOCOL_VERSION,
  U16_MAX,
  U32_MAX,
} from './constants.js';
import { encodeUtf8 } from './utf8.js';

/** What does not change between a zone's frames, encoded once at start. */
export interface ZoneFrameHeader {
  readonly zoneName: string;
  /** The zone name in UTF-8. */
  readonly nameBytes: Uint8Array;
  readonly moduleTag: number;
  readonly moduleVersion: number;
  /** The data frame header with length 0, to be patched by the writer: 12 + name bytes. */
  readonly dataHeader: Uint8Array;
}

export function zoneFrameHeader(zoneName: string, moduleTag: number, moduleVersion: number): ZoneFrameHeader {
  const nameBytes = encodeUtf8(zoneName);
  if (nameBytes.length === 0) throw new RangeError('zone name must not be empty');
  if (nameBytes.length > U16_MAX) throw new RangeError(`zone name longer than ${U16_MAX} bytes`);
  const dataHeader = new Uint8Array(FRAME_HEADER_BYTES + nameBytes.length);
  const view = new DataView(dataHeader.buffer);
  writeFixedHeader(view, 0, 0, nameBytes.length, moduleTag, moduleVersion);
  dataHeader.set(nameBytes, FRAME_NAME_OFFSET);
  return { zoneName, nameBytes, moduleTag, moduleVersion, dataHeader };
}

/** Writes the 12 fixed header bytes at `offset`. */
export function writeFixedHeader(
  view: DataView,
  offset: number,
  frameLength: number,
  nameLength: number,
  moduleTag: number,
  moduleVersion: number,
): void {
  assertU16(nameLength, 'name_len');
  assertU16(moduleTag, 'module_tag');
  assertU16(moduleVersion, 'module_version');
  view.setUint32(offset + FRAME_LENGTH_OFFSET, frameLength);
  view.setUint16(offset + FRAME_VERSION_OFFSET, PROTOCOL_VERSION);
  view.setUint16(offset + FRAME_NAME_LEN_OFFSET, nameLength);
  view.setUint16(offset + FRAME_MODULE_TAG_OFFSET, moduleTag);
  view.setUint16(offset + FRAME_MODULE_VERSION_OFFSET, moduleVersion);
}

/** Sets the length field of the frame that starts at `frameOffset`. */
export function patchFrameLength(view: DataView, frameOffset: number, frameLength: number): void {
  if (!(frameLength >= FRAME_HEADER_BYTES && frameLength <= U32_MAX)) {
    throw new RangeError(`frame length out of range: ${frameLength}`);
  }
  view.setUint32(frameOffset + FRAME_LENGTH_OFFSET, frameLength);
}

export function assertU16(value: number, what: string): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= U16_MAX)) throw new RangeError(`${what} is not a u16: ${value}`);
}

export function assertU32(value: number, what: string): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= U32_MAX)) throw new RangeError(`${what} is not a u32: ${value}`);
}
