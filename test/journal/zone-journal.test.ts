// A journaled keyval zone and its journal writer, in process: whatever a flush wrote is what
// a restart (a new zone over the same files, as after kill -9) loads, for every kind of
// change and zone; compaction is atomic at each of its steps; a full ring, a torn tail and a
// vanished directory lose nothing that is not reported, and never stop the writer.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ZoneJournal } from '../../dist/journal/zone-journal.js';
import type { ZoneJournalOptions } from '../../dist/journal/zone-journal.js';
import { StateStore } from '../../dist/zones/keyval/state-store.js';
import { KeyvalZone, createNodeContext } from '../../dist/zones/index.js';
import type { KeyvalZoneOptions } from '../../dist/zones/index.js';
import { exchange } from '../zones/exchange.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'zonesync-journal-'));
  dirs.push(d);
  return d;
}

interface Logged { level: string; message: string; fields: Record<string, unknown> }

function collector(into: Logged[]) {
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => into.push({ level, fields, message });
  return { info: at('info'), warn: at('warn'), error: at('error') };
}

type ZoneOpts = Partial<KeyvalZoneOptions>;

/** A journaled zone over `dir`/one.keyval, and its journal writer, opened (first compaction done). */
function journaled(dir: string, opts: ZoneOpts = {}, journalOpts: Partial<ZoneJournalOptions> = {}) {
  const state = join(dir, 'one.keyval');
  const kv = KeyvalZone.create({ name: 'one', size: '1m', state, journal: true, node: createNodeContext(1), ...opts });
  const logs: Logged[] = [];
  const journal = new ZoneJournal({
    handle: kv.handle, newestGeneration: kv.stateGeneration, fsync: { mode: 'off' }, logger: collector(logs),
    ...(opts.now === undefined ? {} : { now: opts.now }), ...journalOpts,
  });
  journal.open();
  return { kv, journal, logs, state };
}

/** What a restart loads from `dir`: a new zone over the same files (nothing is written). */
function restart(dir: string, opts: ZoneOpts = {}): KeyvalZone {
  return KeyvalZone.create({ name: 'one', size: '1m', state: join(dir, 'one.keyval'), journal: true, node: createNodeContext(1), ...opts });
}

const byKey = <T extends { key: string }>(xs: T[]): T[] => [...xs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

function expectSameZone(loaded: KeyvalZone, live: KeyvalZone): void {
  expect(byKey(loaded.versions())).toEqual(byKey(live.versions()));
}

const ZONES: Array<[string, ZoneOpts]> = [
  ['synced', { sync: true, timeout: '1h' }],
  ['not synced, no timeout', {}],
  ['not synced, timeout', { timeout: '1h' }],
  ['type=ip, synced', { type: 'ip', sync: true, timeout: '1h' }],
  ['type=prefix', { type: 'prefix' }],
];

describe('what a flush wrote is what a restart loads', () => {
  it.each(ZONES)('%s: sets, rewrites, per-key expiry, deletes, clear', (_, opts) => {
    const dir = tempDir();
    const { kv, journal } = journaled(dir, opts);
    const keys = opts.type === 'ip' ? ['10.0.0.0/8', '10.1.0.0/16', '192.168.1.1', '2001:db8::/32'] : ['/a/', '/a/b/', 'k', 'ключ 🔑'];
    keys.forEach((k, i) => kv.set(k, `v${i}`));
    kv.set(keys[0]!, 'rewritten');
    kv.set(keys[1]!, 'short-lived', { expireMs: 60_000 });
    kv.delete(keys[2]!);
    journal.flush();
    let loaded = restart(dir, opts);
    expectSameZone(loaded, kv);
    expect(loaded.get(keys[2]!)).toBeUndefined();
    expect(loaded.get(keys[0]!)).toBe('rewritten');
    if (opts.type === 'ip') expect(loaded.match('10.1.2.3')).toBe('short-lived');
    if (opts.type === 'prefix') expect(loaded.match('/a/b/c')).toBe('short-lived');
    kv.clear();
    kv.set(keys[3]!, 'after clear');
    journal.flush();
    loaded = restart(dir, opts);
    expectSameZone(loaded, kv);
    expect(loaded.entries().map((e) => [e.key, e.value])).toEqual([[keys[3], 'after clear']]);
  });

  it('a change not yet flushed is not there (the writer is the only path to disk)', () => {
    const dir = tempDir();
    const { kv, journal } = journaled(dir);
    kv.set('flushed', '1');
    journal.flush();
    kv.set('pending', '2');
    expect(restart(dir).entries().map((e) => e.key)).toEqual(['flushed']);
    journal.flush();
    expect(byKey(restart(dir).entries()).map((e) => e.key)).toEqual(['flushed', 'pending']);
  });

  it('records merged from a peer are journaled, tombstones included', () => {
    const dir = tempDir();
    const { kv, journal } = journaled(dir, { sync: true, timeout: '1h' });
    const peer = KeyvalZone.create({ name: 'one', size: '1m', sync: true, timeout: '1h', node: createNodeContext(2) });
    peer.set('from-peer', 'p');
    peer.set('doomed', 'd');
    exchange(peer, [kv]);
    peer.delete('doomed');
    exchange(peer, [kv]);
    journal.flush();
    const loaded = restart(dir, { sync: true, timeout: '1h' });
    expectSameZone(loaded, kv);
    expect(loaded.get('from-peer')).toBe('p');
    expect(loaded.versions().find((r) => r.key === 'doomed')).toMatchObject({ tombstone: true, origin: peer.nodeId });
  });

  it('a write after a restart outranks what was loaded, even when the wall clock went back past a delete', () => {
    const dir = tempDir();
    const t = { now: 1_800_000_000_000 };
    const opts = { now: () => t.now };
    const { kv, journal } = journaled(dir, opts);
    kv.set('k', 'old');
    kv.delete('k');
    t.now -= 60_000; // the wall clock steps back a minute
    kv.set('k', 'new');
    journal.flush();
    expect(restart(dir, opts).get('k')).toBe('new');
    const again = restart(dir, opts);
    const before = again.versions()[0]!;
    again.set('k', 'newer');
    const after = again.versions()[0]!;
    // (stamp, logical) compared as a pair: an array comparison would compare their text.
    expect(after.stampMs > before.stampMs || (after.stampMs === before.stampMs && after.logical > before.logical)).toBe(true);
  });

  it('a restart whose wall clock went back minutes still loads the journal (its own versions are not "from the future")', () => {
    const dir = tempDir();
    const t = { now: 1_800_000_000_000 };
    const { kv, journal } = journaled(dir, { sync: true, timeout: '1h', now: () => t.now });
    kv.set('k', 'v');
    journal.flush();
    t.now -= 10 * 60_000;
    expect(restart(dir, { sync: true, timeout: '1h', now: () => t.now }).get('k')).toBe('v');
  });

  it('a zone that does not sync keeps no tombstone after a restart: the journal\'s deletes did their work', () => {
    const dir = tempDir();
    const { kv, journal } = journaled(dir);
    kv.set('a', '1');
    kv.set('b', '2');
    journal.flush();
    kv.delete('a');
    journal.flush();
    const loaded = restart(dir);
    expect(loaded.versions().map((r) => r.key)).toEqual(['b']);
    expect(loaded.stats().records).toBe(1);
  });
});

describe('compaction', () => {
  /** Copies of the directory taken at each step of every compaction, with the zone's versions then. */
  function observeSteps(dir: string, kv: KeyvalZone) {
    const seen: Array<{ step: string; copy: string; versions: ReturnType<KeyvalZone['versions']> }> = [];
    const proto = StateStore.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    const wrapped: Array<[string, (...args: unknown[]) => unknown]> = [];
    for (const [method, step] of [['createJournal', 'before step 1'], ['writeState', 'after step 1'], ['removeJournalsBefore', 'after step 2']] as const) {
      const original = proto[method]!;
      wrapped.push([method, original]);
      proto[method] = function (this: StateStore, ...args: unknown[]) {
        const copy = tempDir();
        cpSync(dir, copy, { recursive: true });
        seen.push({ step, copy, versions: kv.versions() });
        return original.apply(this, args);
      };
    }
    return { seen, restore: () => { for (const [m, f] of wrapped) proto[m] = f; } };
  }

  it.each(ZONES)('%s: a crash between any two steps loads every change, and brings back no deleted key', (_, opts) => {
    const dir = tempDir();
    const { kv, journal } = journaled(dir, opts);
    const key = (i: number) => (opts.type === 'ip' ? `10.0.${i}.0/24` : `key-${i}`);
    for (let i = 0; i < 20; i++) kv.set(key(i), `v${i}`);
    journal.flush();
    for (let i = 0; i < 20; i += 2) kv.delete(key(i));
    kv.set(key(1), 'rewritten');
    journal.flush();
    const observed = observeSteps(dir, kv);
    try {
      journal.compact();
    } finally {
      observed.restore();
    }
    kv.set(key(3), 'after');
    journal.flush();
    expect(observed.seen.map((s) => s.step)).toEqual(['before step 1', 'after step 1', 'after step 2']);
    for (const s of observed.seen) {
      const loaded = restart(s.copy, opts);
      expect(byKey(loaded.versions()), s.step).toEqual(byKey(s.versions));
    }
    expectSameZone(restart(dir, opts), kv);
    expect(readdirSync(dir).filter((n) => n.includes('.journal-'))).toHaveLength(1);
  });

  it('compacts by itself once the journal outgrows the state file, and keeps loading right', () => {
    const dir = tempDir();
    const { kv, journal, state } = journaled(dir, {}, { compactMinBytes: 1 });
    const first = journal.journalGeneration;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) kv.set(`k${i}`, `round ${round} value ${'x'.repeat(round * 10)}`);
      journal.flush();
    }
    expect(journal.journalGeneration).toBeGreaterThan(first);
    expect(journal.stats.compactions).toBeGreaterThan(1);
    expect(statSync(state).size).toBeGreaterThan(0);
    expectSameZone(restart(dir), kv);
  });

  it('a ring that overflows gets a snapshot instead; a crash right after it does not replay the older journal', () => {
    const dir = tempDir();
    const { kv, journal, logs } = journaled(dir, { journalRingBytes: 4096 });
    const doomed = `doomed-${'d'.repeat(100)}`; // its delete's entry is larger than any filler's
    kv.set(doomed, 'v0');
    journal.flush(); // the key is now in the journal of the current generation
    for (let i = 0; i < 200; i++) kv.set(`f${i}`, ''); // the ring fills up to less than a filler's entry
    kv.delete(doomed); // dropped: only the zone knows of it
    const observed = observeSteps(dir, kv);
    try {
      journal.flush();
    } finally {
      observed.restore();
    }
    expect(journal.stats.dropped).toBeGreaterThan(0);
    expect(logs.some((l) => l.level === 'warn' && /ring full/.test(l.message))).toBe(true);
    const afterStep2 = observed.seen.find((x) => x.step === 'after step 2')!;
    const loaded = restart(afterStep2.copy);
    expect(loaded.get(doomed)).toBeUndefined();
    expect(byKey(loaded.versions())).toEqual(byKey(kv.versions()));
    expectSameZone(restart(dir), kv);
  });

  it('close() leaves the state file holding everything and one empty journal', () => {
    const dir = tempDir();
    const { kv, journal, state } = journaled(dir, { sync: true, timeout: '1h' });
    kv.set('a', '1');
    kv.delete('a');
    kv.set('b', '2');
    journal.close();
    const journals = readdirSync(dir).filter((n) => n.includes('.journal-'));
    expect(journals).toHaveLength(1);
    expect(statSync(join(dir, journals[0]!)).size).toBeLessThan(64); // a header only
    expect(new StateStore(state, 'one').load({ nowMs: Date.now(), timeoutMs: 0, origin: 1 }, () => undefined, () => { throw new Error('the journal is not empty'); }).stateRecords).toBe(2);
    expectSameZone(restart(dir, { sync: true, timeout: '1h' }), kv);
  });
});

describe('damage and failures', () => {
  it('a torn journal tail at start: replayed up to the last whole entry, reported, then folded into a new state file', () => {
    const dir = tempDir();
    const { kv, journal } = journaled(dir);
    kv.set('a', '1');
    kv.set('b', '2');
    journal.flush();
    kv.set('c', '3');
    journal.flush();
    const [name] = readdirSync(dir).filter((n) => n.includes('.journal-'));
    const path = join(dir, name!);
    truncateSync(path, statSync(path).size - 3);
    const loaded = restart(dir);
    expect(byKey(loaded.entries()).map((e) => e.key)).toEqual(['a', 'b']);
    expect(loaded.lastLoad!.journals[0]!.scan).toMatchObject({ entries: 2, cut: { reason: 'torn' } });
    const again = new ZoneJournal({ handle: loaded.handle, newestGeneration: loaded.stateGeneration, fsync: { mode: 'off' }, logger: collector([]) });
    again.open();
    expect(existsSync(path)).toBe(false);
    const third = restart(dir);
    expect(byKey(third.entries()).map((e) => e.key)).toEqual(['a', 'b']);
    expect(third.lastLoad!.journals.every((j) => j.scan.cut === null)).toBe(true);
  });

  it('a state file NGINX Plus wrote is loaded, and the first compaction writes it back in zonesync\'s format', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'one.keyval'), JSON.stringify({ '10.0.0.1': 'blocked', 'example.com': 'v2' }));
    const { kv, state } = journaled(dir, { timeout: '1h' });
    expect(byKey(kv.entries()).map((e) => [e.key, e.value])).toEqual([['10.0.0.1', 'blocked'], ['example.com', 'v2']]);
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ format: 'zonesync-keyval-state', version: 2 });
    expectSameZone(restart(dir, { timeout: '1h' }), kv);
  });

  it('a directory that vanishes: the failure is logged once, retried every second, and the first success writes everything', () => {
    const dir = tempDir();
    const clock = { ms: 0 };
    // Compaction is due as soon as the journal outgrows the state file.
    const { kv, journal, logs } = journaled(dir, {}, { clock: () => clock.ms, compactMinBytes: 1 });
    kv.set('before', '1');
    journal.flush();
    rmSync(dir, { recursive: true });
    for (let i = 0; i < 8; i++) {
      clock.ms += 300;
      kv.set(`during-${i}`, String(i));
      journal.flush();
    }
    expect(logs.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(journal.stats.failures).toBeGreaterThan(1);
    mkdirSync(dir);
    clock.ms += 1_000;
    journal.flush();
    expect(logs.at(-1)).toMatchObject({ level: 'info', message: expect.stringMatching(/written again/) });
    expectSameZone(restart(dir), kv);
  });

  it.each<[string, ZoneJournalOptions['fsync'], number[]]>([
    ['off', { mode: 'off' }, [0, 0, 0, 0]],
    ['always', { mode: 'always' }, [1, 2, 2, 3]],
    ['interval=1s', { mode: 'interval', intervalMs: 1_000 }, [0, 1, 1, 1]],
  ])('fsync %s: journal fsyncs as the policy says', (_, fsync, expected) => {
    const dir = tempDir();
    const clock = { ms: 0 };
    const { kv, journal } = journaled(dir, {}, { clock: () => clock.ms, fsync });
    const fsyncs: number[] = [];
    kv.set('a', '1');
    journal.flush(); // a write at 0 ms
    fsyncs.push(journal.stats.fsyncs);
    clock.ms = 1_000;
    kv.set('b', '2');
    journal.flush(); // a write at 1 s
    fsyncs.push(journal.stats.fsyncs);
    clock.ms = 1_500;
    journal.flush(); // nothing to write
    fsyncs.push(journal.stats.fsyncs);
    kv.set('c', '3');
    journal.flush(); // a write at 1.5 s
    fsyncs.push(journal.stats.fsyncs);
    expect(fsyncs).toEqual(expected);
    expectSameZone(restart(dir), kv);
  });
});
