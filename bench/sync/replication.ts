// Records per second replicated from node A to node B over loopback, each node's sync in its
// own thread, the writer in this one: from the first write until B holds every record.
// With `tls`, over TLS (B listens with `listen … ssl`, A verifies B's certificate).
import type { SyncOptionsInput } from '../../dist/sync/index.js';
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
