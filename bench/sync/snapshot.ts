// Seconds to snapshot `records` records from a full node A to a fresh node B.
import { FAST_SYNC, VALUE, keyOf, makeNode, startNode, stopNode, waitUntil, write } from './nodes.js';

export async function measureSnapshot(records: number): Promise<number> {
  const a = makeNode(1, records);
  const b = makeNode(2, records);
  for (let i = 0; i < records; i++) write(a, keyOf(i), VALUE);
  const bAddress = await startNode(b, FAST_SYNC);
  const started = performance.now();
  await startNode(a, { ...FAST_SYNC, servers: [bAddress] });
  await waitUntil(() => b.zone.stats().records === records, 120_000, 'B to hold the snapshot');
  const seconds = (performance.now() - started) / 1000;
  await stopNode(a);
  await stopNode(b);
  return seconds;
}
