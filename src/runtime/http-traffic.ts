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

/**
 * The counting of one server: it sees the server's connections itself; its owner tells it
 * of each request (requestArrived, before the request is served: a request answered at
 * once, the API asked for the counts, is current) and of each response's 'close'
 * (answerClosed), from listeners the owner has anyway: one per response, not one each.
 */
export class TrafficCounting {
  private readonly counters: TrafficCounters;
  private readonly states = new WeakMap<Socket, ConnectionState>();

  constructor(server: http.Server, counters: TrafficCounters) {
    this.counters = counters;
    server.on('connection', (socket: Socket) => {
      // A connection read anew after an upgrade request served as an ordinary one (upgrade-requests.ts) is counted once.
      if (this.states.has(socket)) return;
      const state: ConnectionState = { inFlight: 0, idle: false, closed: false };
      this.states.set(socket, state);
      counters.add(N_CONNECTIONS_ACCEPTED);
      counters.add(N_CONNECTIONS_ACTIVE);
      socket.once('close', () => {
        state.closed = true;
        counters.add(state.idle ? N_CONNECTIONS_IDLE : N_CONNECTIONS_ACTIVE, -1);
      });
    });
  }

  requestArrived(req: http.IncomingMessage): void {
    const counters = this.counters;
    counters.add(N_REQUESTS_TOTAL);
    counters.add(N_REQUESTS_CURRENT);
    const state = this.states.get(req.socket);
    if (state === undefined) return;
    state.inFlight++;
    if (!state.idle) return;
    state.idle = false;
    counters.add(N_CONNECTIONS_IDLE, -1);
    counters.add(N_CONNECTIONS_ACTIVE);
  }

  /** Once per response that requestArrived counted, when it closes (answered, or its connection gone). */
  answerClosed(res: http.ServerResponse): void {
    const counters = this.counters;
    counters.add(N_REQUESTS_CURRENT, -1);
    const state = this.states.get(res.req.socket);
    if (state === undefined) return;
    state.inFlight--;
    if (!state.closed && state.inFlight === 0 && !state.idle) {
      state.idle = true;
      counters.add(N_CONNECTIONS_ACTIVE, -1);
      counters.add(N_CONNECTIONS_IDLE);
    }
  }
}
