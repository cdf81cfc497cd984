// keyval `state=FILE`: a zone's records, with their versions, kept across a
// restart.
//
// The file is one JSON object, written in this layout (one record a line, for `jq` and eyes):
//
//   {"format":"zonesync-keyval-state","version":2,"zone":"NAME","journal":G,"records":[
//   {"key":"k","value":"v","stampMs":1700000000000,"logical":0,"origin":1,"expireAtMs":0,"tombstone":false},
//   ...
//   ],"count":N,"checksum":"<sha256 hex>"}
//
// checksum = sha256 of the records array in compact JSON, each record's fields in the order
// above: exactly `JSON.stringify(records)` of what JSON.parse gives back, so the reader
// recomputes it from the parsed array. Any change to a record (a flipped byte, a field
// reordered by hand, a number spelled differently) breaks either the parse or the checksum;
// line breaks between records are not covered, and do not matter. count and checksum come
// last, so that the writer streams the records and a file cut anywhere is refused.
//
// journal = the generation of the one journal (journal-file.ts, FILE.journal-G) whose changes
// come after these records; journals of older generations hold nothing the records do not
// (state-store.ts). Version 1 files, written before journals, have no `journal` field and
// are read as generation 0.
//
// Writing is atomic: a temp file in the same directory (".NAME.tmp-PID-RANDOM", created
// exclusively), records written in batches, fsync, close, rename over the target, fsync of
// the directory. On any failure the temp file is removed and the old file is untouched. A
// process killed mid-write leaves its temp file behind; the next write does not reuse it,
// and the reader never looks at it.
//
// Reading validates everything (format, version, zone, count, checksum, every field of every
// record, no key twice) before it returns: the result is the whole file or an error, never a
// part of it. A missing file is null: the zone starts empty.

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, fstatSync, renameSync, unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LOGICAL_MAX, STAMP_MS_MAX } from '../../clock.js';
import type { VersionedRecord } from '../zone-base.js';
import { errorCode, fsyncDirectorySync, ignoreErrors, writeAllSync } from './file-io.js';

/**
 * One version of one key, as the zone holds it: key, value, stamp (ms 0..2^48-1, logical
 * 0..65535), origin (u32), expiry (ms since the epoch, 0 = never), tombstone.
 */
export type StateRecord = VersionedRecord;

export const STATE_FILE_FORMAT = 'zonesync-keyval-state';
export const STATE_FILE_VERSION = 2;
/** Versions the reader takes: 1 (no journal generation) and 2. */
const READABLE_VERSIONS = [1, 2];
const GENERATION_MAX = 0xffffffff;
/** Largest file the reader accepts; also far below V8's longest string. */
export const STATE_FILE_MAX_BYTES = 256 * 1024 * 1024;
/** Text gathered before one write() call. */
const WRITE_BATCH_CHARS = 64 * 1024;
const ORIGIN_MAX = 0xffffffff;
const FILE_MODE = 0o600;
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const RECORD_FIELDS = ['key', 'value', 'stampMs', 'logical', 'origin', 'expireAtMs', 'tombstone'] as const;
const HEADER_FIELDS_V1 = ['format', 'version', 'zone', 'records', 'count', 'checksum'] as const;
const HEADER_FIELDS = ['format', 'version', 'zone', 'journal', 'records', 'count', 'checksum'] as const;

/** A state file's content: the records, and the generation of the journal that follows them. */
export interface StateSnapshot {
  records: StateRecord[];
  journalGeneration: number;
}

export type StateFileErrorKind =
  /** The file could not be read, written, renamed or synced. */
  | 'io'
  /** The file ends early: a torn write. */
  | 'torn'
  /** Not this format, bad JSON, count or checksum mismatch, too large. */
  | 'corrupt'
  /** The file belongs to another zone. */
  | 'zone'
  /** A record has a missing or out-of-range field, or repeats a key. */
  | 'record';

export class StateFileError extends Error {
  readonly path: string;
  readonly reason: string;
  readonly kind: StateFileErrorKind;

  constructor(path: string, kind: StateFileErrorKind, reason: string, cause?: unknown) {
    super(`keyval state file "${path}": ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'StateFileError';
    this.path = path;
    this.reason = reason;
    this.kind = kind;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Writes the records to `path` atomically (see the top of this file). */
export async function writeStateFile(path: string, zoneName: string, records: Iterable<StateRecord>, journalGeneration = 0): Promise<void> {
  assertZoneName(zoneName);
  const tempPath = tempPathFor(path);
  let handle: FileHandle;
  try {
    handle = await open(tempPath, 'wx', FILE_MODE);
  } catch (e) {
    throw ioError(path, `cannot create the temporary file "${tempPath}"`, e);
  }
  let isOpen = true;
  try {
    const encoder = new StateEncoder(path, zoneName, journalGeneration);
    for (const record of records) {
      encoder.add(record);
      if (encoder.pendingChars() >= WRITE_BATCH_CHARS) await handle.write(encoder.take());
    }
    await handle.write(encoder.finish());
    await handle.sync();
    isOpen = false;
    await handle.close();
    await rename(tempPath, path);
  } catch (e) {
    if (isOpen) await handle.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw asStateFileError(path, 'cannot write', e);
  }
  await syncDirectory(path);
}

/** writeStateFile for shutdown paths, where the event loop will not turn again. */
export function writeStateFileSync(path: string, zoneName: string, records: Iterable<StateRecord>, journalGeneration = 0): void {
  assertZoneName(zoneName);
  const tempPath = tempPathFor(path);
  let fd: number;
  try {
    fd = openSync(tempPath, 'wx', FILE_MODE);
  } catch (e) {
    throw ioError(path, `cannot create the temporary file "${tempPath}"`, e);
  }
  try {
    const encoder = new StateEncoder(path, zoneName, journalGeneration);
    for (const record of records) {
      encoder.add(record);
      if (encoder.pendingChars() >= WRITE_BATCH_CHARS) writeAllSync(fd, encoder.take());
    }
    writeAllSync(fd, encoder.finish());
    fsyncSync(fd);
    const closing = fd;
    fd = -1;
    closeSync(closing);
    renameSync(tempPath, path);
  } catch (e) {
    if (fd >= 0) ignoreErrors(() => closeSync(fd));
    ignoreErrors(() => unlinkSync(tempPath));
    throw asStateFileError(path, 'cannot write', e);
  }
  syncDirectorySync(path);
}

/** Builds the file text in batches and the checksum as it goes. */
class StateEncoder {
  private readonly path: string;
  private readonly hash = createHash('sha256');
  private pending: string;
  private count = 0;

  constructor(path: string, zoneName: string, journalGeneration: number) {
    this.path = path;
    if (!isIntegerIn(journalGeneration, 0, GENERATION_MAX)) throw new RangeError(`bad journal generation ${journalGeneration}`);
    const header = { format: STATE_FILE_FORMAT, version: STATE_FILE_VERSION, zone: zoneName, journal: journalGeneration };
    // The header object's text without its closing brace, then the records array.
    this.pending = JSON.stringify(header).slice(0, -1) + ',"records":[\n';
    this.hash.update('[');
  }

  add(record: StateRecord): void {
    const problem = recordProblem(record);
    if (problem !== null) throw new StateFileError(this.path, 'record', `record ${this.count} to write: ${problem}`);
    const text = recordText(record);
    if (this.count > 0) {
      this.pending += ',\n';
      this.hash.update(',');
    }
    this.pending += text;
    this.hash.update(text);
    this.count += 1;
  }

  pendingChars(): number {
    return this.pending.length;
  }

  take(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }

  finish(): string {
    this.hash.update(']');
    const checksum = this.hash.digest('hex');
    return this.take() + `\n],"count":${this.count},"checksum":"${checksum}"}\n`;
  }
}

/** A record's text, its fields in the order of RECORD_FIELDS. */
function recordText(r: StateRecord): string {
  return JSON.stringify(recordFields(r));
}

/** Exactly the record's fields, in the order of RECORD_FIELDS (nothing else a caller's object holds). */
function recordFields(r: StateRecord): StateRecord {
  return {
    key: r.key,
    value: r.value,
    stampMs: r.stampMs,
    logical: r.logical,
    origin: r.origin,
    expireAtMs: r.expireAtMs,
    tombstone: r.tombstone,
  };
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** After the rename: makes the new directory entry durable. Windows cannot fsync a directory. */
async function syncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: FileHandle | null = null;
  try {
    handle = await open(dirname(path), 'r');
    await handle.sync();
  } catch (e) {
    throw ioError(path, 'written, but the directory could not be synced', e);
  } finally {
    if (handle !== null) await handle.close().catch(() => undefined);
  }
}

function syncDirectorySync(path: string): void {
  try {
    fsyncDirectorySync(dirname(path));
  } catch (e) {
    throw ioError(path, 'written, but the directory could not be synced', e);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/** The zone's records from `path`; null if there is no file. Throws StateFileError. */
export function readStateFileSync(path: string, zoneName: string): StateRecord[] | null {
  return readStateSnapshotSync(path, zoneName)?.records ?? null;
}

/** The zone's records and journal generation from `path`; null if there is no file. */
export function readStateSnapshotSync(path: string, zoneName: string): StateSnapshot | null {
  assertZoneName(zoneName);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return null;
    throw ioError(path, 'cannot open', e);
  }
  let bytes: Buffer;
  try {
    const { size } = fstatSync(fd);
    assertSize(path, size);
    bytes = Buffer.allocUnsafe(size);
    let offset = 0;
    while (offset < size) {
      const n = readSync(fd, bytes, offset, size - offset, offset);
      if (n === 0) throw new StateFileError(path, 'torn', `shrank while being read (${offset} of ${size} bytes)`);
      offset += n;
    }
  } catch (e) {
    throw asStateFileError(path, 'cannot read', e);
  } finally {
    ignoreErrors(() => closeSync(fd));
  }
  return decodeStateSnapshot(path, zoneName, bytes);
}

/** The whole file's bytes to records, every check done first. Pure; exported for tests. */
export function decodeStateFile(path: string, zoneName: string, bytes: Uint8Array): StateRecord[] {
  return decodeStateSnapshot(path, zoneName, bytes).records;
}

/** decodeStateFile, with the journal generation. */
export function decodeStateSnapshot(path: string, zoneName: string, bytes: Uint8Array): StateSnapshot {
  assertSize(path, bytes.length);
  const text = decodeUtf8(path, bytes);
  const file = parseJson(path, text);
  checkHeader(path, zoneName, file);
  const records = file['records'] as unknown[];
  const checksum = createHash('sha256').update(JSON.stringify(records)).digest('hex');
  if (checksum !== file['checksum']) {
    throw new StateFileError(path, 'corrupt', `checksum mismatch: the file says ${file['checksum']}, the records give ${checksum}`);
  }
  const result: StateRecord[] = [];
  const keys = new Set<string>();
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const problem = recordProblem(record);
    if (problem !== null) throw new StateFileError(path, 'record', `record ${i}: ${problem}`);
    const r = record as StateRecord;
    if (keys.has(r.key)) throw new StateFileError(path, 'record', `record ${i}: key ${JSON.stringify(r.key)} appears twice`);
    keys.add(r.key);
    result.push(recordFields(r));
  }
  return { records: result, journalGeneration: file['version'] === 1 ? 0 : file['journal'] as number };
}

function decodeUtf8(path: string, bytes: Uint8Array): string {
  if (bytes.length === 0) throw new StateFileError(path, 'torn', 'the file is empty (a torn write?)');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (e) {
    throw new StateFileError(path, 'corrupt', 'not valid UTF-8', e);
  }
}

function parseJson(path: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    // The writer ends the file with the checksum's `"}\n`: text that does not was cut short.
    const torn = !text.endsWith('"}\n') && !text.endsWith('"}');
    const reason = torn ? 'truncated (a torn write?)' : 'not valid JSON';
    throw new StateFileError(path, torn ? 'torn' : 'corrupt', `${reason}: ${(e as Error).message}`, e);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StateFileError(path, 'corrupt', 'not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function checkHeader(path: string, zoneName: string, file: Record<string, unknown>): void {
  if (file['format'] !== STATE_FILE_FORMAT) {
    throw new StateFileError(path, 'corrupt', `not a ${STATE_FILE_FORMAT} file (format ${JSON.stringify(file['format'])})`);
  }
  if (!READABLE_VERSIONS.includes(file['version'] as number)) {
    throw new StateFileError(path, 'corrupt', `unsupported version ${JSON.stringify(file['version'])}, expected one of ${READABLE_VERSIONS.join(', ')}`);
  }
  const fields: readonly string[] = file['version'] === 1 ? HEADER_FIELDS_V1 : HEADER_FIELDS;
  for (const field of Object.keys(file)) {
    if (!fields.includes(field)) throw new StateFileError(path, 'corrupt', `unknown field ${JSON.stringify(field)}`);
  }
  if (file['version'] !== 1 && !isIntegerIn(file['journal'], 0, GENERATION_MAX)) {
    throw new StateFileError(path, 'corrupt', `bad journal generation ${JSON.stringify(file['journal'])}`);
  }
  if (typeof file['zone'] !== 'string') throw new StateFileError(path, 'corrupt', 'no zone name');
  if (file['zone'] !== zoneName) {
    throw new StateFileError(path, 'zone', `belongs to zone "${file['zone']}", not to zone "${zoneName}"`);
  }
  const records = file['records'];
  if (!Array.isArray(records)) throw new StateFileError(path, 'corrupt', 'no records array');
  const count = file['count'];
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw new StateFileError(path, 'corrupt', `bad record count ${JSON.stringify(count)}`);
  }
  if (count !== records.length) {
    throw new StateFileError(path, 'corrupt', `count mismatch: the file says ${count}, it holds ${records.length}`);
  }
  const checksum = file['checksum'];
  if (typeof checksum !== 'string' || !HEX_SHA256.test(checksum)) {
    throw new StateFileError(path, 'corrupt', 'bad checksum field (64 lowercase hex digits expected)');
  }
}

// ---------------------------------------------------------------------------------------------
// Checks shared by both sides

/** What is wrong with a record, or null. The writer and the reader apply the same checks. */
export function recordProblem(record: unknown): string | null {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return 'not an object';
  const r = record as Record<string, unknown>;
  if (typeof r['key'] !== 'string') return 'key is not a string';
  if (typeof r['value'] !== 'string') return 'value is not a string';
  if (!isIntegerIn(r['stampMs'], 0, STAMP_MS_MAX)) return `stampMs is not an integer in 0..${STAMP_MS_MAX}`;
  if (!isIntegerIn(r['logical'], 0, LOGICAL_MAX)) return `logical is not an integer in 0..${LOGICAL_MAX}`;
  if (!isIntegerIn(r['origin'], 0, ORIGIN_MAX)) return `origin is not an integer in 0..${ORIGIN_MAX}`;
  if (!isIntegerIn(r['expireAtMs'], 0, Number.MAX_SAFE_INTEGER)) return 'expireAtMs is not an integer >= 0';
  if (typeof r['tombstone'] !== 'boolean') return 'tombstone is not a boolean';
  return null;
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function assertZoneName(zoneName: string): void {
  if (typeof zoneName !== 'string' || zoneName.length === 0) throw new TypeError('a zone name is required');
}

function assertSize(path: string, sizeBytes: number): void {
  if (sizeBytes > STATE_FILE_MAX_BYTES) {
    throw new StateFileError(path, 'corrupt', `${sizeBytes} bytes, larger than the ${STATE_FILE_MAX_BYTES} accepted`);
  }
}

function ioError(path: string, what: string, cause: unknown): StateFileError {
  const code = errorCode(cause);
  const detail = code !== undefined ? code : cause instanceof Error ? cause.message : String(cause);
  return new StateFileError(path, 'io', `${what}: ${detail}`, cause);
}

/** A StateFileError passes through; anything else becomes an 'io' one. */
function asStateFileError(path: string, what: string, cause: unknown): StateFileError {
  return cause instanceof StateFileError ? cause : ioError(path, what, cause);
}


// The record text must list the fields in RECORD_FIELDS order: the checksum depends on it.
const SAMPLE_RECORD: StateRecord = { key: '', value: '', stampMs: 0, logical: 0, origin: 0, expireAtMs: 0, tombstone: false };
if (Object.keys(JSON.parse(recordText(SAMPLE_RECORD)) as object).join() !== RECORD_FIELDS.join()) {
  throw new Error('state-file.ts: recordText field order differs from RECORD_FIELDS');
}
