import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyvalZone, startJournalThread, type JournalThreadHandle } from 'zonesync';
import { runBench, type ResultRow } from '../lib/report.js';
import { KEY_COUNT, ZONE_BYTES, makeKeys, makeValue } from '../shm/workload.js';

const BATCH = 1000;
const ROUNDS = 3;

interface Pair { off: ResultRow; on: ResultRow }

/**
 * KeyvalZone.set (a rewrite of one of 100k keys) with journaling off and on: the same zone
 * without and with `state=` and `journal`, the node's journal thread running and writing
 * to a temporary directory with the default fsync policy (interval 1 s). What a write pays
 * is the append to the zone's change ring (and, in a zone that does not sync, a stamp from
 * the node clock rather than the wall clock), and the journal thread's share of the cores;
 * the disk is the journal thread's. The pair is measured in three rounds of alternating
 * order, and the round of the median ratio is reported. The "on" row's note says how many
 * changes the ring dropped (a snapshot then wrote them): none is the case measured.
 */
export async function benchKeyvalSetJournal(timeMs: number): Promise<{ local: Pair; synced: Pair }> {
  const dir = mkdtempSync(join(tmpdir(), 'zonesync-bench-journal-'));
  try {
    return {
      local: await pair(dir, 'local', timeMs, {}),
      synced: await pair(dir, 'synced', timeMs, { sync: true }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pair(dir: string, name: string, timeMs: number, extra: { sync?: boolean }): Promise<Pair> {
  const keys = makeKeys();
  const common = { size: ZONE_BYTES, timeout: '1h', ...extra };
  const off = KeyvalZone.create({ name: `${name}-off`, ...common });
  const on = KeyvalZone.create({ name: `${name}-on`, ...common, state: join(dir, `${name}.keyval`), journal: true });
  for (let i = 0; i < KEY_COUNT; i++) {
    off.set(keys[i]!, makeValue(i));
    on.set(keys[i]!, makeValue(i));
  }
  const journal: JournalThreadHandle = await startJournalThread({ zones: [{ handle: on.handle, newestGeneration: on.stateGeneration }], fsync: { mode: 'interval', intervalMs: 1_000 } });
  let c = 0;
  let n = 0;
  const label = extra.sync ? 'synced zone' : 'zone that does not sync';
  const tasks: Record<'off' | 'on', [string, () => void]> = {
    off: [`KeyvalZone.set, journaling off (${label})`, () => {
      for (let i = 0; i < BATCH; i++) {
        off.set(keys[c]!, makeValue(n++ & 0xffff));
        c = c + 7919 < KEY_COUNT ? c + 7919 : c + 7919 - KEY_COUNT;
      }
    }],
    on: [`KeyvalZone.set, journaling on (${label})`, () => {
      for (let i = 0; i < BATCH; i++) {
        on.set(keys[c]!, makeValue(n++ & 0xffff));
        c = c + 7919 < KEY_COUNT ? c + 7919 : c + 7919 - KEY_COUNT;
      }
    }],
  };
  try {
    // Rounds in alternating order, so that a busy spell of the machine does not fall on one side only.
    const rounds: Pair[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order: Array<'off' | 'on'> = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      const rows = await runBench(order.map((k) => tasks[k]), BATCH, timeMs / 2);
      rounds.push({ off: rows[order.indexOf('off')]!, on: rows[order.indexOf('on')]! });
    }
    const median = medianRound(rounds);
    const stats = (await journal.stats())[`${name}-on`]!;
    median.on.note = `median of ${ROUNDS} rounds; journal: ${stats.entries.toLocaleString('en-US')} changes, ${(stats.bytes / 2 ** 20).toFixed(0)} MiB, ${stats.compactions} compactions, ${stats.dropped} dropped`;
    return median;
  } finally {
    await journal.stop();
  }
}

/** The round whose on ÷ off ratio is the median. */
function medianRound(rounds: Pair[]): Pair {
  const sorted = [...rounds].sort((a, b) => a.on.opsPerSec / a.off.opsPerSec - b.on.opsPerSec / b.off.opsPerSec);
  return sorted[Math.floor(sorted.length / 2)]!;
}
