// The sync listener of a real node process under clients that do not play by the rules:
// a peer that says HELLO, floods PINGs and never reads the PONGs; 2000 connections at once
// (to a plain and to a TLS listener); slowloris before and after HELLO; garbage and
// truncated frames. After each, the node is alive, its resident memory (VmRSS of
// /proc/PID/status, sampled during the attack) stayed under the bound of docs/PROTOCOL.md
// "Limits", and it still syncs with an honest node.
import { readFileSync } from 'node:fs';
import { makeTestCerts, type TestCerts } from '../util/certs.js';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloFrame, pingFrame, rawFrame } from '../util/raw-peer.js';
import { NodeProcess, api, clusterConfig, freePorts, tempDir, waitFor, writeConfig, type NodePorts } from './cluster-helpers.js';

/** What the attacked node may grow by over its resident size at rest (docs/PROTOCOL.md "Limits"). */
const RSS_GROWTH_BOUND_MB = 128;

let dir: { dir: string; cleanup: () => void };
let certs: TestCerts;
/** The attacked node, and the honest node it syncs with. */
let nodes: NodePorts[];
let procs: NodeProcess[];
/** A node with a TLS listener, alone. */
let tlsNode: NodePorts;
let tlsProc: NodeProcess;
let restMb = 0;

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** Samples the RSS of the process `pid` (by default the attacked node) while `attack` runs; returns the peak in MB. */
async function peakRssDuring(attack: () => Promise<void>, pid = procs[0]!.child.pid!): Promise<number> {
  let peak = rssMb(pid);
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // the process is gone: the test's checks below say so
    }
  }, 25);
  try {
    await attack();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, rssMb(pid));
}

let keyCounter = 0;
/** The node is alive and syncs both ways with the honest node. */
async function stillSyncing(): Promise<void> {
  expect(procs[0]!.child.exitCode).toBeNull();
  for (const [from, to] of [[0, 1], [1, 0]] as const) {
    const key = `alive${keyCounter++}`;
    const post = await api(nodes[from]!.http, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify({ [key]: 'yes' }) });
    expect(post.status).toBe(201);
    await waitFor(async () => (await api(nodes[to]!.http, '/api/9/http/keyvals/one')).body[key] === 'yes', 15_000,
      () => `${key} did not reach node ${to}:\n${procs[0]!.output.slice(-4000)}`);
  }
}

/** A raw client socket to the attacked node (or `port`), connected; it never reads unless told (`read`). */
function open(read = false, port = nodes[0]!.sync): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  if (read) socket.resume();
  else socket.pause();
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function report(what: string, rest: number, peak: number): void {
  console.log(`${what}: RSS at rest ${rest.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`);
}

/**
 * Opens `count` connections to `port`, all held open together; returns them once the
 * listener has closed every one beyond its limit. They are opened 200 at a time, within the
 * kernel's accept queue (511), which would otherwise leave some half-open for seconds.
 */
async function connectionStorm(count: number, port: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  while (sockets.length < count) sockets.push(...await Promise.all(Array.from({ length: Math.min(200, count - sockets.length) }, () => open(true, port))));
  await waitFor(() => sockets.filter((s) => s.destroyed).length >= count - MAX_INBOUND, 10_000,
    () => `${sockets.filter((s) => s.destroyed).length} of ${count} closed`);
  return sockets;
}

/** The listener's limit (docs/PROTOCOL.md "Limits"). */
const MAX_INBOUND = 1024;

beforeAll(async () => {
  dir = tempDir();
  certs = makeTestCerts();
  const ports = await freePorts(6);
  nodes = [{ http: ports[0]!, sync: ports[1]! }, { http: ports[2]!, sync: ports[3]! }];
  tlsNode = { http: ports[4]!, sync: ports[5]! };
  // zone_sync_timeout at its default (5 s); a short connect timeout keeps the file fast.
  const one = (text: string): string => text.replace('worker_processes 2;', 'worker_processes 1;');
  procs = nodes.map((p, i) => new NodeProcess(writeConfig(dir.dir, `n${i}.conf`, one(clusterConfig(p, nodes, '', 'zone_sync_connect_timeout 2s;')))));
  tlsProc = new NodeProcess(writeConfig(dir.dir, 'tls.conf', one(clusterConfig(tlsNode, [tlsNode], '',
    `ssl_certificate ${certs.good.cert}; ssl_certificate_key ${certs.good.key}; ssl_handshake_timeout 2s;`))
    .replace(`listen 127.0.0.1:${tlsNode.sync};`, `listen 127.0.0.1:${tlsNode.sync} ssl;`)));
  await Promise.all([...procs, tlsProc].map((p) => p.ready()));
  await stillSyncing();
  restMb = rssMb(procs[0]!.child.pid!);
}, 30_000);

afterAll(async () => {
  await Promise.all([...procs, tlsProc].map((p) => p.stop()));
  dir.cleanup();
  certs.cleanup();
});

describe('a live listener under hostile clients', () => {
  it('HELLO, then PINGs flooded and PONGs never read: closed as a slow peer, memory bounded', async () => {
    const pings = Buffer.concat(Array.from({ length: 3000 }, () => pingFrame()));
    let sent = 0;
    const peak = await peakRssDuring(async () => {
      const socket = await open();
      socket.write(helloFrame(0x5150));
      const until = Date.now() + 12_000;
      // Tens of MB/s of PINGs, paced: more than a node answering each PING could take (it
      // held 400 MB after 5 s of this before PONGs were bounded), without taking every core
      // of the machine the other tests run on.
      while (!socket.destroyed && Date.now() < until) {
        if (!socket.write(pings)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed(socket), sleep(200)]);
        else await sleep(1);
        sent += pings.length;
      }
      expect(socket.destroyed, `the node never closed the flooding peer (${sent} bytes of PINGs sent)`).toBe(true);
      socket.destroy();
    });
    report(`PING flood, ${(sent / 1e6).toFixed(0)} MB of PINGs`, restMb, peak);
    expect(peak - restMb).toBeLessThan(RSS_GROWTH_BOUND_MB);
    await waitFor(() => /zone_sync peer does not read/.test(procs[0]!.output), 5000, () => procs[0]!.output.slice(-3000));
    await stillSyncing();
  }, 30_000);

  it('2000 connections at once: at most 1024 held (the rest closed at once), memory bounded', async () => {
    let held = 0;
    const peak = await peakRssDuring(async () => {
      const sockets = await connectionStorm(2000, nodes[0]!.sync);
      held = sockets.filter((s) => !s.destroyed).length;
      await Promise.all(sockets.map(closed)); // zone_sync_connect_timeout closes the rest
    });
    report('2000 connections', restMb, peak);
    expect(held).toBeLessThanOrEqual(MAX_INBOUND);
    expect(peak - restMb).toBeLessThan(RSS_GROWTH_BOUND_MB);
    await stillSyncing();
  }, 30_000);

  it('2000 connections at once to a TLS listener, none starting its handshake: at most 1024 held', async () => {
    const pid = tlsProc.child.pid!;
    const rest = rssMb(pid);
    let held = 0;
    const peak = await peakRssDuring(async () => {
      const sockets = await connectionStorm(2000, tlsNode.sync);
      held = sockets.filter((s) => !s.destroyed).length;
      for (const s of sockets) s.destroy();
      await Promise.all(sockets.map(closed));
    }, pid);
    report('2000 connections to TLS', rest, peak);
    expect(held).toBeLessThanOrEqual(MAX_INBOUND);
    expect(peak - rest).toBeLessThan(RSS_GROWTH_BOUND_MB);
    expect(tlsProc.child.exitCode).toBeNull();
    // The limit frees up: a connection now gets a TLS handshake.
    const hello = await open(true, tlsNode.sync);
    hello.write(helloFrame(0x7100)); // not TLS: refused by the handshake, not by the limit
    await closed(hello);
    await waitFor(() => /zone_sync TLS connection from .* refused/.test(tlsProc.output), 5000, () => tlsProc.output.slice(-3000));
  }, 30_000);

  it('slowloris before HELLO (a byte every 300 ms, 1000 connections): closed at zone_sync_connect_timeout, memory bounded', async () => {
    const hello = helloFrame(0x5151);
    const peak = await peakRssDuring(async () => {
      const sockets = await Promise.all(Array.from({ length: 1000 }, () => open(true)));
      for (let at = 0; at < hello.length && sockets.some((s) => !s.destroyed); at++) {
        for (const s of sockets) if (!s.destroyed) s.write(hello.subarray(at, at + 1));
        await sleep(300);
      }
      expect(sockets.every((s) => s.destroyed), 'a connection that never completed its HELLO was kept').toBe(true);
    });
    report('slowloris before HELLO', restMb, peak);
    expect(peak - restMb).toBeLessThan(RSS_GROWTH_BOUND_MB);
    await stillSyncing();
  }, 30_000);

  it('slowloris after HELLO (the longest frame allowed, all but its end, then a byte every 300 ms; 1000 connections): memory bounded', async () => {
    // A frame as long as the receive buffer allows (zone_sync_recv_buffer_size, 32 KiB by
    // default), sent but for its last 100 bytes: the node holds a full receive buffer each.
    const frameBytes = 32 * 1024;
    const start = rawFrame(frameBytes, 1, 2, 1, 1, new Uint8Array(frameBytes - 12 - 100).fill(0x6f));
    let held = 0;
    const peak = await peakRssDuring(async () => {
      const sockets: Socket[] = [];
      while (sockets.length < 1000) sockets.push(...await Promise.all(Array.from({ length: 200 }, () => open(true))));
      sockets.forEach((s, i) => s.write(Buffer.concat([helloFrame(0x6000 + i), start])));
      for (let i = 0; i < 10; i++) {
        for (const s of sockets) if (!s.destroyed) s.write(new Uint8Array([0x55]));
        await sleep(300);
      }
      held = sockets.filter((s) => !s.destroyed).length;
      for (const s of sockets) s.destroy();
      await Promise.all(sockets.map(closed));
    });
    report(`slowloris after HELLO (${held} held)`, restMb, peak);
    expect(peak - restMb).toBeLessThan(RSS_GROWTH_BOUND_MB);
    await stillSyncing();
  }, 30_000);

  it('garbage and truncated frames, before and after HELLO: every connection closed, the node unharmed', async () => {
    const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256));
    const hello = helloFrame(0x7000);
    const ping = pingFrame();
    const attacks: Uint8Array[] = [
      random(64 * 1024), // garbage first: a length beyond the receive buffer
      Buffer.concat([hello, random(64 * 1024)]), // garbage after HELLO
      hello.subarray(0, hello.length - 3), // a truncated HELLO, then the end
      Buffer.concat([hello, ping.subarray(0, 15)]), // a truncated PING after HELLO, then the end
      rawFrame(8, 1, 0, 0, 1), // a frame shorter than its header
      Buffer.concat([hello, rawFrame(1 << 30, 1, 0, 0, 1)]), // a header claiming 1 GiB
    ];
    const peak = await peakRssDuring(async () => {
      const sockets = await Promise.all(Array.from({ length: 50 * attacks.length }, () => open(true)));
      sockets.forEach((s, i) => s.end(attacks[i % attacks.length]));
      await Promise.all(sockets.map(closed));
    });
    report('garbage and truncated frames', restMb, peak);
    expect(peak - restMb).toBeLessThan(RSS_GROWTH_BOUND_MB);
    await stillSyncing();
  }, 30_000);
});
