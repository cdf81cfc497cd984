// Constants of the zone_sync wire protocol, version 1 (docs/PROTOCOL.md).
// All integers on the wire are unsigned big-endian.

export const PROTOCOL_VERSION = 1;

export const U16_MAX = 0xffff;
export const U32_MAX = 0xffffffff;

// Frame header: the 12-byte "fixed-length header section" NGINX Plus describes, then the zone name.
export const FRAME_LENGTH_OFFSET = 0; // u32, whole frame, header included
export const FRAME_VERSION_OFFSET = 4; // u16
export const FRAME_NAME_LEN_OFFSET = 6; // u16
export const FRAME_MODULE_TAG_OFFSET = 8; // u16
export const FRAME_MODULE_VERSION_OFFSET = 10; // u16
export const FRAME_HEADER_BYTES = 12;
export const FRAME_NAME_OFFSET = FRAME_HEADER_BYTES;

/** module_tag of control frames; the tags of data frames are the zones' (zones/descriptor.ts). */
export const MODULE_TAG_CONTROL = 0;

/** Record format version of keyval and sticky; limit_req's is zones/descriptor.ts moduleVersionOf's. */
export const MODULE_VERSION = 1;
/** module_version written in control frames; a control frame with another is skipped. */
export const CONTROL_MODULE_VERSION = 1;

export const CONTROL_HELLO = 1;
export const CONTROL_SNAPSHOT_BEGIN = 2;
export const CONTROL_SNAPSHOT_END = 3;
export const CONTROL_PING = 4;
export const CONTROL_PONG = 5;

// Record: offsets from the start of the record (its rec_len field).
export const RECORD_LEN_OFFSET = 0; // u32, bytes of the record after this field
export const RECORD_FLAGS_OFFSET = 4; // u8
export const RECORD_RESERVED_OFFSET = 5; // u8, 0
export const RECORD_KEY_LEN_OFFSET = 6; // u16
export const RECORD_ORIGIN_OFFSET = 8; // u32
export const RECORD_STAMP_OFFSET = 12; // u64 HLC stamp
export const RECORD_EXPIRE_AT_OFFSET = 20; // u64 ms since epoch, 0 = never
export const RECORD_KEY_OFFSET = 28;
export const RECORD_LEN_FIELD_BYTES = 4;
/** Fixed part of a record, rec_len field included: 4+1+1+2+4+8+8. */
export const RECORD_HEADER_BYTES = 28;
/** Smallest valid rec_len: the fixed part after the rec_len field. */
export const RECORD_LEN_MIN = RECORD_HEADER_BYTES - RECORD_LEN_FIELD_BYTES;

export const RECORD_FLAG_TOMBSTONE = 0x01;
/** Every flag bit version 1 defines; any other bit set is malformed. */
export const RECORD_FLAGS_KNOWN = RECORD_FLAG_TOMBSTONE;

// Control bodies, after the type byte.
export const CONTROL_TYPE_BYTES = 1;
export const PING_BODY_BYTES = 8;
export const SNAPSHOT_BEGIN_BODY_BYTES = 4;
/** node id u32 + HLC u64 + node name_len u16 + zone count u16, before the strings. */
export const HELLO_FIXED_BODY_BYTES = 16;
/** Per zone in HELLO, besides its name: name_len u16 + module_tag u16 + module_version u16. */
export const HELLO_ZONE_FIXED_BYTES = 6;

/** u64 values other than stamps (expire_at, limit_req last) must be safe JS integers. */
export const SAFE_U64_HIGH_WORD_MAX = 0x1fffff; // 2^53 - 1 = 0x1fffff_ffffffff

function assertLayout(condition: boolean, what: string): void {
  if (!condition) throw new Error(`zone_sync protocol constants disagree: ${what}`);
}

assertLayout(RECORD_KEY_OFFSET === RECORD_HEADER_BYTES, 'key follows the fixed record part');
assertLayout(RECORD_EXPIRE_AT_OFFSET + 8 === RECORD_KEY_OFFSET, 'expire_at is the last fixed field');
assertLayout(RECORD_STAMP_OFFSET + 8 === RECORD_EXPIRE_AT_OFFSET, 'stamp precedes expire_at');
assertLayout(RECORD_ORIGIN_OFFSET + 4 === RECORD_STAMP_OFFSET, 'origin precedes stamp');
assertLayout(FRAME_MODULE_VERSION_OFFSET + 2 === FRAME_HEADER_BYTES, 'module_version ends the header');
assertLayout(Number.MAX_SAFE_INTEGER === SAFE_U64_HIGH_WORD_MAX * 2 ** 32 + U32_MAX, 'safe u64 bound');

// Writer results other than a length or an offset (which are ≥ 0): ordinary
// outcomes, not exceptions.
/** The frame or record does not fit in what is left of the buffer: start a new buffer. */
export const DOES_NOT_FIT = -1;
/** The record would not fit even in an empty buffer: log it, count it, skip it. */
export const NEVER_FITS = -2;
