// Latency from a write on A until B holds it, with zone_sync_interval 10ms, one write at a time.
import { zoneGet } from '../lib/shm-strings.js';
import { makeNode, startNode, stopNode, waitUntil, write } from './nodes.js';

const spin = new Int32Array(new SharedArrayBuffer(4));

export async function measurePropagation(samples: number): Promise<{ p50: number; p99: number }> {
  const a = makeNode(1, 1000);
  const b = makeNode(2, 1000);
  const bAddress = await startNode(b, { intervalMs: 10 });
  await startNode(a, { intervalMs: 10, servers: [bAddress] });
  await waitUntil(() => a.thread!.counters().status.nodes_online === 1, 10_000, 'A connected');
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const value = `value-${i}`;
    const started = performance.now();
    write(a, 'probe', value);
    while (zoneGet(b.zone, 'probe') !== value) Atomics.wait(spin, 0, 0, 0.1);
    latencies.push(performance.now() - started);
    Atomics.wait(spin, 0, 0, Math.random() * 10); // writes land anywhere in the interval
  }
  await stopNode(a);
  await stopNode(b);
  latencies.sort((x, y) => x - y);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 100) / 100;
  return { p50: at(0.5), p99: at(0.99) };
}
