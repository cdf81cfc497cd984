// The journal thread, for real: worker threads write a journaled zone while it runs; what a
// restart from the files loads follows without anyone asking; its fsync policy changes
// live; a state directory it cannot write fails its start with the reason.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { startJournalThread } from '../../dist/journal/start-journal-thread.js';
import type { JournalThreadHandle } from '../../dist/journal/start-journal-thread.js';
import { KeyvalZone, createNodeContext } from '../../dist/zones/index.js';
import { waitFor } from '../runtime/cluster-helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'zonesync-journal-thread-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function zone(dir: string, opts: Partial<Parameters<typeof KeyvalZone.create>[0]> = {}): KeyvalZone {
  return KeyvalZone.create({ name: 'one', size: '1m', state: join(dir, 'one.keyval'), journal: true, node: createNodeContext(1), ...opts });
}

async function start(kv: KeyvalZone, fsync: Parameters<typeof startJournalThread>[0]['fsync'] = { mode: 'interval', intervalMs: 1_000 }): Promise<JournalThreadHandle> {
  const j = await startJournalThread({ zones: [{ handle: kv.handle, newestGeneration: kv.stateGeneration }], fsync });
  cleanups.push(() => (j.running ? j.stop() : undefined));
  return j;
}

const sorted = (kv: KeyvalZone) => kv.entries().map((e) => `${e.key}=${e.value}`).sort();

describe('journal thread', () => {
  it('keeps up with worker threads writing: a restart from the files loads what they wrote, without a stop', async () => {
    const dir = tempDir();
    const kv = zone(dir, { sync: true, timeout: '1h' });
    await start(kv);
    const workers = Array.from({ length: 3 }, (_, index) => new Worker(new URL('./workers/keyval-writer.mjs', import.meta.url), { workerData: { handle: kv.handle, index, count: 2000 } }));
    await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    })));
    await Promise.all(workers.map((w) => w.terminate()));
    expect(kv.entries()).toHaveLength(3 * (2000 - Math.ceil(2000 / 3)));
    await waitFor(() => sorted(zone(dir, { sync: true, timeout: '1h' })).join() === sorted(kv).join(), 10_000, () => 'the files never caught up with the zone');
  });

  it('stop() writes the state file holding everything; the next start loads it with nothing to replay', async () => {
    const dir = tempDir();
    const kv = zone(dir);
    const j = await start(kv);
    for (let i = 0; i < 500; i++) kv.set(`k${i}`, `v${i}`);
    for (let i = 0; i < 500; i += 5) kv.delete(`k${i}`);
    expect(await j.stop()).toEqual([]);
    expect(j.running).toBe(false);
    const again = zone(dir);
    expect(sorted(again)).toEqual(sorted(kv));
    expect(again.lastLoad!.journals.reduce((n, x) => n + x.scan.entries, 0)).toBe(0);
  });

  it('takes a new fsync policy live', async () => {
    const dir = tempDir();
    const kv = zone(dir);
    const j = await start(kv, { mode: 'off' });
    kv.set('a', '1');
    await waitFor(async () => (await j.stats()).one!.entries === 1, 5_000, () => 'the change never reached the journal');
    expect((await j.stats()).one!.fsyncs).toBe(0);
    j.setFsync({ mode: 'always' });
    kv.set('b', '2');
    await waitFor(async () => (await j.stats()).one!.fsyncs > 0, 5_000, () => 'no fsync after "always"');
  });

  it('a state directory that does not exist fails the start, naming it', async () => {
    const dir = tempDir();
    // The zone's creation takes the lock of its state file first: that is where it fails.
    expect(() => KeyvalZone.create({ name: 'one', size: '1m', state: join(dir, 'missing', 'one.keyval'), journal: true }))
      .toThrow(/keyval zone "one": cannot create ".*missing\/one\.keyval\.lock", the lock of its state file: ENOENT/);
  });

  it('a zone created with journal but no state is refused', () => {
    expect(() => KeyvalZone.create({ name: 'one', size: '1m', journal: true })).toThrow(/"journal" requires "state"/);
  });
});
