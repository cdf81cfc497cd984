import http from 'node:http';
import type { AddressInfo, ListenOptions, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { answerClientError, refuseConnect } from '../api/client-error.js';
import { declaredTooLarge, readBody } from '../api/body.js';
import { dropWhileLingering, isLingering, type LingeringSettings } from '../api/lingering-close.js';
import { ApiError, ErrorCode, pathNotFound } from '../api/errors.js';
import { locationContent, servesOwnContent, type LocationContent } from '../api/location-content.js';
import { guardOf } from '../api/request-guard.js';
import {
  DEFAULT_REQUEST_TIMEOUTS, MAX_REQUEST_BODY_BYTES, checkRequestHead, httpServerOptions, type RequestTimeouts,
} from '../api/request-limits.js';
import { sendErrorPage } from '../api/error-page.js';
import { sendError } from '../api/respond.js';
import { DEFAULT_LINGERING } from '../config/defaults.js';
import type { HttpConfig, HttpLocationConfig, HttpServerConfig, ListenAddress } from '../config/types.js';
import { unmappedText as unmapped } from '../net/ip.js';
import { hasBody } from '../gateway/body-source.js';
import type { Gateway } from '../gateway/gateway.js';
import type { ClientUpgrade } from '../gateway/proxy-pass.js';
import type { ThreadLogger } from '../thread-logger.js';
import { AnswerHeaders } from './answer-headers.js';
import { FrontEndResponse, lingerWith, takeServerField } from './front-end-response.js';
import {
  clientKeepalive, keepaliveAnswerClosed, keepaliveRequestArrived, leaveKeepaliveToRequests, type ClientConnection,
} from './client-keepalive.js';
import { HttpAccessLog } from './http-access-log.js';
import type { HandlerRequest, HandlerResponse } from './handler-types.js';
import { TrafficCounting, type TrafficCounters } from './http-traffic.js';
import { REFUSED, type FixedResponse, type LimitReqGate } from './limit-req-gate.js';
import { listenSockets, socketKey } from './listen-sockets.js';
import { defaultServer, findLocation, findServer } from './locations.js';
import { sendResponse } from './send-response.js';
import { serveAsOrdinaryRequest } from './upgrade-requests.js';

/** Answers a request of a location whose content the node serves itself (the API, health, metrics). */
export type ContentResponder = (
  req: http.IncomingMessage, res: http.ServerResponse, location: HttpLocationConfig, content: LocationContent, body: Buffer,
) => Promise<void>;
/** Runs the handler at `handler` (null: the built-in one) for a request: in this thread, or on the worker pool. */
export type HandlerRunner = (request: HandlerRequest, handler: string | null) => HandlerResponse | Promise<HandlerResponse>;

export interface FrontEndParts {
  content: ContentResponder;
  handle: HandlerRunner;
  /** limit_req of the locations, against this thread's zones. */
  limits: LimitReqGate;
  /** `return` and `proxy_pass`, with this thread's balancers and connections to upstream servers. */
  gateway: Gateway;
  logger: ThreadLogger;
  /** `--handler FILE`: overrides every location's handler. */
  handlerOverride: string | null;
  /** Default: nginx's (request-limits.ts). */
  timeouts?: RequestTimeouts;
  /** Where client connections and requests are counted (/api/9/connections, /http/requests). */
  counters?: TrafficCounters;
  /**
   * Bind TCP addresses with SO_REUSEPORT, so that every serving thread listens on the same
   * ones and the kernel spreads connections between them (shared-listen.ts says where Node can).
   */
  reusePort?: boolean;
}

/** What a reload replaces (FrontEnd.reconfigure): the parts compiled from the http block. */
export type ReloadedParts = Pick<FrontEndParts, 'handle' | 'limits' | 'gateway'>;

/** A listening socket's server, with what every request it reads is told to. */
interface Listener {
  /** socketKey of its address. */
  readonly key: string;
  readonly address: ListenAddress;
  readonly server: http.Server;
  /** Where its connections and requests are counted (/api/9/connections, /http/requests); null: nowhere. */
  readonly traffic: TrafficCounting | null;
  /** The 'close' listener of each of its answers: one function for every answer, not a closure per request. */
  readonly answerClosed: (this: http.ServerResponse) => void;
}

/** One configuration in force: its servers by listening socket (socketKey) and its parts. */
interface InForce {
  readonly servers: ReadonlyMap<string, readonly HttpServerConfig[]>;
  readonly parts: ReloadedParts;
  /** The Server and add_header fields its locations put on answers (compiled with its variables). */
  readonly answerHeaders: AnswerHeaders;
  /** Its access_log files (this thread's descriptors); null before the front end listens. */
  readonly accessLog: HttpAccessLog | null;
  /** Requests being served by it. */
  inFlight: number;
  /** Called when the last of them is answered, once it is no longer in force. */
  drained: (() => void) | null;
}

/**
 * The HTTP front end of a thread that serves: one server per distinct `listen` of the http
 * block; each request finds its server and location as nginx does, then passes the
 * location's phases in nginx's order: limit_req (503, or a delay waited on a timer), the
 * access rules, the body read within its bound, and the content: the node's own (the API,
 * health, metrics) or a handler. An error the front end answers itself is nginx's HTML page
 * (error-page.ts), or the NGINX Plus JSON error body in the node's own locations; bad
 * requests the parser refuses get the JSON body (client-error.ts).
 * A reload (reconfigure) swaps the configuration in force at once: each request is served
 * wholly by the one in force when it arrived, requests in flight finish on theirs.
 */
export class FrontEnd {
  /** The server of each listening socket, by socketKey. */
  private readonly sockets = new Map<string, Listener>();
  /** Servers prepared and not yet listening (prepare, then listen). */
  private readonly unbound: Listener[] = [];
  private readonly parts: FrontEndParts;
  private inForce: InForce;
  /** The access logs open: the configuration in force's, and those of replaced ones until their last lines are written. */
  private readonly accessLogs = new Set<HttpAccessLog>();
  private accepting = true;
  private inFlight = 0;
  /** The answers of requests in flight across turns (a handler's promise, a delay, a body read, a proxied request): at a stop, each not yet begun says Connection: close. */
  private readonly answering = new Set<http.ServerResponse>();
  private idle: (() => void) | null = null;

  constructor(parts: FrontEndParts) {
    this.parts = parts;
    this.inForce = this.inForceOf(null, parts);
  }

  /**
   * A reload: requests from now on are served by `config` (its sockets are those listened
   * on) and `parts`. Resolves when every request the previous configuration was serving
   * is answered.
   */
  reconfigure(config: HttpConfig | null, parts: ReloadedParts): Promise<void> {
    const previous = this.inForce;
    this.inForce = this.inForceOf(config, parts);
    for (const listener of this.sockets.values()) this.takeUpgradesWherePassed(listener);
    const drained = previous.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => { previous.drained = resolve; });
    const log = previous.accessLog;
    if (log !== null) void drained.then(() => log.retire()).then(() => this.accessLogs.delete(log));
    return drained;
  }

  /**
   * The configuration `config` with `parts`: its servers by socket, its answer fields, and
   * its access log files opened anew (created as needed; a path that cannot be opened
   * throws, and nothing changes).
   */
  private inForceOf(config: HttpConfig | null, parts: ReloadedParts): InForce {
    const servers = new Map<string, readonly HttpServerConfig[]>();
    for (const socket of config === null ? [] : listenSockets(config)) servers.set(socketKey(socket.address), socket.servers);
    const accessLog = config === null ? null
      : new HttpAccessLog(config, parts.gateway.variables, (err) => this.parts.logger.error({ err }, 'could not write the access log'));
    if (accessLog !== null) this.accessLogs.add(accessLog);
    return { servers, parts, answerHeaders: new AnswerHeaders(parts.gateway.variables), accessLog, inFlight: 0, drained: null };
  }

  /**
   * Puts `config` in force and builds the server of every socket of its block, not yet
   * listening: `listen()` then only binds them, so that the threads of a start, prepared
   * apart, join the port at the word to listen as close together as they can.
   */
  prepare(config: HttpConfig): void {
    void this.reconfigure(config, this.inForce.parts);
    for (const { address } of listenSockets(config)) this.unbound.push(this.listenerOf(address));
  }

  /** Listens on every socket prepared (of `config`, prepared now if given); resolves with the addresses bound. */
  async listen(config?: HttpConfig): Promise<string[]> {
    if (config !== undefined) this.prepare(config);
    const listeners = this.unbound.splice(0);
    // Entered before binding: close() closes a server whose bind failed or is under way too.
    for (const listener of listeners) this.sockets.set(listener.key, listener);
    return Promise.all(listeners.map(({ server, address }) => new Promise<string>((resolve, reject) => {
      const bound = (): void => {
        const a = server.address();
        resolve(typeof a === 'string' ? `unix:${a}` : `${(a as AddressInfo).address}:${(a as AddressInfo).port}`);
      };
      server.once('error', reject);
      if (address.kind === 'unix') server.listen(address.path, bound);
      else server.listen({ port: address.port, host: address.host ?? undefined, reusePort: this.parts.reusePort === true } as ListenOptions, bound);
    })));
  }

  /** The server of one listening socket, with its listeners, not yet bound. */
  private listenerOf(address: ListenAddress): Listener {
    const srv = http.createServer({ ...httpServerOptions(this.parts.timeouts ?? DEFAULT_REQUEST_TIMEOUTS), ServerResponse: FrontEndResponse });
    leaveKeepaliveToRequests(srv);
    const traffic = this.parts.counters === undefined ? null : new TrafficCounting(srv, this.parts.counters);
    const listener: Listener = {
      key: socketKey(address),
      address,
      server: srv,
      traffic,
      answerClosed(this: http.ServerResponse) {
        traffic?.answerClosed(this);
        keepaliveAnswerClosed(this);
      },
    };
    srv.on('request', (req, res) => this.serve(req, res, listener, false));
    srv.on('clientError', (error: Error, socket: Duplex) => answerClientError(error, socket, this.defaultLingering(listener)));
    srv.on('connect', (_req: http.IncomingMessage, socket: Duplex) => refuseConnect(socket, this.defaultLingering(listener)));
    // "Expect: 100-continue": the 100 goes out once the request passed its checks and its body is wanted.
    srv.on('checkContinue', (req, res) => this.serve(req, res, listener, true));
    // Other expectations are ignored, as nginx does.
    srv.on('checkExpectation', (req, res) => this.serve(req, res, listener, false));
    this.takeUpgradesWherePassed(listener);
    return listener;
  }

  /** Stops accepting; resolves when requests in progress are answered (graceful QUIT). */
  async close(): Promise<void> {
    this.accepting = false;
    // An answer written from here says Connection: close, and its connection closes after it: a client does not send another request to a node that stops.
    for (const res of this.answering) res.shouldKeepAlive = false;
    const servers = [...this.sockets.values()].map((l) => l.server);
    const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const s of servers) s.closeIdleConnections();
    if (this.inFlight > 0) await new Promise<void>((r) => { this.idle = r; });
    for (const s of servers) s.closeAllConnections();
    await closed;
    await Promise.all([...this.accessLogs].map((log) => log.retire()));
    await this.inForce.parts.gateway.close();
  }

  /** The lingering_* settings of the socket's default server in the configuration in force, for what arrives before a Host. */
  private defaultLingering(listener: Listener): LingeringSettings {
    const servers = this.inForce.servers.get(listener.key);
    return servers === undefined ? DEFAULT_LINGERING : defaultServer(servers).settings;
  }

  /**
   * Node serves a request that asks for an upgrade as any other unless the server listens
   * for upgrades: it does from the first configuration where a location of the socket
   * passes them (one that no longer does serves them as ordinary requests: upgrade()).
   */
  private takeUpgradesWherePassed(listener: Listener): void {
    const { servers, parts } = this.inForce;
    const srv = listener.server;
    if (srv.listenerCount('upgrade') > 0 || !(servers.get(listener.key) ?? []).some((s) => passesUpgrades(parts.gateway, s.locations))) return;
    srv.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(listener, req, socket, head));
  }

  /**
   * A request that asks for an upgrade. At a location that passes upgrades, it goes through
   * the phases as any request, on a response of its own over the connection, which is closed
   * after any answer but a 101 (the tunnel's then). Anywhere else (and a request with a body,
   * one that comes while the node stops, or on a connection that lingers), it is served as an
   * ordinary request.
   */
  private upgrade(listener: Listener, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const { servers, parts } = this.inForce;
    const location = findLocation(findServer(servers.get(listener.key)!, req.headers.host).locations, pathOf(req.url ?? '/'));
    if (location === null || !parts.gateway.passesUpgrades(location) || hasBody(req) || !this.accepting || isLingering(socket)) {
      serveAsOrdinaryRequest(listener.server, req, socket, head);
      return;
    }
    // Node's server let go of the socket: its errors are this code's now (they close it; 'close' ends the request).
    socket.on('error', () => undefined);
    const res = new FrontEndResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    res.on('finish', () => (socket as Socket).destroySoon());
    this.serve(req, res, listener, false, { socket, head });
  }

  /** USR1: the access log files are reopened. */
  reopenLogs(): void {
    for (const log of this.accessLogs) log.reopen();
  }

  /*
   * A request is served without a promise when nothing in it waits (no delay, no basic
   * auth, no body, a handler that answers at once): each phase returns undefined when it
   * has answered, or the promise of the rest.
   */
  private serve(
    req: http.IncomingMessage, res: http.ServerResponse, listener: Listener, expectsContinue: boolean, upgrade: ClientUpgrade | null = null,
  ): void {
    // The connection's last answer is written: what the client still sends is dropped, not served (lingering-close.ts).
    if (!req.socket.writable && isLingering(req.socket)) return dropWhileLingering(req);
    // Counted before it is served: a request answered at once (the API asked for the counts) is current.
    listener.traffic?.requestArrived(req);
    const connection = keepaliveRequestArrived(req);
    res.on('close', listener.answerClosed);
    const inForce = this.inForce;
    this.inFlight++;
    inForce.inFlight++;
    if (!this.accepting) res.shouldKeepAlive = false;
    let rest: void | Promise<void>;
    try {
      rest = this.route(req, res, inForce, listener.key, connection, expectsContinue, upgrade);
    } catch (e) {
      rest = Promise.reject(e);
    }
    if (rest === undefined) return this.served(inForce);
    this.answering.add(res);
    rest.catch((e: unknown) => this.fail(req, res, e)).finally(() => {
      this.answering.delete(res);
      this.served(inForce);
    });
  }

  private served(inForce: InForce): void {
    if (--inForce.inFlight === 0 && inForce.drained !== null) inForce.drained();
    if (--this.inFlight === 0 && this.idle !== null) this.idle();
  }

  private fail(req: http.IncomingMessage, res: http.ServerResponse, e: unknown): void {
    if (!(e instanceof ApiError) || e.code === ErrorCode.InternalError) this.parts.logger.error({ err: e, url: req.url }, 'request failed');
    if (jsonErrors.has(res)) sendError(res, e);
    else sendErrorPage(res, e);
  }

  /** Throws (or rejects with) an ApiError for what the front end refuses itself. */
  private route(
    req: http.IncomingMessage, res: http.ServerResponse, inForce: InForce, socket: string, connection: ClientConnection,
    expectsContinue: boolean, upgrade: ClientUpgrade | null,
  ): void | Promise<void> {
    const { parts } = inForce;
    const server = findServer(inForce.servers.get(socket)!, req.headers.host);
    const url = req.url ?? '/';
    const location = findLocation(server.locations, pathOf(url));
    const remoteAddress = unmapped(req.socket.remoteAddress ?? '');
    const settings = location?.settings ?? server.settings;
    if (location !== null && servesOwnContent(location)) jsonErrors.add(res);
    clientKeepalive(connection, res, settings);
    lingerWith(res, settings);
    inForce.answerHeaders.prepare(req, res, settings, remoteAddress);
    inForce.accessLog?.track(req, res, settings, remoteAddress);
    const refused = checkRequestHead(req);
    if (refused !== null) throw refused;
    // nginx's rewrite phase: a return answers before the location's limits and access rules (a server's before any location).
    const returned = parts.gateway.returnFor(server, location);
    if (returned !== null) return parts.gateway.answerReturn(req, res, returned, remoteAddress);
    if (location === null) throw pathNotFound();
    const at: RequestAt = { req, res, parts, location, url, method: req.method ?? 'GET', headers: req.headers, remoteAddress, expectsContinue, upgrade };
    // nginx's preaccess phase (limit_req) runs before its access phase (allow/deny, auth_basic).
    const limits = parts.limits.limitsOf(location);
    if (limits !== null) {
      const verdict = limits.take(at);
      if (verdict === REFUSED) return sendFixed(res, limits.refusal);
      // A delayed request waits on a timer: the thread serves others meanwhile, as nginx does.
      if (verdict > 0) return sleep(verdict).then(() => this.access(at));
    }
    return this.access(at);
  }

  private access(at: RequestAt): void | Promise<void> {
    const auth = guardOf(at.location).check(at.req);
    return auth === null ? this.body(at) : auth.then(() => this.body(at));
  }

  private body(at: RequestAt): void | Promise<void> {
    const { req, res } = at;
    if (at.location.proxyPass !== null) return this.proxy(at);
    if (at.expectsContinue && !declaredTooLarge(req, MAX_REQUEST_BODY_BYTES)) res.writeContinue();
    if (!hasBody(req)) return this.content(at, NO_BODY);
    return readBody(req, MAX_REQUEST_BODY_BYTES).then((body) => this.content(at, body));
  }

  /** A proxy_pass location: its body streams to the upstream server rather than being read here. */
  private proxy(at: RequestAt): Promise<void> {
    const { req, res, location } = at;
    const maxBody = location.settings.clientMaxBodySizeBytes;
    if (at.expectsContinue && !(maxBody > 0 && declaredTooLarge(req, maxBody))) res.writeContinue();
    return at.parts.gateway.proxy(req, res, location, at.remoteAddress, at.upgrade);
  }

  private content(at: RequestAt, body: Buffer): void | Promise<void> {
    const { req, res, location } = at;
    const own = locationContent(location);
    if (own !== null) return this.parts.content(req, res, location, own, body);
    const request: HandlerRequest = {
      method: req.method ?? 'GET', url: at.url, headers: req.headers, body: body.length === 0 ? '' : body.toString('utf8'),
      remoteAddress: at.remoteAddress, remotePort: req.socket.remotePort ?? 0,
    };
    const response = at.parts.handle(request, this.parts.handlerOverride ?? location.settings.handler);
    if (response instanceof Promise) return response.then((r) => sendResponse(res, r));
    sendResponse(res, response);
  }
}

/** One request on its way through the phases; it is also the RequestFacts limit_req keys read. */
interface RequestAt {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  /** The parts of the configuration in force when the request arrived: it is served by them to its end. */
  readonly parts: ReloadedParts;
  readonly location: HttpLocationConfig;
  readonly url: string;
  readonly method: string;
  /** As $remote_addr shows it. */
  readonly remoteAddress: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly expectsContinue: boolean;
  /** The request asked for an upgrade at a location that passes them; null for any other. */
  readonly upgrade: ClientUpgrade | null;
}

/** Whether a location among these, nested ones included, passes upgrades. */
function passesUpgrades(gateway: Gateway, locations: readonly HttpLocationConfig[]): boolean {
  return locations.some((l) => gateway.passesUpgrades(l) || passesUpgrades(gateway, l.locations));
}

const NO_BODY = Buffer.alloc(0);

/* The answers of locations whose content is the node's own (the API, health, metrics): their errors are the NGINX Plus JSON body; any other's nginx's page. */
const jsonErrors = new WeakSet<http.ServerResponse>();

/** The path of a request target: what comes before the query. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** `response` carries the Server field of its location: the one the answer would have had is dropped. */
function sendFixed(res: http.ServerResponse, response: FixedResponse): void {
  takeServerField(res);
  res.writeHead(response.status, response.headers);
  res.end(response.body, 'latin1');
}

export { unmappedText as unmapped } from '../net/ip.js';
