// WebSocket through a real node: a client of the `ws` package, the node with nginx's
// upgrade configuration (proxy_set_header Upgrade $http_upgrade; Connection "upgrade"), and
// a real WebSocket server on 127.0.0.1 behind it. The 101 makes the connection a tunnel both
// ways; proxy_read_timeout closes an idle one; an upgrade the server or the node refuses is
// answered as any request; an upgrade asked where none is passed is served as nginx serves it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { api, freePorts, waitFor } from '../runtime/cluster-helpers.js';
import { rawExchange } from '../runtime/raw-http.js';
import { SERVING_PATHS, startNodeOn, type RunningNode } from './serving-paths.js';
import { TestUpstream } from './test-upstream.js';

/** A WebSocket echo server that greets each client first; it refuses the upgrade at /refuse (403) and answers one at /plain as an ordinary request. */
class EchoServer {
  readonly heads: http.IncomingHttpHeaders[] = [];
  readonly server = http.createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('upgrade required');
  });
  private readonly wss = new WebSocketServer({ noServer: true });

  constructor() {
    this.server.on('upgrade', (req, socket, head) => {
      this.heads.push(req.headers);
      if (req.url?.endsWith('/refuse') === true) {
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\nConnection: close\r\n\r\nrefused');
        return;
      }
      if (req.url?.endsWith('/plain') === true) {
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nplain');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(`hello ${req.url}`);
        ws.on('message', (data, binary) => ws.send(data, { binary }));
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Opens a WebSocket through the node; resolves with it and its first message. */
async function connect(url: string): Promise<{ ws: WebSocket; first: string }> {
  const ws = new WebSocket(url);
  const first = new Promise<string>((resolve, reject) => {
    ws.once('message', (data) => resolve(String(data)));
    ws.once('error', reject);
  });
  await once(ws, 'open');
  return { ws, first: await first };
}

/** The status of the answer a refused upgrade gets. */
function refusedStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode!);
      res.resume();
    });
    ws.on('open', () => reject(new Error('the upgrade went through')));
    ws.on('error', () => undefined);
  });
}

const UPGRADE_CONFIG = 'proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";';

describe.each(SERVING_PATHS)('WebSocket on $name', (path) => {
  let running: RunningNode | undefined;
  let port = 0;
  const echo = new EchoServer();
  let plain: TestUpstream;

  beforeAll(async () => {
    await echo.start();
    plain = await TestUpstream.start('plain', (req, res) => res.end(`${req.url} upgrade=${req.headers.upgrade ?? ''}`));
    const [http, dead] = (await freePorts(2)) as [number, number];
    port = http;
    const config = `
http {
    upstream websockets { zone websockets 64k; server ${echo.address}; keepalive 4; }
    server {
        listen 127.0.0.1:${port};
        location /ws/     { proxy_pass http://websockets; ${UPGRADE_CONFIG} }
        location /idle/   { proxy_pass http://${echo.address}/ws/; ${UPGRADE_CONFIG} proxy_read_timeout 300ms; }
        location /denied/ { deny all; proxy_pass http://websockets; ${UPGRADE_CONFIG} }
        location /dead/   { proxy_pass http://127.0.0.1:${dead}; ${UPGRADE_CONFIG} }
        location /plain/  { proxy_pass http://${plain.address}; }
        location /api     { api; }
    }
}`;
    running = await startNodeOn(path, 'upgrade.conf', config);
  }, 300_000);

  afterAll(async () => {
    await running?.stop();
    await echo.close();
    await plain?.close();
  });

  it('messages of any size pass both ways, the server\'s first; the server saw the upgrade fields nginx sends', async () => {
    const { ws, first } = await connect(`ws://127.0.0.1:${port}/ws/echo`);
    expect(first).toBe('hello /ws/echo');
    for (const size of [0, 1, 125, 126, 65_535, 65_536, 1 << 20]) {
      const sent = randomBytes(size);
      const echoed = once(ws, 'message');
      ws.send(sent);
      const [data] = (await echoed) as [Buffer];
      expect(Buffer.compare(data, sent), `a message of ${size} bytes`).toBe(0);
    }
    const text = once(ws, 'message');
    ws.send('text é');
    expect(String((await text)[0])).toBe('text é');
    ws.close(1000, 'done');
    const [code] = await once(ws, 'close');
    expect(code).toBe(1000);
    const head = echo.heads.at(-1)!;
    expect([head['upgrade'], head['connection'], head['host']]).toEqual(['websocket', 'upgrade', 'websockets']);
    expect(head['sec-websocket-key']).toMatch(/==$/);
  });

  it('the API counts a tunnel as one answer, 101, and active until it closes', async () => {
    const { ws } = await connect(`ws://127.0.0.1:${port}/ws/counted`);
    const peer = async (): Promise<any> => (await api(port, '/api/9/http/upstreams/websockets')).body.peers[0];
    await waitFor(async () => (await peer()).active >= 1, 10_000, () => 'the open tunnel is not active');
    ws.close();
    await waitFor(async () => (await peer()).active === 0, 10_000, () => 'the closed tunnel is still active');
    expect((await peer()).responses.codes['101']).toBeGreaterThanOrEqual(2);
  });

  it('a tunnel with no traffic for proxy_read_timeout is closed', async () => {
    const { ws, first } = await connect(`ws://127.0.0.1:${port}/idle/x`);
    expect(first).toBe('hello /ws/x');
    const closed = once(ws, 'close');
    await waitFor(() => ws.readyState === WebSocket.CLOSED, 10_000, () => 'the idle tunnel stays open');
    const [code] = await closed;
    expect(code).toBe(1006); // closed under it, without a closing handshake, as nginx does
  });

  it('an upgrade the server refuses or does not make is answered with the server\'s answer; one the node refuses gets its error; a dead server 502; then the connection closes', async () => {
    expect(await refusedStatus(`ws://127.0.0.1:${port}/ws/refuse`)).toBe(403);
    expect(await refusedStatus(`ws://127.0.0.1:${port}/denied/x`)).toBe(403);
    expect(await refusedStatus(`ws://127.0.0.1:${port}/dead/x`)).toBe(502);
    const plainAnswer = await rawExchange(port, 'GET /ws/plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(plainAnswer.responses.map((r) => [r.status, r.body.toString(), r.headers['connection']])).toEqual([[200, 'plain', 'close']]);
    expect(plainAnswer.closedByServer).toBe(true);
  });

  it('an upgrade asked where none is passed is an ordinary request, on a connection that stays open for the next', async () => {
    const exchange = await rawExchange(port, [
      'GET /plain/a HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, keep-alive\r\nUpgrade: websocket\r\n\r\n',
      'GET /plain/b HTTP/1.1\r\nHost: x\r\n\r\n',
    ].join(''), { responses: 2 });
    expect(exchange.responses.map((r) => [r.status, r.body.toString()])).toEqual([[200, '/plain/a upgrade='], [200, '/plain/b upgrade=']]);
  });
});
