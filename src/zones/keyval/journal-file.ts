// keyval `state=FILE`: the journal, an append-only file of a zone's changes since its state
// file was written, so that a node killed at any moment restarts with them
// (docs/ARCHITECTURE.md "Persistence"). One per generation, named FILE.journal-GENERATION,
// next to the state file, which names the one generation to replay on top of it.
//
// Layout (little-endian):
//
//   header:  "ZSKVJRNL" | u32 format version (1) | u32 generation | u16 zone name bytes |
//            zone name (UTF-8) | u32 CRC-32C of everything before it
//   entries: u32 body length | u32 CRC-32C of the length's 4 bytes and the body | body
//
// A body is one change, in the layout of src/zones/change-entry.ts (the change ring's).
// Entries are only ever appended, each with one write() of whole entries. Reading stops
// at the first entry that is incomplete (a torn tail: the process died mid-write), fails
// its checksum, or is not a valid change: everything before it is replayed, nothing of it
// or after it. That is never fatal; the reader reports where and why it stopped. A header
// cut short, without the magic or failing its checksum is an empty journal (the process
// died as it created it). A sound header of another zone, or of an unknown format version,
// is an error: the file is not this zone's to replay.

import { emptyWireRecord, readEntry } from '../change-entry.js';
import type { WireRecord } from '../merge.js';
import { crc32c } from './crc32c.js';

export const JOURNAL_MAGIC = 'ZSKVJRNL';
export const JOURNAL_FORMAT_VERSION = 1;
/** Bytes before each body: its length and checksum. */
export const JOURNAL_FRAME_BYTES = 8;
/** Largest body the reader takes: a key of 64 KiB and a value of a zone's largest record, with room. */
export const JOURNAL_MAX_BODY_BYTES = 1 << 30;
const HEADER_FIXED_BYTES = 8 + 4 + 4 + 2;
const MAGIC_BYTES = new TextEncoder().encode(JOURNAL_MAGIC);
const GENERATION_MAX = 0xffffffff;

export class JournalError extends Error {
  readonly path: string;

  constructor(path: string, reason: string) {
    super(`keyval journal "${path}": ${reason}`);
    this.name = 'JournalError';
    this.path = path;
  }
}

/** The header of a new journal of zone `zoneName`, generation `generation`. */
export function journalHeader(zoneName: string, generation: number): Uint8Array {
  if (!(Number.isInteger(generation) && generation >= 0 && generation <= GENERATION_MAX)) throw new RangeError(`bad journal generation ${generation}`);
  const name = new TextEncoder().encode(zoneName);
  if (name.length === 0 || name.length > 0xffff) throw new RangeError('a journal needs a zone name of 1 to 65535 bytes');
  const bytes = new Uint8Array(HEADER_FIXED_BYTES + name.length + 4);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC_BYTES, 0);
  view.setUint32(8, JOURNAL_FORMAT_VERSION, true);
  view.setUint32(12, generation, true);
  view.setUint16(16, name.length, true);
  bytes.set(name, HEADER_FIXED_BYTES);
  view.setUint32(HEADER_FIXED_BYTES + name.length, crc32c(bytes, 0, HEADER_FIXED_BYTES + name.length), true);
  return bytes;
}

/**
 * Frames change bodies into journal entries, in a buffer that grows as needed; take()
 * hands out the bytes framed so far for one write.
 */
export class JournalEncoder {
  private bytes = new Uint8Array(64 * 1024);
  private view = new DataView(this.bytes.buffer);
  private used = 0;

  /** Frames the body of `length` bytes at `offset` of `source`. */
  add(source: Uint8Array, offset: number, length: number): void {
    this.reserve(JOURNAL_FRAME_BYTES + length);
    const at = this.used;
    const bytes = this.bytes;
    this.view.setUint32(at, length, true);
    bytes.set(source.subarray(offset, offset + length), at + JOURNAL_FRAME_BYTES);
    const crc = crc32c(bytes, at + JOURNAL_FRAME_BYTES, at + JOURNAL_FRAME_BYTES + length, crc32c(bytes, at, at + 4));
    this.view.setUint32(at + 4, crc, true);
    this.used = at + JOURNAL_FRAME_BYTES + length;
  }

  get pendingBytes(): number {
    return this.used;
  }

  /** The entries framed since the last take(); valid until the next add(). */
  take(): Uint8Array {
    const out = this.bytes.subarray(0, this.used);
    this.used = 0;
    return out;
  }

  private reserve(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.used + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** Why reading stopped before the file's end. */
export type JournalCutReason = 'torn-header' | 'torn' | 'checksum' | 'invalid';

export interface JournalScan {
  /** The generation its header gives (null when the header is torn). */
  generation: number | null;
  /** Entries handed to the visitor. */
  entries: number;
  /** Bytes up to the end of the last whole entry (the header's end when none). */
  validBytes: number;
  totalBytes: number;
  /** Where and why reading stopped early; null when it read to the end. */
  cut: { offset: number; reason: JournalCutReason; detail: string } | null;
}

/**
 * Reads a journal's bytes: checks the header (zone and, when given, generation), then hands
 * each whole, checksummed, valid entry to `visit` as a WireRecord over `bytes` (valid during
 * the call), in file order. Throws JournalError only for a whole header that is not this
 * zone's journal; everything else ends the scan with a `cut`.
 */
export function scanJournal(
  path: string, zoneName: string, expectedGeneration: number | null, bytes: Uint8Array,
  visit: (bytes: Uint8Array, record: WireRecord) => void,
): JournalScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = bytes.length;
  const header = readHeader(path, zoneName, bytes, view);
  if (header === null) {
    return { generation: null, entries: 0, validBytes: 0, totalBytes: total, cut: total === 0 ? null : { offset: 0, reason: 'torn-header', detail: 'the header is incomplete or fails its checksum' } };
  }
  if (expectedGeneration !== null && header.generation !== expectedGeneration) {
    throw new JournalError(path, `its header says generation ${header.generation}, its name ${expectedGeneration}`);
  }
  const record = emptyWireRecord();
  let at = header.bytes;
  let entries = 0;
  const stop = (reason: JournalCutReason, detail: string): JournalScan => ({
    generation: header.generation, entries, validBytes: at, totalBytes: total, cut: { offset: at, reason, detail },
  });
  while (at < total) {
    if (total - at < JOURNAL_FRAME_BYTES) return stop('torn', `${total - at} bytes of an entry's frame`);
    const length = view.getUint32(at, true);
    if (length > JOURNAL_MAX_BODY_BYTES) return stop('invalid', `body length ${length}`);
    if (total - at - JOURNAL_FRAME_BYTES < length) return stop('torn', `${total - at - JOURNAL_FRAME_BYTES} of ${length} body bytes`);
    const body = at + JOURNAL_FRAME_BYTES;
    const crc = crc32c(bytes, body, body + length, crc32c(bytes, at, at + 4));
    if (crc !== view.getUint32(at + 4, true)) return stop('checksum', 'the entry fails its checksum');
    const problem = readEntry(view, body, length, record);
    if (problem !== null) return stop('invalid', problem);
    visit(bytes, record);
    entries++;
    at = body + length;
  }
  return { generation: header.generation, entries, validBytes: at, totalBytes: total, cut: null };
}

function readHeader(path: string, zoneName: string, bytes: Uint8Array, view: DataView): { generation: number; bytes: number } | null {
  if (bytes.length < HEADER_FIXED_BYTES) return null;
  for (let i = 0; i < MAGIC_BYTES.length; i++) if (bytes[i] !== MAGIC_BYTES[i]) return null;
  const nameLength = view.getUint16(16, true);
  const end = HEADER_FIXED_BYTES + nameLength;
  if (bytes.length < end + 4 || crc32c(bytes, 0, end) !== view.getUint32(end, true)) return null;
  const version = view.getUint32(8, true);
  if (version !== JOURNAL_FORMAT_VERSION) throw new JournalError(path, `unsupported format version ${version}, expected ${JOURNAL_FORMAT_VERSION}`);
  const name = new TextDecoder().decode(bytes.subarray(HEADER_FIXED_BYTES, end));
  if (name !== zoneName) throw new JournalError(path, `belongs to zone "${name}", not to zone "${zoneName}"`);
  return { generation: view.getUint32(12, true), bytes: end + 4 };
}
