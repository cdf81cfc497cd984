// nginx's lingering close (ngx_http_set_lingering_close). When an answer closes its
// connection while the client may still be sending (the request's body not all read, a
// request the parser refused), closing the socket at once would leave bytes unread in it,
// and the kernel answers those with a reset, which can make the client lose the answer it
// has not read yet. So the answer and a FIN go out, and what the client still sends is
// read and dropped until the first of:
//
//   the client closes its side                  (EOF)
//   it has sent nothing for lingering_timeout   (default 5s; Node's socket timeout, which
//                                                every read of the connection restarts)
//   lingering_time has passed                   (default 30s)
//   LINGERING_MAX_BYTES were dropped
//
// then the socket is destroyed. lingering_close says when: `on` (the default) when the
// client may still be sending, `always` after every answer that closes, `off` never.
//
// Node's HTTP server closes a connection after its last answer with socket.destroySoon()
// (end, then destroy once written), called right after the answer's detachSocket
// (resOnFinish, the same on Node 20, 22 and 24): lingerAtServerClose makes that call a
// lingering close. While a connection lingers, the server's parser still reads it: the
// rest of the body goes to its request and is dropped, and a request parsed after it is
// not served but dropped the same way (dropWhileLingering). Node's server would discard a
// body nobody reads unseen (req._dump: no 'data' events), so the answer's head marks an
// unread body whose answer closes the connection (countWhenLingering), which keeps its
// bytes visible to the count of LINGERING_MAX_BYTES.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpRequestSettings } from '../config/types.js';

export type LingeringSettings = Pick<HttpRequestSettings, 'lingeringClose' | 'lingeringTimeMs' | 'lingeringTimeoutMs'>;

/** The most a lingering close reads and drops before it destroys the socket. */
export const LINGERING_MAX_BYTES = 16 * 1024 * 1024;

/* The longest a Node timer waits (2^31 - 1 ms, about 24.8 days); a longer lingering time waits that long. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The sockets that linger, with the bytes dropped since. */
const lingering = new WeakMap<Duplex, { droppedBytes: number }>();

export function isLingering(socket: Duplex): boolean {
  return lingering.has(socket);
}

/**
 * Whether an answer that closes its connection does it lingering; `unread`: the client may
 * still be sending. A lingering_time or lingering_timeout of 0 closes at once, as in nginx.
 */
function lingers(settings: LingeringSettings, unread: boolean): boolean {
  if (settings.lingeringTimeMs === 0 || settings.lingeringTimeoutMs === 0) return false;
  return settings.lingeringClose === 'always' || (settings.lingeringClose === 'on' && unread);
}

/**
 * Closes `socket` once what was written to it is sent: lingering when `settings` say so
 * (`unread`: the client may still be sending), else at once.
 */
export function closeAfterAnswer(socket: Duplex, settings: LingeringSettings, unread: boolean): void {
  if (isLingering(socket)) return;
  if (lingers(settings, unread)) closeLingering(socket as Socket, settings);
  else (socket as Socket).destroySoon();
}

/**
 * `req`'s answer was its connection's last: the close Node's server makes next
 * (destroySoon) lingers when `settings` say so, the rest of `req`'s body being dropped.
 */
export function lingerAtServerClose(socket: Socket, settings: LingeringSettings, req: IncomingMessage): void {
  const unread = !req.complete;
  if (!lingers(settings, unread)) return;
  // An own property, over net.Socket's: called once, right after this.
  socket.destroySoon = () => {
    closeLingering(socket, settings);
    if (unread) dropWhileLingering(req);
  };
}

function closeLingering(socket: Socket, settings: LingeringSettings): void {
  lingering.set(socket, { droppedBytes: 0 });
  socket.end();
  cutAfterLingering(socket, settings);
}

/**
 * Destroys `socket` once `settings`' lingering_time has passed, or lingering_timeout without
 * a read (Node's socket timeout, which every read restarts; the caller owns the socket's
 * timeout meanwhile). Returns what stops both bounds (it leaves the socket's timeout as it is).
 */
export function cutAfterLingering(socket: Socket, settings: LingeringSettings): () => void {
  const cut = (): void => {
    socket.destroy();
  };
  const total = setTimeout(cut, Math.min(settings.lingeringTimeMs, MAX_TIMER_MS));
  total.unref();
  socket.setTimeout(Math.min(settings.lingeringTimeoutMs, MAX_TIMER_MS));
  socket.on('timeout', cut);
  const stop = (): void => {
    clearTimeout(total);
    socket.off('timeout', cut);
    socket.off('close', stop);
  };
  socket.on('close', stop);
  return stop;
}

/**
 * `req`'s answer closes its connection before its body is all read: once the connection
 * lingers, what arrives of the body counts against LINGERING_MAX_BYTES. Call when the
 * answer's head is written.
 */
export function countWhenLingering(req: IncomingMessage): void {
  if (!req.complete && !req.listeners('data').includes(countDropped)) req.on('data', countDropped);
}

/** Reads and drops the body of a request on a lingering connection, within LINGERING_MAX_BYTES. */
export function dropWhileLingering(req: IncomingMessage): void {
  countWhenLingering(req);
  dropUnreadBody(req);
}

/**
 * `req` is answered: nobody reads the rest of its body now (a proxied one may have been
 * paused, its reader gone), so it is read and dropped, only LINGERING_MAX_BYTES' count
 * still seeing it.
 */
export function dropUnreadBody(req: IncomingMessage): void {
  for (const listener of req.listeners('data')) if (listener !== countDropped) req.off('data', listener as (chunk: Buffer) => void);
  req.on('error', ignore);
  req.resume();
}

function countDropped(this: IncomingMessage, chunk: Buffer): void {
  const state = lingering.get(this.socket);
  if (state !== undefined && (state.droppedBytes += chunk.length) > LINGERING_MAX_BYTES) this.socket.destroy();
}

function ignore(): void {}
