// A graceful stop (QUIT) with a WebSocket tunnel open, on both serving paths, as nginx: the
// tunnel goes on carrying messages while the node drains, the node stops once the client
// closes it, and a tunnel still open at worker_shutdown_timeout is closed and the node stops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { freePorts, waitFor } from '../runtime/cluster-helpers.js';
import { SERVING_PATHS, startNodeOn, type RunningNode, type ServingPath } from './serving-paths.js';

const UPGRADE = 'proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";';

async function echoServer(): Promise<{ address: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => res.end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('message', (data, binary) => ws.send(data, { binary }));
  }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function echoes(ws: WebSocket, text: string): Promise<string> {
  const answer = once(ws, 'message');
  ws.send(text);
  return String((await answer)[0]);
}

async function nodeWithTunnel(path: ServingPath, echo: string, shutdownTimeout: string): Promise<{ running: RunningNode; ws: WebSocket }> {
  const [port] = (await freePorts(1)) as [number];
  const running = await startNodeOn(path, 'graceful.conf', `
worker_shutdown_timeout ${shutdownTimeout};
http {
    server {
        listen 127.0.0.1:${port};
        location / { proxy_pass http://${echo}; ${UPGRADE} }
    }
}`);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`);
  ws.on('error', () => undefined);
  await once(ws, 'open');
  expect(await echoes(ws, 'before')).toBe('before');
  return { running, ws };
}

describe.each(SERVING_PATHS)('QUIT with a WebSocket tunnel open on $name', (path) => {
  let echo: { address: string; close: () => Promise<void> };
  const nodes: RunningNode[] = [];

  beforeAll(async () => { echo = await echoServer(); });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await echo?.close();
  });

  it('the tunnel carries messages while the node drains; the node stops once the client closes it', async () => {
    const { running, ws } = await nodeWithTunnel(path, echo.address, '60s');
    nodes.push(running);
    running.node.signal('SIGQUIT');
    await waitFor(() => running.node.output.includes('graceful stop'), 10_000, () => running.node.output);
    expect(await echoes(ws, 'while draining')).toBe('while draining');
    expect(running.node.child.exitCode).toBeNull();
    ws.close(1000);
    await once(ws, 'close');
    expect(await running.node.exited).toBe(0);
  });

  it('a tunnel still open at worker_shutdown_timeout is closed, and the node stops', async () => {
    const { running, ws } = await nodeWithTunnel(path, echo.address, '500ms');
    nodes.push(running);
    const closed = once(ws, 'close');
    running.node.signal('SIGQUIT');
    const [code] = await closed;
    expect(code).toBe(1006); // closed under the client, as nginx closes it at the timeout
    expect(await running.node.exited).toBe(0);
  });
});
