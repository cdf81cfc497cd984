/**
 * The zones suite: `npm run bench:zones [-- --quick]`. Prints a table, then one JSON line:
 * {"suite":"zones","ratios":{"keyval_get_vs_map":…,"sticky_lookup_vs_map":…,"limit_take_vs_rlf_memory":…,
 *  "keyval_get_floor_vs_map":…,"keyval_get_vs_map_in_other_thread":…},"results":[…]}
 * The last two ratios are context, not targets: the floor is the least any get from shared
 * memory must do (read the key's characters, make the value's string), with nothing else;
 * the other is the same Map kept in one thread and asked over a MessagePort, which is how
 * threads share a Map without shared memory (keyval-get.ts).
 */
import { benchKeyvalGet } from './keyval-get.js';
import { benchLimitTake } from './limit-take.js';
import { benchStickyLookup } from './sticky-lookup.js';
import { printSummary, printTable, quick, ratio } from '../lib/report.js';

const timeMs = quick ? 1500 : 4000;
const keyval = await benchKeyvalGet(timeMs);
const sticky = await benchStickyLookup(timeMs);
const limit = await benchLimitTake(timeMs);
const rows = [keyval.map, keyval.zone, keyval.floor, keyval.remote, sticky.map, sticky.zone, limit.rlf, limit.zone];
printTable(rows);
printSummary({
  suite: 'zones',
  quick,
  ratios: {
    keyval_get_vs_map: ratio(keyval.zone.opsPerSec, keyval.map.opsPerSec),
    sticky_lookup_vs_map: ratio(sticky.zone.opsPerSec, sticky.map.opsPerSec),
    limit_take_vs_rlf_memory: ratio(limit.zone.opsPerSec, limit.rlf.opsPerSec),
    keyval_get_floor_vs_map: ratio(keyval.floor.opsPerSec, keyval.map.opsPerSec),
    keyval_get_vs_map_in_other_thread: ratio(keyval.zone.opsPerSec, keyval.remote.opsPerSec),
  },
  results: rows.map((r) => ({ name: r.name, ops_per_s: Math.round(r.opsPerSec), rme_percent: r.rmePercent })),
});
