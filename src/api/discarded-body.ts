// The rest of a body nobody read, after an answer that keeps its connection open (a deny,
// a limit_req refusal, a return before the body): Node's server reads and drops it so as to
// parse the next request, bounded only by its request timeout. As nginx bounds discarding
// (ngx_http_finalize_connection, ngx_http_discarded_request_body_handler), it is bounded by
// the location's lingering_time from the answer's end and its lingering_timeout between
// reads; past either the socket is destroyed. lingering_close does not enter into it, as in
// nginx; a lingering_time or lingering_timeout of 0 ends the connection at once.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { cutAfterLingering, dropUnreadBody, type LingeringSettings } from './lingering-close.js';

/**
 * `req`'s answer is written, its connection stays open and its body is not complete: the
 * rest is dropped within `settings`' bounds. `ended` is called once the body has ended in
 * time (the bounds stopped, the socket's timeout still the discarding's). Returns what stops
 * the bounds and forgets `ended` (a request that follows has shown the body ended).
 */
export function discardWithinLingering(socket: Socket, req: IncomingMessage, settings: LingeringSettings, ended: () => void): () => void {
  if (settings.lingeringTimeMs === 0 || settings.lingeringTimeoutMs === 0) {
    socket.destroy();
    return ignore;
  }
  const stopBounds = cutAfterLingering(socket, settings);
  const end = (): void => {
    stopBounds();
    ended();
  };
  req.once('end', end);
  dropUnreadBody(req);
  return () => {
    stopBounds();
    req.off('end', end);
  };
}

function ignore(): void {}
