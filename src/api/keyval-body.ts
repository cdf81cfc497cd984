// The body of a keyval POST or PATCH, as NGINX Plus reads it:
//   {"key": "value", …}                       set a value (the zone's timeout applies)
//   {"key": {"value": "v", "expire": 5000}}   set a value that expires in 5000 ms
//   {"key": {"expire": 5000}}                 PATCH only: change when a key expires
//   {"key": null}                             PATCH only: delete the key
// Anything else is a KeyvalFormatError, found before any record is touched.

import { formatError } from './errors.js';

export type KeyvalBodyMode = 'post' | 'patch';

export interface KeyvalWrite {
  readonly key: string;
  /** undefined: keep the value (PATCH of expire alone); null: delete the key (PATCH). */
  readonly value: string | null | undefined;
  /** Milliseconds from now; undefined: the zone's timeout. */
  readonly expireMs: number | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseKeyvalBody(body: Buffer, mode: KeyvalBodyMode): KeyvalWrite[] {
  const parsed = parseJsonObject(body);
  const writes: KeyvalWrite[] = [];
  for (const [key, spec] of Object.entries(parsed)) {
    if (key === '') throw formatError('empty key');
    writes.push(readWrite(key, spec, mode));
  }
  if (writes.length === 0) throw formatError('key required');
  return writes;
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    throw formatError('invalid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw formatError('invalid JSON: the body must be an object of keys');
  }
  return value as Record<string, unknown>;
}

function readWrite(key: string, spec: unknown, mode: KeyvalBodyMode): KeyvalWrite {
  if (typeof spec === 'string') return { key, value: spec, expireMs: undefined };
  if (spec === null) {
    if (mode === 'patch') return { key, value: null, expireMs: undefined };
    throw formatError(`the value of key "${key}" must be a string`);
  }
  if (typeof spec !== 'object' || Array.isArray(spec)) throw formatError(`the value of key "${key}" must be a string`);
  const fields = spec as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (name !== 'value' && name !== 'expire') throw formatError(`unknown parameter "${name}" of key "${key}"`);
  }
  const value = fields['value'];
  if (value !== undefined && typeof value !== 'string') throw formatError(`the value of key "${key}" must be a string`);
  if (value === undefined && mode === 'post') throw formatError(`key "${key}" has no value`);
  const expireMs = readExpire(key, fields['expire']);
  if (value === undefined && expireMs === undefined) throw formatError(`key "${key}" has neither a value nor an expire`);
  return { key, value, expireMs };
}

function readExpire(key: string, expire: unknown): number | undefined {
  if (expire === undefined) return undefined;
  if (typeof expire !== 'number' || !Number.isSafeInteger(expire) || expire <= 0) {
    throw formatError(`the expire of key "${key}" must be a positive integer of milliseconds`);
  }
  return expire;
}
