/**
 * The sync thread's two record paths alone, in one thread, no sockets:
 * `node dist-bench/sync/collect-merge.js [records]`.
 *   collect: node A's output queues → frames (SyncZone.collect), FAST_SYNC buffers;
 *   merge:   those frames → FrameReader → node B (SyncZone.merge);
 *   snapshot: SnapshotSender over A → frames; then merged into a fresh zone.
 * Prints records per CPU second of each.
 */
import { RecordTally, SyncZone } from '../../dist/sync/sync-zone.js';
import { SnapshotSender } from '../../dist/sync/snapshot.js';
import { mergeFrames } from '../lib/frames.js';
import { FAST_SYNC, VALUE, keyOf, makeNode, write, type BenchNode } from './nodes.js';

const records = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 4);
const { count, sizeBytes } = FAST_SYNC.buffers as { count: number; sizeBytes: number };
const onSkip = (): void => {
  throw new Error('record skipped');
};

function syncZone(node: BenchNode, ownerId: number): SyncZone {
  return new SyncZone(0, node.descriptors[0]!, ownerId, Date.now, count, sizeBytes);
}

function mergeAll(chunks: readonly Uint8Array[], into: SyncZone, tally: RecordTally): void {
  mergeFrames(chunks, into, Date.now(), tally, count * sizeBytes);
}

/** CPU seconds of this process since `started` (a process.cpuUsage()): steadier than wall time on a shared machine. */
function seconds(started: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1e6;
}

function rate(n: number, s: number): string {
  return `${Math.round(n / s).toLocaleString('en-US')} records/s (${(s * 1000).toFixed(0)} ms)`;
}

const phases = ['write', 'collect', 'merge', 'snapshot encode', 'snapshot merge'] as const;
const rates = new Map<string, number[]>(phases.map((p) => [p, []]));

for (let run = 0; run < runs; run++) {
  const a = makeNode(1, records);
  const b = makeNode(2, records);
  const c = makeNode(3, records);
  let started = process.cpuUsage();
  for (let i = 0; i < records; i++) write(a, keyOf(i), VALUE);
  const writeS = seconds(started);

  const za = syncZone(a, 101);
  const tally = new RecordTally();
  const chunks: Uint8Array[] = [];
  started = process.cpuUsage();
  for (;;) {
    const bytes = za.collect(Date.now(), tally, onSkip);
    if (bytes === null) break;
    chunks.push(bytes.slice()); // the round buffer is reused by the next collect
  }
  const collectS = seconds(started);
  if (tally.recordsOut !== records) throw new Error(`collected ${tally.recordsOut}`);

  const zb = syncZone(b, 102);
  started = process.cpuUsage();
  mergeAll(chunks, zb, tally);
  const mergeS = seconds(started);
  if (b.zone.stats().records !== records) throw new Error(`merged ${b.zone.stats().records}`);

  const snapshot = new SnapshotSender([za], sizeBytes, FAST_SYNC.snapshotStepRecords!, onSkip);
  const snapChunks: Uint8Array[] = [];
  started = process.cpuUsage();
  for (let next = snapshot.next(); next !== null; next = snapshot.next()) snapChunks.push(...next);
  const snapS = seconds(started);
  const zc = syncZone(c, 103);
  started = process.cpuUsage();
  mergeAll(snapChunks, zc, tally);
  const snapMergeS = seconds(started);
  if (c.zone.stats().records !== records) throw new Error(`snapshot merged ${c.zone.stats().records}`);

  if (run > 0) [writeS, collectS, mergeS, snapS, snapMergeS].forEach((s, i) => rates.get(phases[i]!)!.push(records / s));
  console.log(`run ${run}: write ${rate(records, writeS)}; collect ${rate(records, collectS)}; merge ${rate(records, mergeS)}; `
    + `snapshot encode ${rate(records, snapS)}; snapshot merge ${rate(records, snapMergeS)}`);
}

const median = (xs: number[]): number => xs.sort((x, y) => x - y)[xs.length >> 1]!;
console.log(`median of runs 1..${runs - 1}: ${phases.map((p) => `${p} ${Math.round(median(rates.get(p)!)).toLocaleString('en-US')}/s`).join('; ')}`);
