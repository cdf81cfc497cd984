// keyval state=FILE: round trips, atomic replacement, and refusal of torn or corrupt files.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  STATE_FILE_FORMAT,
  StateFileError,
  decodeStateFile,
  decodeStateSnapshot,
  readStateFileSync,
  writeStateFile,
  writeStateFileSync,
} from '../../dist/zones/keyval/state-file.js';
import type { StateFileErrorKind, StateRecord } from '../../dist/zones/keyval/state-file.js';

const STAMP_MS_MAX = 2 ** 48 - 1;
const root = mkdtempSync(join(tmpdir(), 'zonesync-state-'));
let dir = '';
let caseNumber = 0;

beforeEach(() => {
  caseNumber += 1;
  dir = join(root, `case-${caseNumber}`);
  mkdirSync(dir);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function record(key: string, overrides: Partial<StateRecord> = {}): StateRecord {
  return { key, value: `value of ${key}`, stampMs: 1_700_000_000_000, logical: 0, origin: 1, expireAtMs: 0, tombstone: false, ...overrides };
}

const SAMPLE: StateRecord[] = [
  record('plain'),
  record('ключ-🔑', { value: 'значение ✓ \u0000 "quoted" \\ \n\t end', logical: 65535, origin: 0xffffffff }),
  record('gone', { value: '', tombstone: true, expireAtMs: 1_700_000_600_000 }),
  record('late', { stampMs: STAMP_MS_MAX, logical: 65535, expireAtMs: Number.MAX_SAFE_INTEGER }),
  record('10.0.0.0/8', { value: 'deny', stampMs: 0, origin: 0 }),
  record('lone \ud800 surrogate', { value: '\udfff' }),
  record('', { value: 'empty key' }),
];

/** Runs `action`, expecting a StateFileError of `kind` about `path`. */
function expectStateError(action: () => unknown, kind: StateFileErrorKind | readonly StateFileErrorKind[], path: string): StateFileError {
  let caught: unknown;
  try {
    action();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(StateFileError);
  const error = caught as StateFileError;
  expect(typeof kind === 'string' ? [kind] : kind).toContain(error.kind);
  expect(error.path).toBe(path);
  expect(error.message).toContain(path);
  expect(error.reason.length).toBeGreaterThan(0);
  return error;
}

async function expectStateErrorAsync(action: () => Promise<unknown>, kind: StateFileErrorKind, path: string): Promise<StateFileError> {
  const error = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StateFileError);
  expect((error as StateFileError).kind).toBe(kind);
  expect((error as StateFileError).path).toBe(path);
  return error as StateFileError;
}

/** Everything in the case directory: no stray temp files may be left behind. */
function entries(): string[] {
  return readdirSync(dir).sort();
}

describe('round trip', () => {
  it('async write, read', async () => {
    const path = join(dir, 'state.json');
    await writeStateFile(path, 'zone_one', SAMPLE);
    expect(readStateFileSync(path, 'zone_one')).toEqual(SAMPLE);
    expect(entries()).toEqual(['state.json']);
  });

  it('sync write, read', () => {
    const path = join(dir, 'state.json');
    writeStateFileSync(path, 'zone_one', SAMPLE);
    expect(readStateFileSync(path, 'zone_one')).toEqual(SAMPLE);
    expect(entries()).toEqual(['state.json']);
  });

  it('no records', async () => {
    const path = join(dir, 'state.json');
    await writeStateFile(path, 'z', []);
    expect(readStateFileSync(path, 'z')).toEqual([]);
    writeStateFileSync(path, 'z', new Set());
    expect(readStateFileSync(path, 'z')).toEqual([]);
  });

  it('any records, from any iterable, both writers', async () => {
    const recordArb = fc.record({
      key: fc.string({ unit: 'binary', maxLength: 40 }),
      value: fc.string({ unit: 'binary', maxLength: 200 }),
      stampMs: fc.oneof(fc.integer({ min: 0, max: STAMP_MS_MAX }), fc.integer({ min: STAMP_MS_MAX - 1000, max: STAMP_MS_MAX })),
      logical: fc.integer({ min: 0, max: 65535 }),
      origin: fc.integer({ min: 0, max: 0xffffffff }),
      expireAtMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
      tombstone: fc.boolean(),
    });
    const path = join(dir, 'state.json');
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(recordArb, { selector: (r) => r.key, maxLength: 30 }), fc.boolean(), async (records, sync) => {
        function* generate(): Generator<StateRecord> {
          yield* records;
        }
        if (sync) writeStateFileSync(path, 'zone', generate());
        else await writeStateFile(path, 'zone', generate());
        expect(readStateFileSync(path, 'zone')).toEqual(records);
      }),
      { numRuns: 100 },
    );
    expect(entries()).toEqual(['state.json']);
  });

  it('many records: more than one write batch', async () => {
    const path = join(dir, 'state.json');
    const records = Array.from({ length: 5000 }, (_, i) => record(`key-${i}`, { value: 'x'.repeat(i % 97), logical: i % 65536 }));
    await writeStateFile(path, 'big', records);
    expect(readFileSync(path).length).toBeGreaterThan(256 * 1024);
    expect(readStateFileSync(path, 'big')).toEqual(records);
    writeStateFileSync(path, 'big', records);
    expect(readStateFileSync(path, 'big')).toEqual(records);
  });

  it('the file is the documented JSON', async () => {
    const path = join(dir, 'state.json');
    await writeStateFile(path, 'zone_one', SAMPLE);
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('"}\n')).toBe(true);
    const file = JSON.parse(text);
    expect(Object.keys(file)).toEqual(['format', 'version', 'zone', 'journal', 'records', 'count', 'checksum']);
    expect(file.format).toBe(STATE_FILE_FORMAT);
    expect(file.version).toBe(2);
    expect(file.zone).toBe('zone_one');
    expect(file.journal).toBe(0);
    expect(file.count).toBe(SAMPLE.length);
    expect(file.records).toEqual(SAMPLE);
    expect(file.checksum).toBe(createHash('sha256').update(JSON.stringify(SAMPLE)).digest('hex'));
    // One record a line.
    expect(text.split('\n').length).toBe(SAMPLE.length + 3);
  });

  it.each([0, 1, 7, 0xffffffff])('names journal generation %d, and gives it back', (generation) => {
    const path = join(dir, 'state.json');
    writeStateFileSync(path, 'z', SAMPLE, generation);
    expect(decodeStateSnapshot(path, 'z', readFileSync(path))).toEqual({ records: SAMPLE, journalGeneration: generation });
  });

  it.each([-1, 1.5, 2 ** 32])('refuses to write journal generation %d', (generation) => {
    const path = join(dir, 'state.json');
    expect(() => writeStateFileSync(path, 'z', SAMPLE, generation)).toThrow(/generation/);
    expect(existsSync(path)).toBe(false);
  });

  it('reads a version 1 file (written before journals) as journal generation 0', () => {
    const path = join(dir, 'state.json');
    writeStateFileSync(path, 'z', SAMPLE);
    const v1 = readFileSync(path, 'utf8').replace('"version":2', '"version":1').replace('"journal":0,', '');
    expect(decodeStateSnapshot(path, 'z', Buffer.from(v1))).toEqual({ records: SAMPLE, journalGeneration: 0 });
  });

  it('returns fresh objects, not the parsed ones', async () => {
    const path = join(dir, 'state.json');
    await writeStateFile(path, 'z', [record('a')]);
    const [first] = (readStateFileSync(path, 'z'))!;
    expect(Object.keys(first!)).toEqual(['key', 'value', 'stampMs', 'logical', 'origin', 'expireAtMs', 'tombstone']);
  });
});

describe('missing file', () => {
  it('is null', () => {
    const path = join(dir, 'absent.json');
    expect(readStateFileSync(path, 'z')).toBeNull();
  });

  it('in a missing directory is null too', async () => {
    const path = join(dir, 'no-such-dir', 'state.json');
    expect(readStateFileSync(path, 'z')).toBeNull();
  });

  it('a directory in its place is an io error', () => {
    expectStateError(() => readStateFileSync(dir, 'z'), 'io', dir);
  });
});

describe('atomicity', () => {
  it('a stray temp file from a crashed write leaves the real file untouched and loadable', async () => {
    const path = join(dir, 'state.json');
    await writeStateFile(path, 'z', SAMPLE);
    const before = readFileSync(path);
    // What a write killed before its rename leaves: a half-written temp file beside the target.
    const stray = join(dir, `.state.json.tmp-${process.pid}-deadbeef0000`);
    writeFileSync(stray, before.subarray(0, before.length >> 1));
    expect(readFileSync(path)).toEqual(before);
    expect(readStateFileSync(path, 'z')).toEqual(SAMPLE);
    // The next write goes through and does not touch the stray file.
    await writeStateFile(path, 'z', [record('after')]);
    expect(readStateFileSync(path, 'z')).toEqual([record('after')]);
    expect(entries()).toEqual(['.state.json.tmp-' + `${process.pid}-deadbeef0000`, 'state.json']);
  });

  it('writing into a directory that does not exist fails clearly and leaves nothing', async () => {
    const missing = join(dir, 'no-such-dir');
    const path = join(missing, 'state.json');
    const error = await expectStateErrorAsync(() => writeStateFile(path, 'z', SAMPLE), 'io', path);
    expect(error.reason).toMatch(/ENOENT/);
    expectStateError(() => writeStateFileSync(path, 'z', SAMPLE), 'io', path);
    expect(existsSync(missing)).toBe(false);
    expect(entries()).toEqual([]);
  });

  it('a bad record midway: the old file stays, the temp file goes', async () => {
    const path = join(dir, 'state.json');
    await writeStateFile(path, 'z', SAMPLE);
    const before = readFileSync(path);
    const bad = [record('a'), record('b', { logical: 65536 }), record('c')];
    const error = await expectStateErrorAsync(() => writeStateFile(path, 'z', bad), 'record', path);
    expect(error.reason).toMatch(/record 1 .*logical/);
    expectStateError(() => writeStateFileSync(path, 'z', bad), 'record', path);
    expect(readFileSync(path)).toEqual(before);
    expect(entries()).toEqual(['state.json']);
  });

  it('an iterable that throws midway: the old file stays, the temp file goes', async () => {
    const path = join(dir, 'state.json');
    writeStateFileSync(path, 'z', SAMPLE);
    const before = readFileSync(path);
    function* failing(): Generator<StateRecord> {
      for (let i = 0; i < 20_000; i++) yield record(`k${i}`, { value: 'v'.repeat(50) });
      throw new Error('zone walk failed');
    }
    const error = await expectStateErrorAsync(() => writeStateFile(path, 'z', failing()), 'io', path);
    expect(error.reason).toContain('zone walk failed');
    expectStateError(() => writeStateFileSync(path, 'z', failing()), 'io', path);
    expect(readFileSync(path)).toEqual(before);
    expect(entries()).toEqual(['state.json']);
  });

  it('a rename that fails (a directory in the way): the temp file goes', async () => {
    const path = join(dir, 'state.json');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'x');
    await expectStateErrorAsync(() => writeStateFile(path, 'z', SAMPLE), 'io', path);
    expectStateError(() => writeStateFileSync(path, 'z', SAMPLE), 'io', path);
    expect(entries()).toEqual(['state.json']);
    expect(readdirSync(path)).toEqual(['inside']);
  });

  it('replaces an older file completely', async () => {
    const path = join(dir, 'state.json');
    await writeStateFile(path, 'z', SAMPLE);
    await writeStateFile(path, 'z', [record('only')]);
    expect(readStateFileSync(path, 'z')).toEqual([record('only')]);
  });
});

describe('torn files', () => {
  it('cut at every point: a StateFileError, never a partial list', () => {
    const path = join(dir, 'state.json');
    writeStateFileSync(path, 'z', SAMPLE);
    const whole = readFileSync(path);
    let errors = 0;
    for (let cut = 0; cut < whole.length; cut++) {
      const torn = whole.subarray(0, cut);
      if (cut === whole.length - 1) {
        // Only the final newline is gone: the JSON is whole.
        expect(decodeStateFile(path, 'z', torn)).toEqual(SAMPLE);
        continue;
      }
      expectStateError(() => decodeStateFile(path, 'z', torn), ['torn', 'corrupt'], path);
      errors += 1;
    }
    expect(errors).toBe(whole.length - 1);
  });

  it('cut files on disk, through both readers', async () => {
    const path = join(dir, 'state.json');
    await writeStateFile(path, 'z', SAMPLE);
    const whole = readFileSync(path);
    for (const cut of [0, 1, 10, whole.length >> 2, whole.length >> 1, whole.length - 10, whole.length - 2]) {
      writeFileSync(path, whole.subarray(0, cut));
      const kind = cut === 0 ? 'torn' : (['torn', 'corrupt'] as const);
      expectStateError(() => readStateFileSync(path, 'z'), kind, path);
    }
  });

  it('a cut at a record boundary is reported as torn', () => {
    const path = join(dir, 'state.json');
    writeStateFileSync(path, 'z', SAMPLE);
    const text = readFileSync(path, 'utf8');
    const cut = text.indexOf('\n', text.indexOf('\n') + 1) + 1;
    const error = expectStateError(() => decodeStateFile(path, 'z', Buffer.from(text.slice(0, cut))), 'torn', path);
    expect(error.reason).toMatch(/truncated/);
  });
});

describe('corrupt files', () => {
  function written(records: StateRecord[] = SAMPLE): { path: string; text: string } {
    const path = join(dir, 'state.json');
    writeStateFileSync(path, 'z', records);
    return { path, text: readFileSync(path, 'utf8') };
  }

  it('a changed character in a value: checksum error', () => {
    const { path, text } = written();
    const corrupt = text.replace('value of plain', 'value of plaim');
    expect(corrupt).not.toBe(text);
    const error = expectStateError(() => decodeStateFile(path, 'z', Buffer.from(corrupt)), 'corrupt', path);
    expect(error.reason).toMatch(/checksum/);
  });

  it('a changed digit in a stamp: checksum error', () => {
    const { path, text } = written([record('a', { stampMs: 1_700_000_000_000 })]);
    const corrupt = text.replace('1700000000000', '1700000000001');
    const error = expectStateError(() => decodeStateFile(path, 'z', Buffer.from(corrupt)), 'corrupt', path);
    expect(error.reason).toMatch(/checksum/);
  });

  it('any single flipped bit: an error, or (in whitespace) the very same records', () => {
    const { path } = written(SAMPLE.slice(0, 3));
    const whole = readFileSync(path);
    fc.assert(
      fc.property(fc.nat(whole.length - 1), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const bytes = Buffer.from(whole);
        bytes[at]! ^= 1 << bit;
        let result: StateRecord[] | undefined;
        try {
          result = decodeStateFile(path, 'z', bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(StateFileError);
          return;
        }
        expect(result).toEqual(SAMPLE.slice(0, 3));
      }),
      { numRuns: 2000 },
    );
  });

  it('count mismatch', () => {
    const { path, text } = written();
    const corrupt = text.replace(`"count":${SAMPLE.length}`, `"count":${SAMPLE.length - 1}`);
    const error = expectStateError(() => decodeStateFile(path, 'z', Buffer.from(corrupt)), 'corrupt', path);
    expect(error.reason).toMatch(/count mismatch/);
  });

  it('a record dropped with count and checksum left alone', () => {
    const { path, text } = written();
    const lines = text.split('\n');
    lines.splice(2, 1);
    expectStateError(() => decodeStateFile(path, 'z', Buffer.from(lines.join('\n'))), 'corrupt', path);
  });

  it.each([
    ['format', (t: string) => t.replace(STATE_FILE_FORMAT, 'something-else'), /format/],
    ['version', (t: string) => t.replace('"version":2', '"version":3'), /version 3/],
    ['version type', (t: string) => t.replace('"version":2', '"version":"2"'), /version/],
    ['journal generation missing', (t: string) => t.replace('"journal":0,', ''), /journal generation/],
    ['journal generation negative', (t: string) => t.replace('"journal":0', '"journal":-1'), /journal generation/],
    ['journal generation too large', (t: string) => t.replace('"journal":0', '"journal":4294967296'), /journal generation/],
    ['journal generation not a number', (t: string) => t.replace('"journal":0', '"journal":"0"'), /journal generation/],
    ['journal field in a version 1 file', (t: string) => t.replace('"version":2', '"version":1'), /unknown field "journal"/],
    ['checksum field', (t: string) => t.replace(/"checksum":"[0-9a-f]+"/, '"checksum":"abc"'), /checksum/],
    ['checksum case', (t: string) => t.replace(/"checksum":"([0-9a-f]+)"/, (_, h: string) => `"checksum":"${h.toUpperCase()}"`), /checksum/],
    ['unknown field', (t: string) => t.replace('"version":2', '"version":2,"extra":true'), /unknown field/],
    ['records not an array', (t: string) => t.replace('"records":[', '"records":{"a":[').replace('\n],"count"', '\n]},"count"'), /records/],
    ['not an object', () => '[1,2,3]\n', /object/],
    ['garbage', () => 'hello"}\n', /JSON/],
  ])('%s', (_, edit, reason) => {
    const { path, text } = written();
    const error = expectStateError(() => decodeStateFile(path, 'z', Buffer.from(edit(text))), 'corrupt', path);
    expect(error.reason).toMatch(reason);
  });

  it('invalid UTF-8', () => {
    const { path } = written([record('é')]);
    const bytes = readFileSync(path);
    const at = bytes.indexOf(0xc3);
    bytes[at] = 0xff;
    const error = expectStateError(() => decodeStateFile(path, 'z', bytes), 'corrupt', path);
    expect(error.reason).toMatch(/UTF-8/);
  });

  it('another zone', async () => {
    const path = join(dir, 'state.json');
    await writeStateFile(path, 'zone_a', SAMPLE);
    const error = expectStateError(() => readStateFileSync(path, 'zone_b'), 'zone', path);
    expect(error.reason).toContain('zone_a');
  });
});

describe('bad records, with a checksum that matches', () => {
  /** A file whose header is right for its records, whatever they hold. */
  function fileWith(records: unknown[]): Buffer {
    const recordsText = JSON.stringify(records);
    const checksum = createHash('sha256').update(recordsText).digest('hex');
    return Buffer.from(
      `{"format":"${STATE_FILE_FORMAT}","version":1,"zone":"z","records":${recordsText},"count":${records.length},"checksum":"${checksum}"}\n`,
    );
  }

  const good = record('good');
  it.each([
    ['not an object', 5, /not an object/],
    ['null', null, /not an object/],
    ['array', [1], /not an object/],
    ['key missing', { ...good, key: undefined }, /key/],
    ['key a number', { ...good, key: 1 }, /key/],
    ['value null', { ...good, value: null }, /value/],
    ['stampMs negative', { ...good, stampMs: -1 }, /stampMs/],
    ['stampMs 2^48', { ...good, stampMs: 2 ** 48 }, /stampMs/],
    ['stampMs fractional', { ...good, stampMs: 1.5 }, /stampMs/],
    ['stampMs a string', { ...good, stampMs: '1' }, /stampMs/],
    ['logical 65536', { ...good, logical: 65536 }, /logical/],
    ['logical negative', { ...good, logical: -1 }, /logical/],
    ['origin 2^32', { ...good, origin: 2 ** 32 }, /origin/],
    ['origin negative', { ...good, origin: -1 }, /origin/],
    ['expireAtMs negative', { ...good, expireAtMs: -5 }, /expireAtMs/],
    ['expireAtMs fractional', { ...good, expireAtMs: 0.5 }, /expireAtMs/],
    ['expireAtMs too large', { ...good, expireAtMs: 2 ** 60 }, /expireAtMs/],
    ['tombstone a number', { ...good, tombstone: 0 }, /tombstone/],
  ])('%s: no partial list', (_, bad, reason) => {
    const path = join(dir, 'state.json');
    const error = expectStateError(() => decodeStateFile(path, 'z', fileWith([good, record('also good'), bad])), 'record', path);
    expect(error.reason).toMatch(/^record 2/);
    expect(error.reason).toMatch(reason);
  });

  it('a key twice', () => {
    const path = join(dir, 'state.json');
    const error = expectStateError(() => decodeStateFile(path, 'z', fileWith([good, record('x'), good])), 'record', path);
    expect(error.reason).toMatch(/twice/);
  });

  it('a well-formed hand-made file loads', () => {
    const path = join(dir, 'state.json');
    expect(decodeStateFile(path, 'z', fileWith([good, record('x')]))).toEqual([good, record('x')]);
  });
});
