// Latency of a change between the processes of one host (node:cluster workers sharing a
// zone through startClusterMember, a full mesh over unix sockets): from a write in member 0 until
// member 1 reads it, one write at a time at a random moment of the zone_sync_interval. The
// baseline, in the same run, is the way node:cluster services pass a change today: the
// writer's message relayed by the primary over the cluster's IPC to the reader.
import cluster from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkClusterMembers } from '../../dist/index.js';
import type { FromMember, ToMember } from './cluster-worker.js';

export const CLUSTER_MEMBERS = 3;
export const CLUSTER_INTERVAL_MS = 10;

export interface Percentiles { p50: number; p99: number }

export async function measureClusterPropagation(samples: number): Promise<{ zone: Percentiles; ipc: Percentiles }> {
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./cluster-worker.js', import.meta.url)) });
  const socketDir = mkdtempSync(join(tmpdir(), 'zonesync-bench-'));
  const members = forkClusterMembers(CLUSTER_MEMBERS, { env: { BENCH_SOCKET_DIR: socketDir, BENCH_INTERVAL_MS: String(CLUSTER_INTERVAL_MS) } });
  const writer = members.workers.get(0)!;
  const reader = members.workers.get(1)!;
  const waiting = new Map<number, (latencyMs: number) => void>();
  let ready = 0;
  const allReady = new Promise<void>((resolve) => {
    for (const worker of members.workers.values()) {
      worker.on('message', (message: FromMember) => {
        if (message.kind === 'ready' && ++ready === CLUSTER_MEMBERS) resolve();
        if (message.kind === 'seen') waiting.get(message.probe)?.(message.latencyMs);
        if (message.kind === 'ipc') reader.send({ kind: 'relayed', probe: message.probe, stampMs: message.stampMs } satisfies ToMember);
      });
    }
  });
  await allReady;
  const seen = (probe: number) => new Promise<number>((resolve) => waiting.set(probe, resolve));
  const measure = async (first: number, send: (probe: number) => void): Promise<Percentiles> => {
    const latencies: number[] = [];
    for (let probe = first; probe < first + samples; probe++) {
      const latency = seen(probe);
      send(probe);
      latencies.push(await latency);
      await new Promise((r) => setTimeout(r, Math.random() * CLUSTER_INTERVAL_MS)); // writes land anywhere in the interval
    }
    return percentiles(latencies);
  };
  // Warm-up: the mesh connected (every member dialled every other) and the first snapshot sent.
  await measure(-samples, (probe) => { reader.send({ kind: 'expect', probe } satisfies ToMember); writer.send({ kind: 'write', probe } satisfies ToMember); });
  const ipc = await measure(samples, (probe) => writer.send({ kind: 'ipc', probe } satisfies ToMember));
  const zone = await measure(2 * samples, (probe) => {
    reader.send({ kind: 'expect', probe } satisfies ToMember);
    writer.send({ kind: 'write', probe } satisfies ToMember);
  });
  await members.stop();
  rmSync(socketDir, { recursive: true, force: true });
  return { zone, ipc };
}

function percentiles(latencies: number[]): Percentiles {
  latencies.sort((x, y) => x - y);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 100) / 100;
  return { p50: at(0.5), p99: at(0.99) };
}
