// Counts an HTTP server's client connections and requests into the node's counters, as
// NGINX Plus's /connections and /http/requests: a connection is active from its accept
// until its first request is answered and while a request on it is in progress, idle
// between requests; a request is current from its head's arrival until its response ends
// or its connection closes.

import type http from 'node:http';
import type { Socket } from 'node:net';
import {
  N_CONNECTIONS_ACCEPTED, N_CONNECTIONS_ACTIVE, N_CONNECTIONS_IDLE, N_REQUESTS_CURRENT, N_REQUESTS_TOTAL,
  type NodeCounters,
} from './node-counters.js';

interface ConnectionState {
  inFlight: number;
  idle: boolean;
  closed: boolean;
}

/** What the counting adds to: the node's counters (a serving worker's adds go to its slot's replica). */
export type TrafficCounters = Pick<NodeCounters, 'add'>;

/** What the front end emits on a server, with (req, res), for a request that asked for an upgrade and is served as one. */
export const UPGRADE_REQUEST = 'zonesync:upgrade-request';

export function countHttpTraffic(server: http.Server, counters: TrafficCounters): void {
  const states = new WeakMap<Socket, ConnectionState>();
  server.on('connection', (socket: Socket) => {
    // A connection read anew after an upgrade request served as an ordinary one (upgrade-requests.ts) is counted once.
    if (states.has(socket)) return;
    const state: ConnectionState = { inFlight: 0, idle: false, closed: false };
    states.set(socket, state);
    counters.add(N_CONNECTIONS_ACCEPTED);
    counters.add(N_CONNECTIONS_ACTIVE);
    socket.once('close', () => {
      state.closed = true;
      counters.add(state.idle ? N_CONNECTIONS_IDLE : N_CONNECTIONS_ACTIVE, -1);
    });
  });
  // One listener for every response, not a closure per request: it finds the connection through the request.
  function onResponseClose(this: http.ServerResponse): void {
    counters.add(N_REQUESTS_CURRENT, -1);
    const state = states.get(this.req.socket);
    if (state === undefined) return;
    state.inFlight--;
    if (!state.closed && state.inFlight === 0 && !state.idle) {
      state.idle = true;
      counters.add(N_CONNECTIONS_ACTIVE, -1);
      counters.add(N_CONNECTIONS_IDLE);
    }
  }
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    counters.add(N_REQUESTS_TOTAL);
    counters.add(N_REQUESTS_CURRENT);
    const state = states.get(req.socket);
    if (state !== undefined) {
      state.inFlight++;
      if (state.idle) {
        state.idle = false;
        counters.add(N_CONNECTIONS_IDLE, -1);
        counters.add(N_CONNECTIONS_ACTIVE);
      }
    }
    // 'close' comes once per response: `on`, without the wrapper `once` makes.
    res.on('close', onResponseClose);
  };
  // Every way a request reaches the server: plain, "Expect: 100-continue", other expectations.
  for (const event of ['request', 'checkContinue', 'checkExpectation', UPGRADE_REQUEST]) server.on(event, onRequest);
}
