// keepalive_timeout and keepalive_requests of client connections on a real node, on both
// serving paths: the values of the location (else the server) that serves each request
// decide, as in nginx. Requests go one after the other on raw kept-alive connections, which
// show each answer's Connection and Keep-Alive fields and whether the server closed the
// connection. On the workers path, a client whose connections the server ends is spread by
// the kernel over the serving threads as it reconnects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { NodeProcess, freePorts, tempDir, waitFor, writeConfig } from './cluster-helpers.js';
import { RawConnection, type RawResponse } from './raw-http.js';
import { writeTestHandler } from './worker-serving-helpers.js';
import { SERVING_PATHS, type ServingPath } from '../gateway/serving-paths.js';

/*
 * Ports: `counted` (http's keepalive_requests 3; a location with 1; a second server of the
 * socket, many.test, with 100), `idle` (keepalive_timeout 1s), `off` (keepalive_timeout 0),
 * `header` (keepalive_timeout 30d 60: longer than a Node timer waits).
 */
interface Ports { counted: number; idle: number; off: number; header: number }

function config(ports: Ports, handler: string): string {
  return `http {
    keyval_zone zone=one:1m;
    keepalive_requests 3;
    server {
        listen 127.0.0.1:${ports.counted};
        location /t/ { zonesync_handler ${handler}; }
        location /once { keepalive_requests 1; return 200 "once\\n"; }
        location / { return 200 "counted\\n"; }
    }
    server {
        listen 127.0.0.1:${ports.counted};
        server_name many.test;
        keepalive_requests 100;
        location / { return 200 "many\\n"; }
    }
    server {
        listen 127.0.0.1:${ports.idle};
        keepalive_timeout 1s;
        location / { return 200 "idle\\n"; }
    }
    server {
        listen 127.0.0.1:${ports.off};
        keepalive_timeout 0;
        location / { return 200 "off\\n"; }
    }
    server {
        listen 127.0.0.1:${ports.header};
        keepalive_timeout 30d 60;
        location / { return 200 "header\\n"; }
    }
}
`;
}

const connectionOf = (answers: readonly RawResponse[]): string[] => answers.map((a) => a.headers['connection'] ?? '(none)');
const keepAliveOf = (answers: readonly RawResponse[]): string[] => answers.map((a) => a.headers['keep-alive'] ?? '(none)');

/** `n` GETs of `path` one after the other on one new connection; the connection stays open (the caller closes it). */
async function sequence(port: number, path: string, n: number, host?: string): Promise<{ conn: RawConnection; answers: RawResponse[] }> {
  const conn = await RawConnection.open(port);
  const answers: RawResponse[] = [];
  for (let i = 0; i < n; i++) answers.push(await conn.get(path, host));
  return { conn, answers };
}

/** A node on `path` with config(); stop() ends it and removes its directory. */
async function startKeepaliveNode(path: ServingPath): Promise<{ ports: Ports; node: NodeProcess; stop: () => Promise<void> }> {
  const dir = tempDir();
  const [counted, idle, off, header] = await freePorts(4);
  const ports = { counted: counted!, idle: idle!, off: off!, header: header! };
  const node = new NodeProcess(writeConfig(dir.dir, 'node.conf', config(ports, writeTestHandler(dir.dir))), [...path.args], path.node());
  const stop = async (): Promise<void> => {
    await node.stop();
    dir.cleanup();
  };
  await node.ready().catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { ports, node, stop };
}

describe.each(SERVING_PATHS)('client keep-alive, $name', (path) => {
  let ports: Ports;
  let node: NodeProcess;
  let stop: (() => Promise<void>) | undefined;
  const open: RawConnection[] = [];

  /** A sequence whose connection is closed after the test. */
  const run = async (port: number, p: string, n: number, host?: string): Promise<{ conn: RawConnection; answers: RawResponse[] }> => {
    const got = await sequence(port, p, n, host);
    open.push(got.conn);
    return got;
  };

  beforeAll(async () => {
    ({ ports, node, stop } = await startKeepaliveNode(path));
  }, 300_000);

  afterAll(async () => {
    open.splice(0).forEach((c) => c.close());
    await stop?.();
  });

  it('keepalive_requests 3: the 3rd answer on a kept-alive connection says Connection: close, and the server closes it', async () => {
    const { conn, answers } = await run(ports.counted, '/', 3);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(connectionOf(answers)).toEqual(['keep-alive', 'keep-alive', 'close']);
    // nginx writes no Keep-Alive field without keepalive_timeout's second parameter (Node's own would say timeout=5).
    expect(keepAliveOf(answers)).toEqual(['(none)', '(none)', '(none)']);
    await waitFor(() => conn.closedByServer, 15_000, () => 'the server kept the connection after its last answer');
  });

  it('the values of the location and of the server that serve a request decide: a location\'s keepalive_requests 1, another server of the socket with 100', async () => {
    // /once is the 2nd request of its connection: 2 >= 1, its answer is the last.
    const once = await run(ports.counted, '/', 1);
    once.answers.push(await once.conn.get('/once'));
    expect(connectionOf(once.answers)).toEqual(['keep-alive', 'close']);
    await waitFor(() => once.conn.closedByServer, 15_000, () => 'the server kept the connection after /once');
    // many.test shares the socket with the default server but counts to its own 100.
    const many = await run(ports.counted, '/', 6, 'many.test');
    expect(many.answers.map((a) => a.body.toString())).toEqual(Array(6).fill('many\n'));
    expect(connectionOf(many.answers)).toEqual(Array(6).fill('keep-alive'));
    expect(many.conn.closedByServer).toBe(false);
  });

  it('keepalive_timeout 1s: an idle kept-alive connection is closed by the server, while one under the default 75s, idle since before it, stays', async () => {
    const longer = await run(ports.counted, '/', 1);
    const { conn, answers } = await run(ports.idle, '/', 2);
    expect(connectionOf(answers)).toEqual(['keep-alive', 'keep-alive']);
    await waitFor(() => conn.closedByServer, 15_000, () => 'the idle connection was never closed by the server');
    expect(longer.conn.closedByServer).toBe(false);
    // Still usable: its next request is answered.
    expect((await longer.conn.get('/')).headers['connection']).toBe('keep-alive');
  });

  it('keepalive_timeout 0: every answer says Connection: close, and the server closes the connection', async () => {
    const { conn, answers } = await run(ports.off, '/', 1);
    expect(answers[0]!.body.toString()).toBe('off\n');
    expect(connectionOf(answers)).toEqual(['close']);
    expect(keepAliveOf(answers)).toEqual(['(none)']);
    await waitFor(() => conn.closedByServer, 15_000, () => 'the server kept the connection');
    // A client that asks for keep-alive is told the same.
    const asked = await new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
      const agent = new http.Agent({ keepAlive: true });
      http.get({ host: '127.0.0.1', port: ports.off, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => { agent.destroy(); resolve(res.headers); });
      }).on('error', reject);
    });
    expect(asked.connection).toBe('close');
  });

  it('keepalive_timeout 30d 60: answers that keep the connection say Keep-Alive: timeout=60, the last one none; the long wait is armed without a warning', async () => {
    const { conn, answers } = await run(ports.header, '/', 3);
    expect(connectionOf(answers)).toEqual(['keep-alive', 'keep-alive', 'close']);
    expect(keepAliveOf(answers)).toEqual(['timeout=60', 'timeout=60', '(none)']);
    await waitFor(() => conn.closedByServer, 15_000, () => 'the server kept the connection after its last answer');
    // The idle timers of the first two answers were armed before the third answer went out.
    expect(node.output).not.toContain('TimeoutOverflowWarning');
  });
});

const WORKERS_PATH = SERVING_PATHS.find((p) => p.threads > 1)!;

describe('client keep-alive spreads a reconnecting client over the serving threads, worker threads serving (--workers 2)', () => {
  it('a client sending 30 requests on kept-alive connections, reopened as the server closes them, is served by more than one worker thread', async () => {
    // As a load generator does: one connection at a time, kept alive, a new one when the server closes it.
    const { ports, stop } = await startKeepaliveNode(WORKERS_PATH);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const connections = new Map<object, number>();
    const served: Array<{ worker: number; connection: number; close: string | undefined }> = [];
    try {
      for (let i = 0; i < 30; i++) {
        served.push(await new Promise((resolve, reject) => {
          http.get({ host: '127.0.0.1', port: ports.counted, path: '/t/whoami', agent }, (res) => {
            const chunks: Buffer[] = [];
            const socket = res.socket;
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({
              worker: JSON.parse(Buffer.concat(chunks).toString()).worker as number,
              connection: connections.get(socket) ?? connections.set(socket, connections.size).size - 1,
              close: res.headers.connection,
            }));
          }).on('error', reject);
        }));
      }
    } finally {
      agent.destroy();
      await stop();
    }
    // keepalive_requests 3: ten connections of three requests each, the third answer of each says close.
    expect(served.map((s) => s.connection)).toEqual(Array.from({ length: 30 }, (_, i) => Math.floor(i / 3)));
    expect(served.map((s) => s.close)).toEqual(Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? 'close' : 'keep-alive')));
    expect(new Set(served.map((s) => s.worker)).size, JSON.stringify(served.map((s) => s.worker))).toBeGreaterThan(1);
  }, 300_000);
});
