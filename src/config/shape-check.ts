// Checks of the shape of configuration objects written in code (JavaScript callers and
// objects read from JSON get no help from the compiler): every key known, every value of
// the type it must have. A check throws the ConfigError a file's mistake would give, with
// the key's path where a file gives its line:
//
//   unknown setting "stream.sync.interval" (did you mean "intervalMs"?)
//   invalid value "100ms" of "stream.sync.intervalMs", it must be a whole number of milliseconds
//
// Values are checked for their type only; ranges and the rules between settings are
// validate.ts's, the same for a file and for code.

import { ConfigError } from './errors.js';

/** Throws a ConfigError when `value`, found at `path`, is not of the expected shape. */
export type Check = (value: unknown, path: string) => void;

/** A key that must be present (the type has no `?` on it). */
export interface RequiredCheck {
  readonly required: true;
  readonly check: Check;
}

/**
 * One check per key of T, and no other key (the compiler refuses an extra one). Keys
 * that T requires take a RequiredCheck, optional keys a Check.
 */
export type Shape<T> = {
  readonly [K in keyof T]-?: undefined extends T[K] ? Check : RequiredCheck;
};

export function required(check: Check): RequiredCheck {
  return { required: true, check };
}

function invalid(value: unknown, path: string, what: string): ConfigError {
  return new ConfigError(`invalid value ${show(value)} of "${path}", it must be ${what}`);
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return `"${String(value)}"`;
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const string: Check = (value, path) => {
  if (typeof value !== 'string') throw invalid(value, path, 'a string');
};

export const boolean: Check = (value, path) => {
  if (typeof value !== 'boolean') throw invalid(value, path, 'true or false');
};

/** A whole number, zero or more, of `unit` (bytes, milliseconds) when given. */
export function count(unit?: string): Check {
  const what = unit === undefined ? 'a whole number' : `a whole number of ${unit}`;
  return (value, path) => {
    if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) throw invalid(value, path, what);
  };
}

/** Any number, Infinity included (limit_req's `delay` with nodelay). */
export const number: Check = (value, path) => {
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalid(value, path, 'a number');
};

export function oneOf(...choices: readonly (string | number)[]): Check {
  return (value, path) => {
    if (!choices.includes(value as string | number)) throw invalid(value, path, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
  };
}

export function nullable(check: Check): Check {
  return (value, path) => {
    if (value !== null) check(value, path);
  };
}

export function arrayOf(check: Check): Check {
  return (value, path) => {
    if (!Array.isArray(value)) throw invalid(value, path, 'an array');
    value.forEach((item, i) => check(item, `${path}[${i}]`));
  };
}

/** The first alternative whose `accepts` says the value is its kind decides. */
export function either(what: string, ...alternatives: readonly { accepts: (value: unknown) => boolean; check: Check }[]): Check {
  return (value, path) => {
    const alternative = alternatives.find((a) => a.accepts(value));
    if (alternative === undefined) throw invalid(value, path, what);
    alternative.check(value, path);
  };
}

/** Objects whose `field` names which shape they have (zones by `kind`, addresses by `kind`). */
export function tagged(field: string, shapes: Readonly<Record<string, Check>>): Check {
  return (value, path) => {
    if (!isRecord(value)) throw invalid(value, path, 'an object');
    const tag = value[field];
    const check = typeof tag === 'string' && Object.hasOwn(shapes, tag) ? shapes[tag] : undefined;
    if (check === undefined) throw invalid(tag, `${path}.${field}`, `one of ${Object.keys(shapes).map((k) => JSON.stringify(k)).join(', ')}`);
    check(value, path);
  };
}

/** An object of exactly these keys; optional keys may be absent or undefined. */
export function object<T>(shape: Shape<T>): Check {
  const entries = Object.entries(shape) as [string, Check | RequiredCheck][];
  const known = entries.map(([key]) => key);
  return (value, path) => {
    if (!isRecord(value)) throw invalid(value, path, 'an object');
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) throw new ConfigError(`unknown setting "${join(path, key)}"${suggestion(key, known)}`);
    }
    for (const [key, entry] of entries) {
      const item = value[key];
      const isRequired = typeof entry !== 'function';
      if (item === undefined) {
        if (isRequired) throw new ConfigError(`"${join(path, key)}" is missing`);
        continue;
      }
      (isRequired ? entry.check : entry)(item, join(path, key));
    }
  };
}

/** Any object (a `source` location, which a file's configuration carries and code rarely writes). */
export const anyObject: Check = (value, path) => {
  if (!isRecord(value)) throw invalid(value, path, 'an object');
};

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/**
 * The known key the unknown one most likely meant: one that extends it or shares its first
 * five letters (interval → intervalMs, workers → workerProcesses), or whose name without
 * its unit is a typo or two away (timout → timeoutMs; one typo in names under six letters).
 */
function suggestion(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const near = (k: string): boolean => {
    const name = k.toLowerCase();
    if (lower.length >= 3 && (name.startsWith(lower) || lower.startsWith(name))) return true;
    if (lower.length >= 5 && name.slice(0, 5) === lower.slice(0, 5)) return true;
    return editDistance(name.replace(/(ms|bytes)$/, ''), lower) <= (lower.length >= 6 ? 2 : 1);
  };
  const match = known.find(near);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
