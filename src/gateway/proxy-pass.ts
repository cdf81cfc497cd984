import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { bodyTooLarge, declaredTooLarge, readBody } from '../api/body.js';
import { ApiError, ErrorCode } from '../api/errors.js';
import type { HttpLocationConfig, NextUpstreamCondition, ProxySettings } from '../config/types.js';
import { BodySource, hasBody } from './body-source.js';
import type { GatewayLogger } from './gateway-logger.js';
import { RequestHeaderRules, ResponseHeaderRules } from './proxy-headers.js';
import type { Peer, PeerChoice, PeerOutcome } from './round-robin.js';
import { attempt, type AttemptFailure, type AttemptResult } from './upstream-attempt.js';
import type { ProxyRoute, ProxyTarget } from './proxy-route.js';
import type { UpstreamDispatcher, UpstreamPools } from './upstream-pools.js';
import { UpstreamCertificateError, upstreamTlsOf, type UpstreamTls } from './upstream-tls.js';
import { recordTry } from './upstream-tries.js';
import type { RequestFacts, UpstreamFacts, Variables } from './variables.js';

/** A request that came asking for an upgrade: its connection (Node's HTTP server let go of it) and what followed its head. */
export interface ClientUpgrade {
  readonly socket: Duplex;
  readonly head: Buffer;
}

/* Methods nginx never sends twice unless proxy_next_upstream has non_idempotent. */
const NON_IDEMPOTENT: ReadonlySet<string> = new Set(['POST', 'LOCK', 'PATCH']);

/* The answers proxy_next_upstream can pass over, and whether they count as a server's failure (403 and 404 never do). */
const STATUS_CONDITIONS: ReadonlyMap<number, NextUpstreamCondition> = new Map([
  [500, 'http_500'], [502, 'http_502'], [503, 'http_503'], [504, 'http_504'], [403, 'http_403'], [404, 'http_404'], [429, 'http_429'],
]);

/**
 * One location's proxy_pass, compiled once: the requests of the location go to the target's
 * servers as nginx's proxy module sends them. The body streams from the client to the server
 * and the answer from the server to the client. A server that fails (proxy_next_upstream:
 * `error timeout` by default) is counted toward its max_fails, and the request goes to the
 * next server while tries, time and the body allow; when none answers, the client gets 502,
 * or 504 when the last failure was a timeout.
 */
export class ProxyPass {
  private readonly location: HttpLocationConfig;
  private readonly route: ProxyRoute;
  private readonly settings: ProxySettings;
  private readonly maxBodyBytes: number;
  private readonly headers: RequestHeaderRules;
  private readonly answerHeaders: ResponseHeaderRules;
  private readonly pools: UpstreamPools;
  private readonly logger: GatewayLogger;
  /* Each server's pool, found once (the connection policy is the location's). */
  private readonly dispatchers = new Map<Peer, UpstreamDispatcher>();
  /* proxy_ssl_* made into a context on the first request over TLS (the node checked them when it started). */
  private tls: UpstreamTls | null = null;

  constructor(location: HttpLocationConfig, route: ProxyRoute, variables: Variables, pools: UpstreamPools, logger: GatewayLogger) {
    this.location = location;
    this.route = route;
    this.settings = location.settings.proxy;
    this.maxBodyBytes = location.settings.clientMaxBodySizeBytes;
    this.headers = new RequestHeaderRules(this.settings.setHeaders, variables);
    this.answerHeaders = new ResponseHeaderRules(this.settings.hideHeaders, this.settings.passHeaders);
    this.pools = pools;
    this.logger = logger;
  }

  /**
   * Answers the request; rejects with an ApiError only before anything was written to `res`.
   * With `upgrade` (the client asked for one) and an Upgrade to send, the server is asked for
   * it, and its 101 makes the connection a tunnel until either side closes it.
   */
  async serve(req: IncomingMessage, res: ServerResponse, facts: RequestFacts, upgrade: ClientUpgrade | null = null): Promise<void> {
    if (this.maxBodyBytes > 0 && declaredTooLarge(req, this.maxBodyBytes)) {
      await readBody(req, this.maxBodyBytes); // rejects with 413, reading what the client still sends
    }
    const routing = this.route.route(facts, req.url ?? '/');
    const { target, path, oneShot } = routing instanceof Promise ? await routing : routing;
    const { group, sticky } = target;
    const choice = group.newChoice();
    if (this.settings.nextUpstreamTries > 0) choice.tries = Math.min(choice.tries, this.settings.nextUpstreamTries);
    const session = sticky === null ? '' : sticky.sessionOf(facts);
    const hint = sticky === null ? undefined : sticky.serverOf(session);
    const body = hasBody(req) ? new BodySource(req, this.maxBodyBytes, this.settings.sendTimeoutMs) : null;
    const proxy: { proxyHost: string; upstream?: UpstreamFacts } = { proxyHost: target.proxyHost };
    const head = this.headers.headersFor(facts, proxy);
    const method = req.method ?? 'GET';
    const startedAt = Date.now();
    const headBytes = target.counters === null ? 0 : requestHeadBytes(method, path, head.headers);
    const ask = upgrade === null || head.upgrade === '' ? null : {
      protocol: head.upgrade, client: upgrade.socket, head: upgrade.head, idleTimeoutMs: this.settings.readTimeoutMs,
      answerHead: (upstream: UpstreamFacts) => switchingHead(this.answerHeaders.headersFor(upstream.headers)),
    };
    let failure: AttemptFailure | null = null;
    for (;;) {
      const peer = group.select(choice, hint);
      if (peer === null) {
        if (failure === null) this.logger.error({ upstream: group.name }, 'no live upstreams');
        throw failure === 'timeout' ? gatewayTimeout() : badGateway();
      }
      const learnAt = (upstream: UpstreamFacts): void => {
        proxy.upstream = upstream;
        sticky?.learn(facts, proxy, session, peer.name);
      };
      target.counters?.started(peer.id);
      const triedAt = performance.now();
      const result = await attempt({
        dispatcher: this.dispatcherOf(peer, target, oneShot),
        serverName: peer.name, method, path, headers: head.headers, body: body?.stream() ?? null,
        reset: head.close || target.keepalive.keepalive === null, readTimeoutMs: this.settings.readTimeoutMs, res, upgrade: ask,
        accept: (upstream) => !this.passesOver(upstream.status, choice, method, body, startedAt),
        writeHead: (upstream) => {
          // The head and what of the body arrives in the same read go out in one write.
          res.cork();
          process.nextTick(() => res.uncork());
          res.writeHead(upstream.status, this.answerHeaders.headersFor(upstream.headers));
          if (sticky?.atHeader === true) learnAt(upstream);
        },
      });
      const sent = headBytes + (body?.attemptBytes ?? 0) + result.tunnelSentBytes;
      const done = (outcome: PeerOutcome, status: number): void => {
        this.account(target, peer, choice, outcome, status, sent, result);
        const failed = result.kind === 'failed' && outcome === 'failure' ? (result.failure === 'timeout' ? 504 : 502) : 0;
        recordTry(res, { address: peer.name, status: status || failed, responseMs: performance.now() - triedAt, headerMs: result.times?.headerMs ?? null });
      };
      switch (result.kind) {
        case 'client-gone':
          done('neutral', 0);
          return;
        case 'answered':
          done('success', result.upstream.status);
          if (sticky !== null && !sticky.atHeader) learnAt(result.upstream);
          return;
        case 'refused': {
          const status = result.upstream.status;
          done(status === 403 || status === 404 ? 'neutral' : 'failure', status);
          this.logger.warn({ upstream: group.name, server: peer.name, status }, 'upstream answered a status proxy_next_upstream passes over');
          continue;
        }
        case 'failed':
          if (res.destroyed || (body !== null && req.destroyed && !req.complete)) {
            done('neutral', 0); // the client went away (nginx's 499): no fault of the server
            return;
          }
          if (body?.tooLarge === true || body?.broken != null) {
            done('neutral', 0); // the client's body, not the server, failed
            throw body.broken ?? bodyTooLarge(this.maxBodyBytes);
          }
          failure = result.failure;
          // A certificate proxy_ssl_verify refused is logged in nginx's words.
          const message = result.error instanceof UpstreamCertificateError ? result.error.message : 'upstream failed';
          this.logger.error({ upstream: group.name, server: peer.name, failure, err: result.error.message }, message);
          done('failure', 0);
          if (!this.retries(result.failure, result.sent, choice, method, body, startedAt)) {
            throw failure === 'timeout' ? gatewayTimeout() : badGateway();
          }
      }
    }
  }

  /** The server's connections; `oneShot`: a target made for one request, whose connection is not kept. */
  private dispatcherOf(peer: Peer, target: ProxyTarget, oneShot: boolean): UpstreamDispatcher {
    let dispatcher = oneShot ? undefined : this.dispatchers.get(peer);
    if (dispatcher === undefined) {
      const tls = target.scheme === 'https' ? { settings: this.tlsSettings(), proxyHost: target.proxyHost } : null;
      const policy = { ...target.keepalive, connectTimeoutMs: this.settings.connectTimeoutMs, tls };
      if (oneShot) return this.pools.oneShot(peer.server.address, policy);
      dispatcher = this.pools.dispatcher(peer.server.address, policy);
      this.dispatchers.set(peer, dispatcher);
    }
    return dispatcher;
  }

  private tlsSettings(): UpstreamTls {
    this.tls ??= upstreamTlsOf(this.settings.ssl, this.location.source);
    return this.tls;
  }

  /** A try is over: the balancer's accounting, the node's counters, and the log line when the server is left out. */
  private account(target: ProxyTarget, peer: Peer, choice: PeerChoice, outcome: PeerOutcome, status: number, sent: number, result: AttemptResult): void {
    const { group, counters } = target;
    const wasAvailable = outcome === 'failure' && !group.unavailable(peer);
    group.release(peer, choice, outcome);
    counters?.finished(peer.id, status, sent, result.receivedBytes, outcome === 'failure', result.times);
    if (wasAvailable && group.unavailable(peer)) {
      this.logger.warn({ upstream: group.name, server: peer.name }, 'upstream server temporarily disabled');
      counters?.unavailable(peer.id, Date.now() + peer.server.failTimeoutMs);
    }
  }

  /** ngx_http_upstream_next: whether a failed try goes on to the next server. */
  private retries(failure: AttemptFailure, sent: boolean, choice: PeerChoice, method: string, body: BodySource | null, startedAt: number): boolean {
    const conditions = this.settings.nextUpstream;
    return choice.tries > 0 && conditions.includes(failure) && this.mayResend(sent, method, body, startedAt);
  }

  /** ngx_http_upstream_test_next: whether an answer's status is passed over for the next server (checked before the try is released). */
  private passesOver(status: number, choice: PeerChoice, method: string, body: BodySource | null, startedAt: number): boolean {
    const condition = STATUS_CONDITIONS.get(status);
    return condition !== undefined && choice.tries > 1 && this.settings.nextUpstream.includes(condition) && this.mayResend(true, method, body, startedAt);
  }

  private mayResend(sent: boolean, method: string, body: BodySource | null, startedAt: number): boolean {
    const conditions = this.settings.nextUpstream;
    if (body?.started === true) return false; // the body went out and is not kept: it cannot be sent again
    if (sent && NON_IDEMPOTENT.has(method) && !conditions.includes('non_idempotent')) return false;
    const limit = this.settings.nextUpstreamTimeoutMs;
    return limit === 0 || Date.now() - startedAt < limit;
  }
}

/* The request line and fields as they go out (the body's framing aside). */
function requestHeadBytes(method: string, path: string, headers: Readonly<Record<string, string | string[]>>): number {
  let n = method.length + path.length + ' HTTP/1.1\r\n\r\n'.length;
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) n += name.length + v.length + 4;
  }
  return n;
}

/** The head of a 101 answer: the server's fields as passed to the client, and the connection's own. */
function switchingHead(headers: OutgoingHttpHeaders): string {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${String(v)}\r\n`;
  }
  return `${head}Connection: upgrade\r\n\r\n`;
}

export const badGateway = (): ApiError => new ApiError(502, ErrorCode.BadGateway, 'bad gateway');
const gatewayTimeout = (): ApiError => new ApiError(504, ErrorCode.GatewayTimeout, 'gateway timeout');

/** The facts variables read, of a request at the front end. */
export function requestFacts(req: IncomingMessage, remoteAddress: string): RequestFacts {
  return { url: req.url ?? '/', headers: req.headers, remoteAddress, method: req.method ?? 'GET', remotePort: req.socket.remotePort ?? 0 };
}

