// keepalive_timeout and keepalive_requests of client connections, decided per request as
// nginx decides them (ngx_http_update_location_config, ngx_http_set_keepalive): the
// settings of the location (else the server) that serves a request say whether its answer
// keeps the connection open, and how long the connection then waits idle for the next one.
//
//   keepalive_timeout 0               the answer says Connection: close
//   the Nth request, N >= keepalive_requests   (N counts this one) likewise
//   otherwise                         after the answer, an idle timer of keepalive_timeout;
//                                     the next request stops it, its expiry closes the connection
//
// An answer written before its request's body was all read leaves the rest to be dropped
// (discarded-body.ts): the idle timer starts once the body has ended, as nginx's keepalive
// follows its discarding, and the connection ends if the body does not end within the
// location's lingering_time and lingering_timeout.
//
// Node's own keep-alive handling is off on the front end's servers (keepAliveTimeout 0: no
// timer of its own, no `Keep-Alive: timeout=5` field; maxRequestsPerSocket 0): a server
// serves several server blocks and locations, each with its own values. The Keep-Alive
// field of keepalive_timeout's second parameter is written by AnswerHeaders.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { DEFAULT_CLIENT_KEEPALIVE } from '../config/defaults.js';
import type { HttpRequestSettings } from '../config/types.js';
import { discardWithinLingering } from '../api/discarded-body.js';
import { isLastAnswer, lingeringOf } from './front-end-response.js';

type KeepaliveSettings = Pick<HttpRequestSettings, 'keepaliveTimeoutMs' | 'keepaliveRequests'>;

/** A client connection as the keep-alive sees it: keepaliveRequestArrived gives it for clientKeepalive. */
export interface ClientConnection {
  /** Requests that arrived on it (nginx's c->requests). */
  requests: number;
  /** Those not yet answered: a pipelined one is served while an earlier one is answered. */
  unanswered: number;
  /** The idle timer runs (the socket's timeout, set here and by the discarding, and nowhere else). */
  idle: boolean;
  /** The body of its last answered request is being dropped within the lingering bounds (the socket's timeout is theirs): what stops them; null when none is. */
  discarding: (() => void) | null;
  /** keepalive_timeout of its latest request whose location was found (nginx's default before): the idle wait once every request on it is answered. */
  timeoutMs: number;
}

const connections = new WeakMap<Socket, ClientConnection>();

/* The longest a Node timer waits (2^31 - 1 ms, about 24.8 days); a longer keepalive_timeout waits that long. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Turns Node's keep-alive handling off on a front end server: clientKeepalive does it per request. */
export function leaveKeepaliveToRequests(server: Server): void {
  server.keepAliveTimeout = 0;
  server.maxRequestsPerSocket = 0;
}

/**
 * A request arrived on its connection: the connection's idle timer stops. Call for every
 * request, before it is served, and keepaliveAnswerClosed when its answer closes. Returns
 * the connection, for clientKeepalive once the request's location is found.
 */
export function keepaliveRequestArrived(req: IncomingMessage): ClientConnection {
  const socket = req.socket;
  let connection = connections.get(socket);
  if (connection === undefined) {
    connection = { requests: 0, unanswered: 0, idle: false, discarding: null, timeoutMs: DEFAULT_CLIENT_KEEPALIVE.keepaliveTimeoutMs };
    connections.set(socket, connection);
  }
  connection.requests++;
  connection.unanswered++;
  if (connection.idle) {
    socket.setTimeout(0);
    connection.idle = false;
  }
  // A request parsed after a discarded body: that body has ended (its 'end' may not have been emitted yet).
  if (connection.discarding !== null) {
    connection.discarding();
    connection.discarding = null;
    socket.setTimeout(0);
  }
  return connection;
}

/**
 * The request's `settings` (its location's): its answer says Connection: close when they end
 * the connection with it, and once answered, with no other request pending, the connection
 * waits idle at most their keepalive_timeout. `connection`: keepaliveRequestArrived's for the
 * request. Call before anything of the answer is written.
 */
export function clientKeepalive(connection: ClientConnection, res: ServerResponse, settings: KeepaliveSettings): void {
  connection.timeoutMs = settings.keepaliveTimeoutMs;
  if (settings.keepaliveTimeoutMs === 0 || connection.requests >= settings.keepaliveRequests) res.shouldKeepAlive = false;
}

/** The answer of a request keepaliveRequestArrived saw has closed (finished, or its connection gone). */
export function keepaliveAnswerClosed(res: ServerResponse): void {
  const socket = res.req.socket;
  const state = connections.get(socket);
  if (state === undefined) return;
  state.unanswered--;
  if (state.unanswered > 0 || !res.writableFinished || !res.shouldKeepAlive || isLastAnswer(res) || socket.destroyed) return;
  if (res.req.complete) return waitIdle(socket, state);
  // No request can follow before this body ends: the connection waits idle once it has.
  state.discarding = discardWithinLingering(socket, res.req, lingeringOf(res), () => {
    state.discarding = null;
    waitIdle(socket, state);
  });
}

function waitIdle(socket: Socket, state: ClientConnection): void {
  socket.setTimeout(Math.min(state.timeoutMs, MAX_TIMER_MS));
  state.idle = true;
}
