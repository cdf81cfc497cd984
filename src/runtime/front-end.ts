import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { answerClientError, refuseConnect } from '../api/client-error.js';
import { declaredTooLarge, readBody } from '../api/body.js';
import { ApiError, ErrorCode, pathNotFound } from '../api/errors.js';
import { locationContent, type LocationContent } from '../api/location-content.js';
import { guardOf } from '../api/request-guard.js';
import {
  DEFAULT_REQUEST_TIMEOUTS, MAX_REQUEST_BODY_BYTES, checkRequestHead, httpServerOptions, type RequestTimeouts,
} from '../api/request-limits.js';
import { sendError } from '../api/respond.js';
import type { HttpConfig, HttpLocationConfig, HttpServerConfig, ListenAddress } from '../config/types.js';
import type { HandlerRequest, HandlerResponse } from './handler-types.js';
import { countHttpTraffic } from './http-traffic.js';
import type { NodeCounters } from './node-counters.js';
import { findLocation, findServer } from './locations.js';
import type { WorkerAnswer, WorkerTask } from './worker-protocol.js';
import type { Logger } from './logger.js';

/** Answers a request of a location whose content the node serves itself (the API, health, metrics). */
export type ContentResponder = (
  req: http.IncomingMessage, res: http.ServerResponse, location: HttpLocationConfig, content: LocationContent, body: Buffer,
) => Promise<void>;
/** Runs a request on the worker pool. */
export type TaskRunner = (task: WorkerTask) => Promise<WorkerAnswer>;

export interface FrontEndParts {
  content: ContentResponder;
  run: TaskRunner;
  logger: Logger;
  /** `--handler FILE`: overrides every location's handler. */
  handlerOverride: string | null;
  /** Default: nginx's (request-limits.ts). */
  timeouts?: RequestTimeouts;
  /** Where client connections and requests are counted (/api/9/connections, /http/requests). */
  counters?: NodeCounters;
}

/**
 * The HTTP front end on the primary: one server per distinct `listen` of the http block;
 * each request finds its server and location as nginx does, passes the location's access
 * rules, has its body read within the bound, then goes to the node's own content (the API,
 * health, metrics) or to a worker (everything else). Every answer the front end gives itself
 * is an NGINX Plus error body, bad requests the parser refuses included (client-error.ts).
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
      const srv = http.createServer(httpServerOptions(this.parts.timeouts ?? DEFAULT_REQUEST_TIMEOUTS), (req, res) => void this.serve(req, res, servers, false));
      srv.keepAliveTimeout = 5_000;
      if (this.parts.counters !== undefined) countHttpTraffic(srv, this.parts.counters);
      srv.on('clientError', answerClientError);
      srv.on('connect', (_req: http.IncomingMessage, socket) => refuseConnect(socket));
      // "Expect: 100-continue": the 100 goes out once the request passed its checks and its body is wanted.
      srv.on('checkContinue', (req, res) => void this.serve(req, res, servers, true));
      // Other expectations are ignored, as nginx does.
      srv.on('checkExpectation', (req, res) => void this.serve(req, res, servers, false));
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

  private async serve(req: http.IncomingMessage, res: http.ServerResponse, servers: HttpServerConfig[], expectsContinue: boolean): Promise<void> {
    this.inFlight++;
    try {
      if (!this.accepting) res.shouldKeepAlive = false;
      await this.route(req, res, servers, expectsContinue);
    } catch (e) {
      if (!(e instanceof ApiError) || e.code === ErrorCode.InternalError) this.parts.logger.error({ err: e, url: req.url }, 'request failed');
      sendError(res, e);
    } finally {
      if (--this.inFlight === 0 && this.idle !== null) this.idle();
    }
  }

  /** Rejects with an ApiError for what the front end refuses itself. */
  private async route(req: http.IncomingMessage, res: http.ServerResponse, servers: HttpServerConfig[], expectsContinue: boolean): Promise<void> {
    const refused = checkRequestHead(req);
    if (refused !== null) throw refused;
    const server = findServer(servers, req.headers.host);
    const path = (req.url ?? '/').split('?')[0]!;
    const location = findLocation(server.locations, path);
    if (location === null) throw pathNotFound();
    await guardOf(location).authorize(req);
    if (expectsContinue && !declaredTooLarge(req, MAX_REQUEST_BODY_BYTES)) res.writeContinue();
    const body = await readBody(req, MAX_REQUEST_BODY_BYTES);
    const content = locationContent(location);
    if (content !== null) return this.parts.content(req, res, location, content, body);
    const response = await this.runTask(taskFor(req, location, body, this.parts.handlerOverride));
    const headers = response.headers ?? {};
    send(res, response.status ?? 200, headers, response.body ?? '');
  }

  /** Runs the task; a request limit_req delays waits here, on a timer, then runs without its limits. */
  private async runTask(task: WorkerTask): Promise<HandlerResponse> {
    let answer = await this.parts.run(task);
    if ('delayMs' in answer) {
      await sleep(answer.delayMs);
      answer = await this.parts.run({ ...task, limitReqs: [] });
    }
    if ('delayMs' in answer) throw new Error('a task without limit_req rules was delayed');
    return answer.response;
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

function send(res: http.ServerResponse, status: number, headers: Record<string, string | string[]>, body: string): void {
  res.writeHead(status, headers);
  res.end(body);
}
