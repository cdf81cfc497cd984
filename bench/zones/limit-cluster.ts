import { RecordTally, SyncZone } from '../../dist/sync/sync-zone.js';
import { shareRoundMs } from '../../dist/zones/limit-req/share-rounds.js';
import { LimitReqZone, createNodeContext } from 'zonesync';
import { mergeFrames } from '../lib/frames.js';

const RATE = 100;
const WINDOW_MS = 10_000;
const BUFFERS = { count: 8, sizeBytes: 16 * 1024 };

export interface AdmissionRow {
  name: string;
  admitted: number;
  /** admitted ÷ (rate × time + burst). */
  ratio: number;
  /** Frame bytes a node sent per second (the key's shares), averaged over the nodes. */
  bytesPerSecond: number;
}

/**
 * How well a cluster holds limit_req's rate: nodes in this process, each a LimitReqZone on a
 * simulated clock (1 ms steps, no real time), exchanging records through the sync thread's
 * own path every limit_req round (SyncZone.collect, frames, FrameReader, SyncZone.merge): at
 * most 100 ms apart, a whole fraction of zone_sync_interval (share-rounds.ts).
 * Requests at `offered` × the rate over 10 simulated seconds, request n to node targetOf(n), no burst
 * (the admin guide's `limit_req zone=req;`). Returns admitted ÷ (rate × time + burst):
 * 1 is the rate exactly.
 */
export function benchLimitCluster(name: string, nodeCount: number, targetOf: (n: number) => number, offered: number, syncIntervalMs: number): AdmissionRow {
  const t = { now: 1_700_000_000_000 };
  const nodes = Array.from({ length: nodeCount }, (_, i) => {
    const zone = LimitReqZone.create({
      name: 'req', size: '1m', rate: `${RATE}r/s`, sync: true, node: createNodeContext(i + 1), now: () => t.now, syncInterval: syncIntervalMs,
    });
    return { zone, sync: new SyncZone(0, zone.handle.descriptor, 1000 + i, () => t.now, BUFFERS.count, BUFFERS.sizeBytes) };
  });
  const tally = new RecordTally();
  const onSkip = (): void => {
    throw new Error('record skipped');
  };
  const spacingMs = 1000 / (offered * RATE);
  let next = 0;
  const roundMs = shareRoundMs(syncIntervalMs);
  let admitted = 0;
  let sentBytes = 0;
  for (let ms = 0; ms < WINDOW_MS; ms++, t.now++) {
    for (; next * spacingMs < ms + 1; next++) if (nodes[targetOf(next)]!.zone.take('client').allowed) admitted++;
    if (ms % roundMs !== 0) continue;
    for (const from of nodes) {
      const chunks: Uint8Array[] = [];
      for (let bytes = from.sync.collect(t.now, tally, onSkip); bytes !== null; bytes = from.sync.collect(t.now, tally, onSkip)) {
        chunks.push(bytes.slice());
        sentBytes += bytes.length;
      }
      for (const to of nodes) if (to !== from) mergeFrames(chunks, to.sync, t.now, tally, BUFFERS.count * BUFFERS.sizeBytes);
    }
  }
  return {
    name, admitted, ratio: Math.round((admitted / ((RATE * WINDOW_MS) / 1000)) * 1000) / 1000,
    bytesPerSecond: Math.round(sentBytes / nodeCount / (WINDOW_MS / 1000)),
  };
}
