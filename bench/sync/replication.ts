// Records per second replicated from node A to node B over loopback, each node's sync in its
// own thread, the writer in this one: from the first write until B holds every record.
// With `tls`, over TLS (B listens with `listen … ssl`, A verifies B's certificate).
//
// On a machine with few cores the writer (zone.set, stamped by the shared clock) shares the
// CPUs with both sync threads and bounds this number, so two more figures go with it:
// measureLocalWrites, the same writes with no sync at all (the writer's own ceiling), and
// measureReplicationBacklog, the sync pipeline alone (collect → socket → merge) draining a
// backlog that A's output queues hold before its rounds start.
import { defaultSyncOptions, type SyncOptionsInput } from '../../dist/sync/index.js';
import { FAST_SYNC, VALUE, keyOf, makeNode, startNode, stopNode, waitUntil, write } from './nodes.js';

export async function measureReplication(records: number, tls: { listener: SyncOptionsInput; dialer: SyncOptionsInput } | null = null): Promise<number> {
  const a = makeNode(1, records);
  const b = makeNode(2, records);
  const bAddress = await startNode(b, { ...FAST_SYNC, ...tls?.listener });
  await startNode(a, { ...FAST_SYNC, ...tls?.dialer, servers: [bAddress] });
  await waitUntil(() => a.thread!.counters().status.nodes_online === 1, 10_000, 'A connected');
  const started = performance.now();
  for (let i = 0; i < records; i++) write(a, keyOf(i), VALUE);
  await waitUntil(() => b.zone.stats().records === records, 120_000, 'B to hold every record');
  const seconds = (performance.now() - started) / 1000;
  await stopNode(a);
  await stopNode(b);
  return records / seconds;
}

/** The writer of measureReplication alone: records per second written into a fresh zone, no sync thread. */
export function measureLocalWrites(records: number): number {
  const a = makeNode(1, records);
  const started = performance.now();
  for (let i = 0; i < records; i++) write(a, keyOf(i), VALUE);
  return records / ((performance.now() - started) / 1000);
}

/** A zone_sync_interval long enough that A runs no round while the backlog is written. */
const HOLD_INTERVAL_MS = 3_600_000;
/** Records replicated before the measurement, so that both sync threads run compiled code, as a running node's do. */
const WARMUP_RECORDS = 50_000;

/**
 * The sync pipeline without the writer: A and B first replicate WARMUP_RECORDS (not
 * measured); then A's zone_sync_interval is set to an hour, the records are written (they
 * wait in A's output queues), A's interval is set back to FAST_SYNC's (as a HUP would) and
 * the clock runs until B holds every record.
 */
export async function measureReplicationBacklog(records: number): Promise<number> {
  const a = makeNode(1, records + WARMUP_RECORDS);
  const b = makeNode(2, records + WARMUP_RECORDS);
  const bAddress = await startNode(b, FAST_SYNC);
  await startNode(a, { ...FAST_SYNC, servers: [bAddress] });
  await waitUntil(() => a.thread!.counters().status.nodes_online === 1, 10_000, 'A connected');
  for (let i = 0; i < WARMUP_RECORDS; i++) write(a, keyOf(records + i), VALUE);
  await waitUntil(() => b.zone.stats().records === WARMUP_RECORDS, 120_000, 'B to hold the warm-up records');
  const d = defaultSyncOptions();
  const timings = (intervalMs: number) => ({
    intervalMs, timeoutMs: d.timeoutMs, connectTimeoutMs: d.connectTimeoutMs, connectRetryIntervalMs: FAST_SYNC.connectRetryIntervalMs!,
  });
  a.thread!.setTimings(timings(HOLD_INTERVAL_MS));
  for (let i = 0; i < records; i++) write(a, keyOf(i), VALUE);
  if (a.zone.stats().pending !== records) throw new Error('A sent records before its interval was lengthened');
  const started = performance.now();
  a.thread!.setTimings(timings(FAST_SYNC.intervalMs!));
  await waitUntil(() => b.zone.stats().records === records + WARMUP_RECORDS, 120_000, 'B to hold every record');
  const seconds = (performance.now() - started) / 1000;
  await stopNode(a);
  await stopNode(b);
  return records / seconds;
}
