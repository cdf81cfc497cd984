// A node whose zone_sync_server cannot be reached logs why, at error (as nginx logs a
// failed connect to an upstream), once per address and reason: not on every retry, and
// again when the reason changes. A real node process dials one address while the test puts
// different things behind it: nothing (refused), a TLS listener (the node dials plain TCP),
// a listener that never answers (the HELLO exchange times out), then nothing again.
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestCerts } from '../util/certs.js';
import { NodeProcess, clusterConfig, freePorts, tempDir, waitFor, writeConfig } from './cluster-helpers.js';

const running: NodeProcess[] = [];
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  for (const c of cleanups.splice(0)) await c();
});

interface LogLine { level: number; peer?: string; direction?: string; reason?: string; msg: string }

function linesAbout(node: NodeProcess, address: string): LogLine[] {
  return node.output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine).filter((l) => l.peer === address);
}

/** A listener on `port` that counts the connections it takes and never answers them itself. */
async function holdingServer(make: () => Server, port: number): Promise<{ accepted: () => number; close: () => Promise<void> }> {
  const server = make();
  let accepted = 0;
  server.on('connection', (socket: Socket) => {
    accepted++;
    socket.on('error', () => {});
    socket.resume(); // reads and drops: sees the node's close
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    accepted: () => accepted,
    // Stops listening; a connection in progress is left for the node to end (by its own rules).
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const ERROR = 50;

describe('a zone_sync_server that cannot be reached', () => {
  it('is logged at error once per reason: refused, TLS on the other side, a HELLO that never comes, refused again', async () => {
    const certs = makeTestCerts();
    cleanups.push(() => certs.cleanup());
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const [http, sync, target] = await freePorts(3);
    const self = { http: http!, sync: sync! };
    const address = `127.0.0.1:${target}`;
    const config = clusterConfig(self, [self, { http: 0, sync: target! }], '', 'zone_sync_connect_timeout 500ms;')
      .replace('worker_processes 2;', 'worker_processes 1;');
    const node = new NodeProcess(writeConfig(dir, 'n.conf', config));
    running.push(node);
    await node.ready();
    const failures = () => linesAbout(node, address).filter((l) => l.level === ERROR);
    const show = () => JSON.stringify(linesAbout(node, address), null, 1);

    // 1. Nothing listens: refused, logged once although the node redials every 200 ms.
    await waitFor(() => failures().length === 1, 10_000, () => `no refusal logged:\n${node.output}`);
    expect(failures()[0]!.reason).toMatch(/ECONNREFUSED/);
    await new Promise((r) => setTimeout(r, 1500)); // several retry intervals
    expect(failures(), show()).toHaveLength(1);

    // 2. A TLS listener: the node's plain HELLO is not a TLS handshake. A new reason, once.
    const tls = await holdingServer(() => createTlsServer({ cert: readFileSync(certs.good.cert), key: readFileSync(certs.good.key) }), target!);
    await waitFor(() => tls.accepted() >= 4, 15_000, () => `the node did not redial the TLS listener:\n${show()}`);
    await tls.close();
    expect(failures().length, show()).toBe(2);
    expect(failures()[1]!.reason).not.toBe(failures()[0]!.reason);

    // 3. A listener that takes the connection and never answers: the HELLO exchange times out.
    const mute = await holdingServer(() => createTcpServer(), target!);
    await waitFor(() => mute.accepted() >= 3, 15_000, () => `the node did not redial the mute listener:\n${show()}`);
    await waitFor(() => failures().length === 3, 5_000, () => `the timeout was not logged:\n${show()}`);
    await waitFor(() => mute.accepted() >= 4, 15_000, () => `the node did not redial the mute listener:\n${show()}`);
    await mute.close();
    expect(failures().length, show()).toBe(3);
    expect(failures()[2]!.reason).toMatch(/timed out/);

    // 4. Nothing again: refused is a new reason after the timeout.
    await waitFor(() => failures().length === 4, 10_000, () => `the refusal was not logged again:\n${show()}`);
    expect(failures()[3]!.reason).toMatch(/ECONNREFUSED/);
    // Every line about the address is one of these four, at error, outbound.
    expect(linesAbout(node, address).filter((l) => l.level !== ERROR), show()).toEqual([]);
    for (const line of failures()) expect(line.direction).toBe('outbound');
  }, 60_000);
});
