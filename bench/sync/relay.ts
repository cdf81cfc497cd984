// Seconds for a relay of `records` records (src/sync/relays.ts): node P (id 1) dials node R
// alone and hands it `records` records by snapshot; R already dials node T, which therefore
// has none of them (rounds carry a node's own changes only). P stops: R's link from P
// closes, and R relays P's records to T. Measured from the close (R's inbound_online falls
// to 0, in the same call that starts the relay) to T holding them all: the walk of R's
// zone, the frames to T and T's merge.
import { FAST_SYNC, VALUE, keyOf, makeNode, startNode, stopNode, waitUntil, write } from './nodes.js';

export async function measureRelay(records: number): Promise<number> {
  const [p, r, t] = [makeNode(1, records), makeNode(2, records), makeNode(3, records)];
  for (let i = 0; i < records; i++) write(p, keyOf(i), VALUE);
  const tAddress = await startNode(t, FAST_SYNC);
  const rAddress = await startNode(r, { ...FAST_SYNC, servers: [tAddress] });
  await startNode(p, { ...FAST_SYNC, servers: [rAddress] });
  await waitUntil(() => r.zone.stats().records === records, 120_000, 'R to hold P\'s snapshot');
  if (t.zone.stats().records !== 0) throw new Error('T got P\'s records before the relay');
  const stopped = stopNode(p);
  await waitUntil(() => r.thread!.counters().extra.inbound_online === 0, 60_000, 'R to see P\'s link close');
  const started = performance.now();
  await waitUntil(() => t.zone.stats().records === records, 120_000, 'T to hold the relayed records');
  const seconds = (performance.now() - started) / 1000;
  await stopped;
  await stopNode(r);
  await stopNode(t);
  return seconds;
}
