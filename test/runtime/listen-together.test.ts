// The threads of a start join their port together: a client that connects the moment the
// port accepts (a load balancer, a load generator reconnecting to a restarted node) finds
// every thread there, and the kernel spreads its connections (SO_REUSEPORT). What it
// measures depends on how soon every thread runs after the word to listen, so it runs alone
// (vitest.config.ts), not beside files that load the machine. On a Node that shares a
// listening socket between threads (shared-listen-node.ts; never skipped).
import { describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { NodeProcess, freePorts, tempDir, writeConfig } from './cluster-helpers.js';
import { sharedListenFile, sharedListenNode } from './shared-listen-node.js';
import { Pinned, countBy, servingConfig, writeTestHandler, type Answer } from './worker-serving-helpers.js';

const { running, cleanups } = sharedListenFile();

const workerOf = (a: Answer): number => a.json.worker as number;

describe('the threads of a start listen together', () => {
  it('32 kept-alive connections opened the moment the port accepts are spread over the threads, not all on the first to listen', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const [h, s] = await freePorts(2);
    const ports = { http: h!, sync: s! };
    // With the dashboard, as the shipped configuration has it: each thread loads it before it listens, some sooner than others.
    const text = servingConfig(ports, [ports], writeTestHandler(dir)).replace('location / { }', 'location / { }\n        location = /dashboard.html { zonesync_dashboard; }');
    expect(text).toContain('zonesync_dashboard');
    const conf = writeConfig(dir, 'node.conf', text);
    // As a load generator reconnecting to a restarted node: connect until the port accepts, then open every connection at once.
    const accepting = async (): Promise<void> => {
      for (;;) {
        const up = await new Promise<boolean>((resolve) => {
          const socket = connect(ports.http, '127.0.0.1', () => { socket.destroy(); resolve(true); });
          socket.on('error', () => resolve(false));
        });
        if (up) return;
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const node = new NodeProcess(conf, ['--workers', '8', '--front-end', 'workers'], sharedListenNode());
    running.push(node);
    // The primary binds each address for a moment to check it is free: connections that met that socket are reset, and the client starts again.
    let conns: Pinned[] = [];
    let first: Answer[] = [];
    for (let attempt = 0; first.length === 0; attempt++) {
      expect(attempt, 'every attempt to connect at once was reset').toBeLessThan(20);
      await accepting();
      conns = Array.from({ length: 32 }, () => new Pinned(ports.http));
      first = await Promise.all(conns.map((c) => c.get('/t/whoami'))).catch(() => {
        conns.forEach((c) => c.close());
        return [];
      });
    }
    try {
      await node.ready();
      // (Another test's server that took the port first would answer otherwise.)
      expect(first.every((a) => a.status === 200 && typeof a.json?.worker === 'number'), `not this node's answers: ${first[0]?.body}`).toBe(true);
      const perWorker = countBy(first.map(workerOf));
      expect(perWorker.size, JSON.stringify([...perWorker])).toBeGreaterThan(1);
      // They stay where they were accepted (kept alive).
      const again = await Promise.all(conns.map((c) => c.get('/t/whoami')));
      expect(again.map(workerOf)).toEqual(first.map(workerOf));
    } finally {
      conns.forEach((c) => c.close());
    }
  });
});
