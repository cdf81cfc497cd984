// A member of the cluster-propagation measurement (cluster-propagation.ts), forked by its
// node:cluster primary: a process sharing one keyval zone with the others through
// startClusterMember. The writer stamps each probe with its wall-clock time; the reader
// reports how long after that stamp it saw it, for a write through the zone and for the
// same stamp relayed over the cluster's IPC by the primary.
import { startClusterMember } from '../../dist/index.js';

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes of a host. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

export type ToMember =
  | { kind: 'write'; probe: number }
  | { kind: 'expect'; probe: number }
  | { kind: 'relayed'; probe: number; stampMs: number }
  | { kind: 'ipc'; probe: number };
export type FromMember =
  | { kind: 'ready' }
  | { kind: 'seen'; probe: number; latencyMs: number }
  | { kind: 'ipc'; probe: number; stampMs: number };

const intervalMs = Number(process.env.BENCH_INTERVAL_MS);
const node = await startClusterMember({
  zones: [{ kind: 'keyval', name: 'probe', sizeBytes: 1 << 20, timeoutMs: 3_600_000, sync: true }],
  stream: { sync: { intervalMs, connectRetryIntervalMs: 50 } },
}, { socketDir: process.env.BENCH_SOCKET_DIR! });
const zone = node.zones.keyval.get('probe')!;
const send = (message: FromMember) => process.send!(message);

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Reads the zone every 0.1 ms until the probe's value is there (as the two-node propagation row does). */
function watch(probe: number): void {
  const prefix = `${probe}:`;
  let value = zone.get('p');
  while (!value?.startsWith(prefix)) {
    Atomics.wait(pause, 0, 0, 0.1);
    value = zone.get('p');
  }
  send({ kind: 'seen', probe, latencyMs: wallMs() - Number(value.slice(prefix.length)) });
}

process.on('message', (message: ToMember) => {
  switch (message.kind) {
    case 'write': zone.set('p', `${message.probe}:${wallMs()}`); return;
    case 'expect': watch(message.probe); return;
    case 'ipc': send({ kind: 'ipc', probe: message.probe, stampMs: wallMs() }); return;
    case 'relayed': send({ kind: 'seen', probe: message.probe, latencyMs: wallMs() - message.stampMs }); return;
  }
});
send({ kind: 'ready' });
