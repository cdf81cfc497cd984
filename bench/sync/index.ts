/**
 * The sync suite: `node dist-bench/sync/index.js [--quick]` (npm run bench:sync). Prints a
 * table, then one JSON line:
 * {"suite":"sync","ratios":{"replication_vs_loopback_copy":…,"tls_vs_tcp":…},"replication_records_per_s":…,
 *  "replication_with_writer_records_per_s":…,"replication_tls_records_per_s":…,"local_writes_records_per_s":…,
 *  "snapshot_1m_s":…,"relay_100k":{"records_per_s":…,"vs_snapshot":…},"propagation_ms":{"p50":…,"p99":…},
 *  "cluster_propagation_ms":{"zone":{"p50":…,"p99":…},"ipc":{…}},"results":[…]}
 * replication_records_per_s is the sync pipeline alone (collect → socket → merge) draining
 * records already queued on A, as the loopback copy it is compared with is a socket alone.
 * replication_with_writer_records_per_s adds the writer (this thread, sharing the cores
 * with both sync threads), and local_writes_records_per_s is that writer with no sync at all;
 * the TLS figure and tls_vs_tcp are measured with the writer (replication.ts).
 * The headline (and the loopback copy it is compared with) and the snapshot are of 1M
 * records in both modes: a smaller run gives a larger share to fixed costs (the first round's
 * timer, compiling the fresh sync thread), and extrapolating it multiplied them along with
 * the records. relay_100k is the relay of a closed peer's 100k records by a node to another
 * (relay.ts), against a snapshot of the same 100k records measured in the same run.
 * cluster_propagation is the latency between node:cluster workers sharing a zone
 * through startClusterMember, against the same change relayed by the primary over the
 * cluster's IPC (cluster-propagation.ts).
 * --quick shortens the rows with the writer and the propagation samples. Each
 * measurement runs in a process of its own (measure-one.ts).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printSummary, printTable, quick, ratio, type ResultRow } from '../lib/report.js';
import { CLUSTER_INTERVAL_MS, CLUSTER_MEMBERS, type Percentiles } from './cluster-propagation.js';
import type { MeasurementName } from './measure-one.js';
import { WIRE_RECORD_BYTES } from './nodes.js';

/** Records of the headline and the snapshot, in both modes. */
const HEADLINE_RECORDS = 1_000_000;
/** Records of the closed peer a relay passes on, and of the snapshot it is compared with. */
const RELAY_RECORDS = 100_000;
const replicationRecords = quick ? 200_000 : HEADLINE_RECORDS;
const propagationSamples = quick ? 200 : 1000;

/** Runs one measurement in a fresh process (measure-one.ts) and returns its value. */
function fork<T>(name: MeasurementName, count: number): T {
  const script = fileURLToPath(new URL('./measure-one.js', import.meta.url));
  const out = execFileSync(process.execPath, [script, name, String(count)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = out.trim().split('\n').pop()!;
  return (JSON.parse(last) as { value: T }).value;
}

const loopback = fork<number>('loopback', HEADLINE_RECORDS);
const replication = fork<number>('replication', replicationRecords);
const replicationTls = fork<number>('replication-tls', replicationRecords);
const replicationBacklog = fork<number>('replication-backlog', HEADLINE_RECORDS);
const localWrites = fork<number>('local-writes', replicationRecords);
const snapshot1m = fork<number>('snapshot', HEADLINE_RECORDS);
const snapshotRelayed = fork<number>('snapshot', RELAY_RECORDS);
const relay = fork<number>('relay', RELAY_RECORDS);
const propagation = fork<{ p50: number; p99: number }>('propagation', propagationSamples);
const clusterPropagation = fork<{ zone: Percentiles; ipc: Percentiles }>('cluster-propagation', propagationSamples);

const rows: ResultRow[] = [
  { name: `loopback socket copy (${WIRE_RECORD_BYTES} B records)`, opsPerSec: loopback },
  { name: `replication A → B (${HEADLINE_RECORDS} keyval records queued on A before its rounds start)`, opsPerSec: replicationBacklog, note: 'sync pipeline alone: the headline' },
  { name: `replication A → B while this thread writes (${replicationRecords} keyval records)`, opsPerSec: replication, note: 'writer, sender, receiver on the same cores' },
  { name: `replication A → B over TLS while this thread writes (${replicationRecords} keyval records)`, opsPerSec: replicationTls, note: `${ratio(replicationTls, replication).toFixed(2)} × TCP` },
  { name: `local writes alone (${replicationRecords} records, no sync)`, opsPerSec: localWrites, note: 'the writer of the rows above' },
  { name: `snapshot of ${HEADLINE_RECORDS} records to a fresh node`, opsPerSec: HEADLINE_RECORDS / snapshot1m, note: `${snapshot1m.toFixed(2)} s` },
  { name: `relay of a closed peer's ${RELAY_RECORDS} records to another node`, opsPerSec: RELAY_RECORDS / relay, note: `${relay.toFixed(2)} s; ${ratio(snapshotRelayed, relay).toFixed(2)} × a snapshot of them (${snapshotRelayed.toFixed(2)} s)` },
  { name: 'propagation at zone_sync_interval 10ms', opsPerSec: 0, note: `p50 ${propagation.p50} ms, p99 ${propagation.p99} ms` },
  { name: `node:cluster: IPC relay through the primary, worker → worker (${CLUSTER_MEMBERS} workers)`, opsPerSec: 0, note: `p50 ${clusterPropagation.ipc.p50} ms, p99 ${clusterPropagation.ipc.p99} ms` },
  { name: `node:cluster: zone write → other worker reads it, startClusterMember, zone_sync_interval ${CLUSTER_INTERVAL_MS}ms`, opsPerSec: 0, note: `p50 ${clusterPropagation.zone.p50} ms, p99 ${clusterPropagation.zone.p99} ms` },
];
printTable(rows);
printSummary({
  suite: 'sync',
  quick,
  ratios: {
    replication_vs_loopback_copy: ratio(replicationBacklog, loopback), tls_vs_tcp: ratio(replicationTls, replication),
    cluster_propagation_p50_vs_ipc_relay: ratio(clusterPropagation.zone.p50, clusterPropagation.ipc.p50),
    relay_vs_snapshot: ratio(snapshotRelayed, relay),
  },
  replication_records_per_s: Math.round(replicationBacklog),
  replication_with_writer_records_per_s: Math.round(replication),
  replication_tls_records_per_s: Math.round(replicationTls),
  local_writes_records_per_s: Math.round(localWrites),
  snapshot_1m_s: Math.round(snapshot1m * 1000) / 1000,
  relay_100k: { records_per_s: Math.round(RELAY_RECORDS / relay), vs_snapshot: ratio(snapshotRelayed, relay) },
  propagation_ms: propagation,
  cluster_propagation_ms: clusterPropagation,
  results: rows.map((r) => ({ name: r.name, ops_per_s: Math.round(r.opsPerSec), note: r.note })),
});
