/**
 * The zones suite: `npm run bench:zones [-- --quick]`. Prints a table, then one JSON line:
 * {"suite":"zones","ratios":{"keyval_get_vs_map":…,"sticky_lookup_vs_map":…,"limit_take_vs_rlf_memory":…,
 *  "keyval_set_journal_on_vs_off":…,"keyval_get_floor_vs_map":…,"keyval_get_vs_map_in_other_thread":…,
 *  "limit_cluster_admission_even_2x":…,"limit_cluster_admission_skewed_2x":…,
 *  "limit_cluster_admission_even_2x_1s":…,"limit_cluster_admission_skewed_2x_1s":…,
 *  "keyval_set_journal_on_vs_off_synced":…,"counter_add_vs_map":…,"counter_add_vs_rlf_memory":…},"results":[…]}
 * keyval_set_journal_on_vs_off is the cost of keeping a zone's state continuously
 * (keyval-set-journal.ts): KeyvalZone.set with the journal thread running ÷ without, in a
 * zone that does not sync (the dearer case: its writes then also take the node clock).
 * keyval_get_floor_vs_map and keyval_get_vs_map_in_other_thread are context, not targets:
 * the floor is the least any get from shared memory must do (read the key's characters,
 * make the value's string), with nothing else; the other is the same Map kept in one thread
 * and asked over a MessagePort, which is how threads share a Map without shared memory
 * (keyval-get.ts).
 * The limit_cluster_admission ratios are not speeds: admitted ÷ (rate × time + burst) of 2
 * limit_req nodes in this process on a simulated clock, at 2× the rate, traffic even or
 * 80/20, at zone_sync_interval 50ms and 1s (limit-cluster.ts; limit_req rounds at most
 * 100 ms apart, so 1s sends shares every 100 ms); 1 is the rate exactly. The table also shows
 * the frame bytes a node sends per second for the key.
 * counter_add_vs_map and counter_add_vs_rlf_memory: CounterZone.add (the rate-limiter
 * adapters' operation) ÷ a thread-local Map increment and ÷ RateLimiterMemory.consume
 * (counter-add.ts).
 */
import { benchCounterAdd } from './counter-add.js';
import { benchKeyvalGet } from './keyval-get.js';
import { benchLimitCluster } from './limit-cluster.js';
import { benchKeyvalSetJournal } from './keyval-set-journal.js';
import { benchLimitTake } from './limit-take.js';
import { benchStickyLookup } from './sticky-lookup.js';
import { printSummary, printTable, quick, ratio } from '../lib/report.js';

const timeMs = quick ? 1500 : 4000;
const keyval = await benchKeyvalGet(timeMs);
const sticky = await benchStickyLookup(timeMs);
const limit = await benchLimitTake(timeMs);
const journal = await benchKeyvalSetJournal(timeMs);
const counter = await benchCounterAdd(timeMs);
const rows = [
  keyval.map, keyval.zone, keyval.floor, keyval.remote, sticky.map, sticky.zone, limit.rlf, limit.zone,
  journal.local.off, journal.local.on, journal.synced.off, journal.synced.on, counter.map, counter.zone, counter.rlf,
];
printTable(rows);
const even = (n: number): number => n % 2;
const skewed = (n: number): number => (n % 5 === 4 ? 1 : 0);
const admission = [
  benchLimitCluster('limit_req cluster admission, 2 in-process nodes, simulated clock: even, 2x, interval 50ms', 2, even, 2, 50),
  benchLimitCluster('limit_req cluster admission, 2 in-process nodes, simulated clock: 80/20, 2x, interval 50ms', 2, skewed, 2, 50),
  benchLimitCluster('limit_req cluster admission, 2 in-process nodes, simulated clock: even, 2x, interval 1s', 2, even, 2, 1000),
  benchLimitCluster('limit_req cluster admission, 2 in-process nodes, simulated clock: 80/20, 2x, interval 1s', 2, skewed, 2, 1000),
];
console.table(admission.map((a) => ({ name: a.name, admitted: a.admitted, 'admitted / (rate x time + burst)': a.ratio, 'frame bytes/s per node': a.bytesPerSecond })));
printSummary({
  suite: 'zones',
  quick,
  ratios: {
    keyval_get_vs_map: ratio(keyval.zone.opsPerSec, keyval.map.opsPerSec),
    sticky_lookup_vs_map: ratio(sticky.zone.opsPerSec, sticky.map.opsPerSec),
    limit_take_vs_rlf_memory: ratio(limit.zone.opsPerSec, limit.rlf.opsPerSec),
    keyval_set_journal_on_vs_off: ratio(journal.local.on.opsPerSec, journal.local.off.opsPerSec),
    keyval_get_floor_vs_map: ratio(keyval.floor.opsPerSec, keyval.map.opsPerSec),
    keyval_get_vs_map_in_other_thread: ratio(keyval.zone.opsPerSec, keyval.remote.opsPerSec),
    limit_cluster_admission_even_2x: admission[0]!.ratio,
    limit_cluster_admission_skewed_2x: admission[1]!.ratio,
    limit_cluster_admission_even_2x_1s: admission[2]!.ratio,
    limit_cluster_admission_skewed_2x_1s: admission[3]!.ratio,
    keyval_set_journal_on_vs_off_synced: ratio(journal.synced.on.opsPerSec, journal.synced.off.opsPerSec),
    counter_add_vs_map: ratio(counter.zone.opsPerSec, counter.map.opsPerSec),
    counter_add_vs_rlf_memory: ratio(counter.zone.opsPerSec, counter.rlf.opsPerSec),
  },
  results: rows.map((r) => ({ name: r.name, ops_per_s: Math.round(r.opsPerSec), rme_percent: r.rmePercent })),
});
