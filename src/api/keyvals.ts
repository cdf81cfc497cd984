// The keyval endpoints' operations on zones, NGINX Plus semantics (API version 9):
//   GET    /{module}/keyvals/            every zone: {"zone": {"key": "value"}}
//   GET    /{module}/keyvals/{zone}      one zone, or one key with ?key=
//   POST   /{module}/keyvals/{zone}      add keys: 201; 409 KeyvalKeyExists if one exists;
//                                        several keys only into an empty zone, as NGINX Plus
//   PATCH  /{module}/keyvals/{zone}      change one key's value or expire, null deletes it:
//                                        204; 404 KeyvalKeyNotFound if it is absent; a body
//                                        of several keys is 400, as NGINX Plus
//   DELETE /{module}/keyvals/{zone}      empty the zone: 204
// Every key of a body is checked before any is written; a POST that runs out of room part
// way removes the keys it added. Deletes are tombstones that reach the cluster when the
// zone syncs (zonesync goes beyond NGINX Plus here, which deletes on one node only).

import { ZoneFullError, type KeyvalZone } from '../zones/index.js';
import { ApiError, ErrorCode, formatError } from './errors.js';
import type { KeyvalWrite } from './keyval-body.js';

export type KeyvalModule = 'http' | 'stream';

/** The keyval zones the API serves, by name, under /http/keyvals/ and /stream/keyvals/. */
export interface KeyvalZones {
  readonly http: ReadonlyMap<string, KeyvalZone>;
  readonly stream: ReadonlyMap<string, KeyvalZone>;
}

/** Keys and values; a null prototype, so that a key named "__proto__" is an ordinary key. */
export type KeyvalObject = Record<string, string>;

export function findZone(zones: KeyvalZones, module: KeyvalModule, name: string): KeyvalZone {
  const zone = zones[module].get(name);
  if (zone === undefined) throw new ApiError(404, ErrorCode.KeyvalNotFound, `keyval "${name}" not found`);
  return zone;
}

export function zoneObject(zone: KeyvalZone): KeyvalObject {
  const out: KeyvalObject = Object.create(null) as KeyvalObject;
  for (const entry of zone.entries()) out[entry.key] = entry.value;
  return out;
}

/** GET ?key=: the one key, under its stored name (type=ip keys in canonical form). */
export function keyObject(zone: KeyvalZone, key: string): KeyvalObject {
  let stored: string | null = null;
  let value: string | undefined;
  try {
    stored = zone.storedKey(key);
    value = zone.get(key);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
  if (stored === null || value === undefined) throw keyNotFound(key);
  const out: KeyvalObject = Object.create(null) as KeyvalObject;
  out[stored] = value;
  return out;
}

export function postKeys(zone: KeyvalZone, writes: readonly KeyvalWrite[]): void {
  if (writes.length > 1 && !isEmpty(zone)) throw formatError('only one key can be added to a zone that is not empty');
  for (const w of writes) {
    checkExpire(zone, w);
    if (zoneCall(() => zone.get(zone.storedKey(w.key))) !== undefined) {
      throw new ApiError(409, ErrorCode.KeyvalKeyExists, `key "${w.key}" already exists`);
    }
  }
  const added: string[] = [];
  try {
    for (const w of writes) {
      zoneCall(() => zone.set(w.key, w.value as string, expireOption(w)));
      added.push(w.key);
    }
  } catch (e) {
    for (const key of added) zone.delete(key);
    throw e;
  }
}

/** As NGINX Plus: one key per PATCH; a body of several is refused whole. */
export function patchKey(zone: KeyvalZone, writes: readonly KeyvalWrite[]): void {
  if (writes.length > 1) throw formatError('only one key can be updated');
  const w = writes[0]!;
  checkExpire(zone, w);
  const current = zoneCall(() => zone.get(zone.storedKey(w.key)));
  if (current === undefined) throw keyNotFound(w.key);
  if (w.value === null) zoneCall(() => zone.delete(w.key));
  else zoneCall(() => zone.set(w.key, w.value ?? current, expireOption(w)));
}

export function emptyZone(zone: KeyvalZone): void {
  zoneCall(() => zone.clear());
}

function keyNotFound(key: string): ApiError {
  return new ApiError(404, ErrorCode.KeyvalKeyNotFound, `key "${key}" not found`);
}

/* As NGINX Plus: a per-key expire needs the zone's timeout= to be set. */
function checkExpire(zone: KeyvalZone, w: KeyvalWrite): void {
  if (w.expireMs !== undefined && zone.settings.timeoutMs === 0) {
    throw formatError(`key timeouts are not enabled in zone "${zone.name}"`);
  }
}

function expireOption(w: KeyvalWrite): { expireMs?: number } {
  return w.expireMs === undefined ? {} : { expireMs: w.expireMs };
}

function isEmpty(zone: KeyvalZone): boolean {
  return zone.stats().records === 0 || zone.entries().length === 0;
}

/** A zone operation, its errors turned into the API's: 400 for a bad key or value, 507 when full. */
function zoneCall<T>(op: () => T): T {
  try {
    return op();
  } catch (e) {
    if (e instanceof ZoneFullError) throw new ApiError(507, ErrorCode.KeyvalZoneFull, e.message);
    if (e instanceof RangeError) throw formatError(stripZonePrefix(e.message));
    throw e;
  }
}

/* Zone errors start with `keyval zone "x": ` or `zone "x": `; the API names the key instead. */
function stripZonePrefix(message: string): string {
  return message.replace(/^(?:keyval )?zone "[^"]*": /, '');
}
