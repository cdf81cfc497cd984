// A configuration written in code is checked key by key before its defaults are filled: an
// unknown key or a value of the wrong type is a ConfigError that names the key's path,
// never a setting silently ignored (`interval: 100` for `intervalMs`).
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, normalizeConfig } from '../../dist/config/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const complete = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.conf') && name !== 'admin-guide-proxy-pass.conf')
  .map((name) => loadConfig(join(FIXTURES, name)));

function refusal(input: unknown): ConfigError {
  try {
    normalizeConfig(input as Parameters<typeof normalizeConfig>[0]);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

/** Every object and leaf of a configuration with its path, but inside `source` locations and the maps of them (opaque). */
function* walk(value: unknown, path: string): Generator<{ path: string; value: unknown; holder: object; key: string | number } | { path: string; object: object }> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const at = `${path}[${i}]`;
      if (typeof item === 'object' && item !== null) yield* walk(item, at);
      else yield { path: at, value: item, holder: value, key: i };
    }
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  yield { path, object: value };
  for (const [key, item] of Object.entries(value)) {
    if (key === 'source' || key === 'handlerSource' || key === 'directiveSources' || key === 'sources') continue;
    const at = path === '' ? key : `${path}.${key}`;
    if (typeof item === 'object' && item !== null) yield* walk(item, at);
    else yield { path: at, value: item, holder: value, key };
  }
}

/** A value of another JavaScript type than `value`'s, that no setting of `value`'s kind accepts. */
function otherType(value: unknown): unknown {
  if (typeof value === 'string') return 42;
  if (typeof value === 'number') return '1';
  if (typeof value === 'boolean') return 'on';
  return undefined; // null: any type is a legal replacement for some nullable settings; not swept
}

/** A deep copy in which no two places share an object (a file's configuration shares inherited ones). */
function tree<T>(value: T): T {
  if (Array.isArray(value)) return value.map(tree) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tree(v)])) as T;
}

const pathsOf = (config: object) => [...walk(config, '')].map((entry) => entry.path);

describe('a configuration written in code: keys and types', () => {
  it.each<[string, unknown, string]>([
    ['a misspelt sync setting', { stream: { sync: { listen: ['1'], interval: 100 } } }, 'unknown setting "stream.sync.interval" (did you mean "intervalMs"?)'],
    ['a zone setting with a typo', { zones: [{ kind: 'keyval', name: 'z', sizeBytes: 1 << 20, timout: 1000 }] }, 'unknown setting "zones[0].timout" (did you mean "timeoutMs"?)'],
    ['a top-level key', { workers: 4 }, 'unknown setting "workers" (did you mean "workerProcesses"?)'],
    ['a size without its unit', { zones: [{ kind: 'keyval', name: 'z', size: 1 << 20 }] }, 'unknown setting "zones[0].size" (did you mean "sizeBytes"?)'],
    ['an unknown key with no near name', { stream: { sync: { listen: ['1'], banana: true } } }, 'unknown setting "stream.sync.banana"'],
    ['a nested location key', { http: { servers: [{ locations: [{ pattern: '/', locations: [{ pattern: '/a', apii: { write: true } }] }] }] } }, 'unknown setting "http.servers[0].locations[0].locations[0].apii" (did you mean "api"?)'],
    ['a time as text', { stream: { sync: { listen: ['1'], intervalMs: '100ms' } } }, 'invalid value "100ms" of "stream.sync.intervalMs", it must be a whole number of milliseconds'],
    ['a fractional size', { zones: [{ kind: 'keyval', name: 'z', sizeBytes: 1.5 }] }, 'invalid value "1.5" of "zones[0].sizeBytes", it must be a whole number of bytes'],
    ['a negative time', { zones: [{ kind: 'keyval', name: 'z', sizeBytes: 1 << 20, timeoutMs: -1 }] }, 'invalid value "-1" of "zones[0].timeoutMs", it must be a whole number of milliseconds'],
    ['a flag as text', { zones: [{ kind: 'keyval', name: 'z', sizeBytes: 1 << 20, sync: 'yes' }] }, 'invalid value "yes" of "zones[0].sync", it must be true or false'],
    ['an unknown zone kind', { zones: [{ kind: 'cache', name: 'z', sizeBytes: 1 << 20 }] }, 'invalid value "cache" of "zones[0].kind", it must be one of "keyval", "limit_req", "sticky", "counter"'],
    ['a counter window below 0', { zones: [{ kind: 'counter', name: 'c', sizeBytes: 1 << 20, windowMs: -5 }] }, 'invalid value "-5" of "zones[0].windowMs", it must be a whole number of milliseconds'],
    ['a missing zone size', { zones: [{ kind: 'keyval', name: 'z' }] }, '"zones[0].sizeBytes" is missing'],
    ['a missing listen', { stream: { sync: { peers: [] } } }, '"stream.sync.listen" is missing'],
    ['peers not a list', { stream: { sync: { listen: ['1'], peers: '10.0.0.1:12345' } } }, 'invalid value "10.0.0.1:12345" of "stream.sync.peers", it must be an array'],
    ['an address as a number', { stream: { sync: { listen: [12345] } } }, 'invalid value "12345" of "stream.sync.listen[0]", it must be an address or an object with "address"'],
    ['a keyval type', { zones: [{ kind: 'keyval', name: 'z', sizeBytes: 1 << 20, type: 'cidr' }] }, 'invalid value "cidr" of "zones[0].type", it must be one of "string", "ip", "prefix"'],
    ['a log level', { errorLog: { level: 'verbose' } }, 'invalid value "verbose" of "errorLog.level", it must be one of "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"'],
    ['worker processes as text', { workerProcesses: 'four' }, 'invalid value "four" of "workerProcesses", it must be one of "auto"'],
    ['http as a list', { http: [] }, 'invalid value an array of "http", it must be an object'],
    ['a zone that is not an object', { zones: ['one'] }, 'invalid value "one" of "zones[0]", it must be an object'],
  ])('refuses %s', (_, input, message) => {
    const error = refusal(input);
    expect(error.message).toBe(message);
    expect(error.line).toBeUndefined();
  });

  it('accepts every complete configuration the fixtures give, and a sparse one', () => {
    for (const config of complete) expect(normalizeConfig(config)).toEqual(config);
    expect(() => normalizeConfig({ zones: [{ kind: 'keyval', name: 'z', sizeBytes: 1 << 20, stateFile: undefined }] })).not.toThrow();
  });

  it('refuses an unknown key added to any object of any complete configuration, naming its path', () => {
    let swept = 0;
    for (const [c, config] of complete.entries()) {
      for (const path of pathsOf(config)) {
        const copy = tree(config);
        const entry = [...walk(copy, '')].find((e) => e.path === path)!;
        if (!('object' in entry)) continue;
        (entry.object as Record<string, unknown>).zzzz = 1;
        const message = refusal(copy).message;
        expect(message, `fixture ${c}`).toBe(`unknown setting "${path === '' ? 'zzzz' : `${path}.zzzz`}"`);
        swept++;
      }
    }
    expect(swept).toBeGreaterThan(100);
  });

  it('refuses a value of another type at any leaf of any complete configuration, naming its path', () => {
    const cases = complete.flatMap((config, c) => pathsOf(config).map((path) => ({ c, path })));
    let swept = 0;
    for (const { c, path } of cases) {
      const config = tree(complete[c]!);
      const entry = [...walk(config, '')].find((e) => e.path === path)!;
      if (!('holder' in entry)) continue;
      const replacement = otherType(entry.value);
      if (replacement === undefined) continue;
      (entry.holder as Record<string | number, unknown>)[entry.key] = replacement;
      const message = refusal(config).message;
      expect(message.startsWith(`invalid value ${JSON.stringify(String(replacement))} of "${path}`), `${path}: ${message}`).toBe(true);
      swept++;
    }
    expect(swept).toBeGreaterThan(200);
  });
});
