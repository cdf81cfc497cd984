import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpConfig, HttpLocationConfig, HttpServerConfig, ListenAddress } from '../config/types.js';
import type { HandlerRequest, HandlerResponse } from './handler-types.js';
import { findLocation, findServer } from './locations.js';
import type { WorkerTask } from './worker-protocol.js';
import type { Logger } from './logger.js';

/** The API of a location with `api`: answers a request whose path is under the location. */
export type ApiResponder = (req: http.IncomingMessage, res: http.ServerResponse, location: HttpLocationConfig, body: Buffer) => Promise<void>;
/** Access rules and basic auth of a location: null to go on, or the status to answer. */
export type AccessGate = (req: http.IncomingMessage, location: HttpLocationConfig) => Promise<{ status: number; headers?: Record<string, string> } | null>;
/** Runs a request on the worker pool. */
export type TaskRunner = (task: WorkerTask) => Promise<HandlerResponse>;

export interface FrontEndParts {
  api: ApiResponder;
  gate: AccessGate;
  run: TaskRunner;
  logger: Logger;
  /** `--handler FILE`: overrides every location's handler. */
  handlerOverride: string | null;
}

export const MAX_BODY_BYTES = 1 << 20;

/**
 * The HTTP front end on the primary: one server per distinct `listen` of the http block;
 * each request finds its server and location as nginx does, passes the location's access
 * rules, then goes to the API (locations with `api`) or to a worker (everything else).
 */
export class FrontEnd {
  private readonly servers: http.Server[] = [];
  private readonly parts: FrontEndParts;
  private accepting = true;
  private inFlight = 0;
  private idle: (() => void) | null = null;

  constructor(parts: FrontEndParts) {
    this.parts = parts;
  }

  async listen(config: HttpConfig): Promise<string[]> {
    const bySocket = new Map<string, { address: ListenAddress; servers: HttpServerConfig[] }>();
    for (const server of config.servers) {
      for (const l of server.listen) {
        const key = l.address.kind === 'unix' ? `unix:${l.address.path}` : `${l.address.host ?? '*'}:${l.address.port}`;
        const entry = bySocket.get(key) ?? { address: l.address, servers: [] };
        entry.servers.push(server);
        bySocket.set(key, entry);
      }
    }
    const bound: string[] = [];
    for (const { address, servers } of bySocket.values()) {
      const srv = http.createServer((req, res) => void this.serve(req, res, servers));
      srv.keepAliveTimeout = 5_000;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        if (address.kind === 'unix') srv.listen(address.path, resolve);
        else srv.listen(address.port, address.host ?? undefined, resolve);
      });
      this.servers.push(srv);
      const a = srv.address();
      bound.push(typeof a === 'string' ? `unix:${a}` : `${(a as AddressInfo).address}:${(a as AddressInfo).port}`);
    }
    return bound;
  }

  /** Stops accepting; resolves when requests in progress are answered (graceful QUIT). */
  async close(): Promise<void> {
    this.accepting = false;
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const s of this.servers) s.closeIdleConnections();
    if (this.inFlight > 0) await new Promise<void>((r) => { this.idle = r; });
    for (const s of this.servers) s.closeAllConnections();
    await closed;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse, servers: HttpServerConfig[]): Promise<void> {
    this.inFlight++;
    try {
      if (!this.accepting) res.shouldKeepAlive = false;
      await this.route(req, res, servers);
    } catch (e) {
      this.parts.logger.error({ err: e, url: req.url }, 'request failed');
      if (!res.headersSent) send(res, 500, { 'content-type': 'text/plain' }, '500 internal server error\n');
      else res.destroy();
    } finally {
      if (--this.inFlight === 0 && this.idle !== null) this.idle();
    }
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse, servers: HttpServerConfig[]): Promise<void> {
    const server = findServer(servers, req.headers.host);
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/livez' || path === '/readyz' || path === '/metrics') {
      const probe = findLocation(server.locations, '/api');
      if (probe?.api) return this.parts.api(req, res, probe, Buffer.alloc(0));
    }
    const location = findLocation(server.locations, path);
    if (location === null) return send(res, 404, { 'content-type': 'text/plain' }, '404 not found\n');
    const denied = await this.parts.gate(req, location);
    if (denied !== null) return send(res, denied.status, { 'content-type': 'text/plain', ...denied.headers }, `${denied.status}\n`);
    const body = await readBody(req);
    if (body === null) return send(res, 413, { 'content-type': 'text/plain' }, '413 request entity too large\n');
    if (location.api !== null) return this.parts.api(req, res, location, body);
    const response = await this.parts.run(taskFor(req, location, body, this.parts.handlerOverride));
    const headers = response.headers ?? {};
    send(res, response.status ?? 200, headers, response.body ?? '');
  }
}

function taskFor(req: http.IncomingMessage, location: HttpLocationConfig, body: Buffer, handlerOverride: string | null): WorkerTask {
  const request: HandlerRequest = {
    method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers }, body: body.toString('utf8'),
    remoteAddress: unmapped(req.socket.remoteAddress ?? ''), remotePort: req.socket.remotePort ?? 0,
  };
  const s = location.settings;
  return {
    request,
    limitReqs: s.limitReqs.map((l) => ({ zone: l.zone, burst: l.burst, delay: Number.isFinite(l.delay) ? l.delay : null })),
    limitReqStatus: s.limitReqStatus,
    handler: handlerOverride ?? s.handler,
  };
}

/** "::ffff:1.2.3.4" as "1.2.3.4", as nginx's $remote_addr shows an IPv4 client. */
export function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string | string[]>, body: string): void {
  res.writeHead(status, headers);
  res.end(body);
}
