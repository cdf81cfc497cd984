// bytes_in, bytes_out, msgs_in and msgs_out of /api/9/stream/zone_sync count the cluster's
// traffic: connections from their HELLO exchange on. A node dialling itself, a dial an
// access rule refuses, a plain dial to a TLS listener and a TLS dial refused for want of a
// client certificate are retried every 200 ms and count nothing, on either end. Real node
// processes; a raw peer's HELLO then shows what one real exchange counts.
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestCerts } from '../util/certs.js';
import { RawPeer, helloFrame } from '../util/raw-peer.js';
import { NodeProcess, api, clusterConfig, freePorts, tempDir, waitFor, writeConfig, type NodePorts } from './cluster-helpers.js';

const running: NodeProcess[] = [];
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  for (const c of cleanups.splice(0)) await c();
});

interface Traffic { bytes_in: number; bytes_out: number; msgs_in: number; msgs_out: number }
interface PeerView { address: string; direction: string; state: string; lastError: string | null }

async function zoneSync(http: number): Promise<{ status: Traffic; peers: PeerView[] }> {
  return (await api(http, '/api/9/stream/zone_sync')).body;
}

function traffic(status: Traffic): Traffic {
  const { bytes_in, bytes_out, msgs_in, msgs_out } = status;
  return { bytes_in, bytes_out, msgs_in, msgs_out };
}

const NONE: Traffic = { bytes_in: 0, bytes_out: 0, msgs_in: 0, msgs_out: 0 };

describe('zone_sync traffic counters', () => {
  it('count nothing for self-detection, a dial denied by allow/deny, a plain dial to TLS, a TLS dial refused', async () => {
    const certs = makeTestCerts();
    cleanups.push(() => certs.cleanup());
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const ports = await freePorts(8);
    const [self, denying, tls, client] = [0, 1, 2, 3].map((i): NodePorts => ({ http: ports[2 * i]!, sync: ports[2 * i + 1]! }));
    const one = (text: string): string => text.replace('worker_processes 2;', 'worker_processes 1;');
    const configs = {
      // Dials itself (self-detected) and the denying node.
      self: one(clusterConfig(self!, [self!, denying!])),
      // Every dial on loopback comes from 127.0.0.1: it refuses everyone, itself included.
      denying: one(clusterConfig(denying!, [denying!], '', 'deny 127.0.0.1; allow all;')),
      // A TLS listener that wants a client certificate; it dials itself in plain TCP.
      tls: one(clusterConfig(tls!, [tls!], '', `ssl_certificate ${certs.good.cert}; ssl_certificate_key ${certs.good.key};
        ssl_verify_client on; ssl_trusted_certificate ${certs.ca.cert};`))
        .replace(`listen 127.0.0.1:${tls!.sync};`, `listen 127.0.0.1:${tls!.sync} ssl;`),
      // Dials the TLS listener with TLS but no client certificate.
      client: one(clusterConfig(client!, [tls!], '', 'zone_sync_ssl on;')),
    };
    const nodes = { self: self!, denying: denying!, tls: tls!, client: client! };
    const procs = Object.fromEntries(Object.entries(configs).map(([name, text]) => [name, new NodeProcess(writeConfig(dir, `${name}.conf`, text))]));
    running.push(...Object.values(procs));
    await Promise.all(Object.values(procs).map((p) => p.ready()));

    const failing = async (node: NodePorts, address: string): Promise<boolean> =>
      (await zoneSync(node.http)).peers.some((p) => p.direction === 'outbound' && p.address === address && p.lastError !== null);
    const at = (p: NodePorts): string => `127.0.0.1:${p.sync}`;
    await waitFor(async () => (await zoneSync(self!.http)).peers.some((p) => p.address === at(self!) && p.state === 'self'), 20_000, () => procs.self!.output);
    await waitFor(() => failing(self!, at(denying!)), 20_000, () => procs.self!.output);
    await waitFor(() => failing(denying!, at(denying!)), 20_000, () => procs.denying!.output);
    await waitFor(() => failing(tls!, at(tls!)), 20_000, () => procs.tls!.output);
    await waitFor(() => failing(client!, at(tls!)), 20_000, () => procs.client!.output);
    await waitFor(() => /refused: no client certificate/.test(procs.tls!.output), 20_000, () => procs.tls!.output);
    await new Promise((r) => setTimeout(r, 1000)); // several more retries of every refused dial

    for (const [name, node] of Object.entries(nodes)) {
      expect(traffic((await zoneSync(node.http)).status), `${name}\n${procs[name]!.output}`).toEqual(NONE);
    }

    // One real HELLO exchange, with a raw peer: exactly its two HELLOs are counted.
    const peer = await RawPeer.open(at(self!));
    cleanups.push(() => peer.destroy());
    const hello = helloFrame(0x7777);
    peer.send(hello);
    await waitFor(() => peer.received.length === 1, 10_000, () => 'no HELLO back');
    const counted = traffic((await zoneSync(self!.http)).status);
    expect(counted.msgs_in).toBe(1);
    expect(counted.bytes_in).toBe(hello.length);
    expect(counted.msgs_out).toBe(1);
    expect(counted.bytes_out).toBeGreaterThan(12);
  }, 60_000);
});
