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
// Node's own keep-alive handling is off on the front end's servers (keepAliveTimeout 0: no
// timer of its own, no `Keep-Alive: timeout=5` field; maxRequestsPerSocket 0): a server
// serves several server blocks and locations, each with its own values. The Keep-Alive
// field of keepalive_timeout's second parameter is written by AnswerHeaders.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpRequestSettings } from '../config/types.js';

type KeepaliveSettings = Pick<HttpRequestSettings, 'keepaliveTimeoutMs' | 'keepaliveRequests'>;

interface ClientConnection {
  /** Requests that arrived on it (nginx's c->requests). */
  requests: number;
  /** Those not yet answered: a pipelined one is served while an earlier one is answered. */
  unanswered: number;
  /** The idle timer runs (the socket's timeout, set here and nowhere else). */
  idle: boolean;
  /** keepalive_timeout of its latest request: the idle wait once every request on it is answered. */
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
 * A request arrived on its connection and `settings` serve it: the connection's idle timer
 * stops; its answer says Connection: close when `settings` end the connection with it, and
 * once answered, with no other request pending, the connection waits idle at most
 * keepalive_timeout. Call before anything of the answer is written.
 */
export function clientKeepalive(req: IncomingMessage, res: ServerResponse, settings: KeepaliveSettings): void {
  const socket = req.socket;
  let connection = connections.get(socket);
  if (connection === undefined) {
    connection = { requests: 0, unanswered: 0, idle: false, timeoutMs: 0 };
    connections.set(socket, connection);
  }
  connection.requests++;
  connection.unanswered++;
  connection.timeoutMs = settings.keepaliveTimeoutMs;
  if (connection.idle) {
    socket.setTimeout(0);
    connection.idle = false;
  }
  if (settings.keepaliveTimeoutMs === 0 || connection.requests >= settings.keepaliveRequests) res.shouldKeepAlive = false;
  // 'close' comes after 'finish', and alone when the answer was cut (the connection is closed then).
  // One listener for every answer, not a closure per request: it finds the connection through the request.
  res.on('close', onAnswerClosed);
}

function onAnswerClosed(this: ServerResponse): void {
  const socket = this.req.socket;
  const state = connections.get(socket);
  if (state === undefined) return;
  state.unanswered--;
  // An answer that said Connection: close ends its connection (an upgrade's its tunnel): no timer on it.
  if (state.unanswered > 0 || !this.writableFinished || !this.shouldKeepAlive || socket.destroyed) return;
  // Expiry with no 'timeout' listener on the server: Node's socketOnTimeout destroys the socket.
  socket.setTimeout(Math.min(state.timeoutMs, MAX_TIMER_MS));
  state.idle = true;
}
