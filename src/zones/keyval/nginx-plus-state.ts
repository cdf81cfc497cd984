// Reading a keyval `state=` file that NGINX Plus wrote, so that an operator can move a zone
// from NGINX Plus to zonesync by pointing `state=` at its file: one JSON object of keys to
// string values, as GET /api/N/http/keyvals/ZONE answers:
//
//   {"10.0.0.1":"blocked","example.com":"v2"}
//
// Each pair becomes a version stamped at the load, with this node as its origin and the
// zone's timeout from now as its expiry (none without a timeout). The file is read whole and
// checked before anything is loaded. zonesync writes its own format back (state-file.ts)
// at the journal thread's first compaction, so the file is read this way once.

import { readFileSync } from 'node:fs';
import type { StateRecord } from './state-file.js';
import { STATE_FILE_FORMAT, STATE_FILE_MAX_BYTES, StateFileError } from './state-file.js';

/** What a version loaded from an NGINX Plus file is stamped with. */
export interface NginxPlusLoad {
  readonly nowMs: number;
  /** The zone's timeout in ms; 0: none. */
  readonly timeoutMs: number;
  readonly origin: number;
}

/** zonesync's own files start so (state-file.ts writes the format field first). */
const OWN_FORMAT_START = `{"format":"${STATE_FILE_FORMAT}"`;

/**
 * The records of an NGINX Plus state file at `path`; null when there is no file, or when it
 * is not a JSON object without a "format" field: zonesync's own format, or a damaged file,
 * which readStateFileSync then reads or explains. Throws StateFileError for an NGINX Plus
 * file with a value that is not a string or an empty key.
 */
export function readNginxPlusStateSync(path: string, load: NginxPlusLoad): StateRecord[] | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateFileError(path, 'io', `cannot read: ${(e as Error).message}`, e);
  }
  if (bytes.length > STATE_FILE_MAX_BYTES) throw new StateFileError(path, 'corrupt', `larger than ${STATE_FILE_MAX_BYTES} bytes`);
  const text = bytes.toString('utf8');
  if (text.startsWith(OWN_FORMAT_START)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.hasOwn(parsed, 'format')) return null;
  return nginxPlusRecords(path, parsed as Record<string, unknown>, load);
}

/** The pairs of an NGINX Plus state file, every one checked first. Exported for tests. */
export function nginxPlusRecords(path: string, pairs: Record<string, unknown>, load: NginxPlusLoad): StateRecord[] {
  const expireAtMs = load.timeoutMs > 0 ? load.nowMs + load.timeoutMs : 0;
  const records: StateRecord[] = [];
  for (const [key, value] of Object.entries(pairs)) {
    if (key === '') throw new StateFileError(path, 'record', 'an NGINX Plus state file with an empty key');
    if (typeof value !== 'string') {
      throw new StateFileError(path, 'record', `the value of key ${JSON.stringify(key)} is not a string (an NGINX Plus state file holds strings)`);
    }
    records.push({ key, value, stampMs: load.nowMs, logical: 0, origin: load.origin, expireAtMs, tombstone: false });
  }
  return records;
}
