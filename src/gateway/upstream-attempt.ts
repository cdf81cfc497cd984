import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { UpstreamDispatcher } from './upstream-pools.js';
import { tunnel } from './upgrade-tunnel.js';
import type { UpstreamFacts } from './variables.js';

/** Why an attempt failed, in proxy_next_upstream's words. */
export type AttemptFailure = 'error' | 'timeout' | 'invalid_header';

export type AttemptResult = (
  /** The answer went to the client (whole, or cut short after its header: `broken`). */
  | { readonly kind: 'answered'; readonly upstream: UpstreamFacts; readonly broken: boolean }
  /** The upstream answered with a status the caller chose not to pass (proxy_next_upstream http_NNN); nothing went to the client. */
  | { readonly kind: 'refused'; readonly upstream: UpstreamFacts }
  /** No answer; nothing went to the client. `sent`: the request had started to go out. */
  | { readonly kind: 'failed'; readonly failure: AttemptFailure; readonly sent: boolean; readonly error: Error }
  /** The client went away. */
  | { readonly kind: 'client-gone' }
) & {
  /** Bytes read from the server: the answer's head (as its fields) and body, or what came through the tunnel. */
  readonly receivedBytes: number;
  /** Bytes sent to the server through the tunnel of an upgraded connection (0 for an ordinary answer). */
  readonly tunnelSentBytes: number;
  /** For an answer that came whole: ms from the try's start to its header and to its end. */
  readonly times: { readonly headerMs: number; readonly responseMs: number } | null;
};

type Outcome = AttemptResult extends infer R ? (R extends unknown ? Omit<R, 'receivedBytes' | 'tunnelSentBytes' | 'times'> : never) : never;

/** A request that asks the server for an upgrade (proxy_set_header Upgrade and Connection "upgrade"). */
export interface UpgradeAsk {
  /** The Upgrade field sent. */
  readonly protocol: string;
  /** The client's connection, joined to the server's on a 101. */
  readonly client: Duplex;
  /** What the client sent after its request's head. */
  readonly head: Buffer;
  /** proxy_read_timeout: the most the tunnel stays idle. */
  readonly idleTimeoutMs: number;
  /** The head of the 101 answer the client gets. */
  readonly answerHead: (upstream: UpstreamFacts) => string;
}

export interface AttemptRequest {
  readonly dispatcher: UpstreamDispatcher;
  readonly serverName: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Readable | null;
  /** Close the connection after the answer ("Connection: close"). */
  readonly reset: boolean;
  readonly readTimeoutMs: number;
  readonly res: ServerResponse;
  /** At the upstream's header: false to refuse the answer (try another server), true to pass it. */
  readonly accept: (upstream: UpstreamFacts) => boolean;
  /** Writes the client's header for an accepted answer. */
  readonly writeHead: (upstream: UpstreamFacts) => void;
  /** An upgrade to ask for; null: an ordinary request. An answer other than 101 is passed as any answer. */
  readonly upgrade: UpgradeAsk | null;
}

/**
 * One try of a request on one upstream server, its answer streamed to the client as it
 * arrives: each chunk is written to the client, and reading from the upstream pauses while
 * the client's socket is full. The client going away aborts the upstream request. A 101
 * answer to an upgrade joins the two connections (upgrade-tunnel.ts); the try ends with them.
 */
export function attempt(r: AttemptRequest): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const { res } = r;
    let controller: Dispatcher.DispatchController | null = null;
    let sent = false;
    let upstream: UpstreamFacts | null = null;
    let refused = false;
    let settled = false;
    let waitingForDrain = false;
    let receivedBytes = 0;
    let tunnelSentBytes = 0;
    const startedAt = performance.now();
    let headerMs = -1;
    const settle = (result: Outcome): void => {
      if (settled) return;
      settled = true;
      res.off('close', onClientClose);
      const whole = result.kind === 'answered' && !result.broken;
      resolve({ ...result, receivedBytes, tunnelSentBytes, times: whole ? { headerMs, responseMs: performance.now() - startedAt } : null } as AttemptResult);
    };
    const onClientClose = (): void => {
      if (res.writableFinished) return;
      controller?.abort(new Error('the client closed the connection'));
      settle({ kind: 'client-gone' });
    };
    res.on('close', onClientClose);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        sent = true;
      },
      onResponseStart(c, statusCode, headers) {
        receivedBytes += headBytes(c.rawHeaders);
        if (statusCode < 200) return; // 1xx: informational, not passed (nginx)
        headerMs = performance.now() - startedAt;
        upstream = { status: statusCode, headers: headers as IncomingHttpHeaders, address: r.serverName };
        if (!r.accept(upstream)) {
          // Settled first: aborting calls onResponseError at once, which must not touch the client.
          refused = true;
          settle({ kind: 'refused', upstream });
          c.abort(new Error('answer refused for the next upstream'));
          return;
        }
        try {
          r.writeHead(upstream);
        } catch (error) {
          // A field Node will not write (a value with a control character): nginx's invalid_header.
          upstream = null;
          settle({ kind: 'failed', failure: 'invalid_header', sent, error: error as Error });
          c.abort(error as Error);
        }
      },
      onRequestUpgrade(_c, statusCode, headers, socket) {
        const ask = r.upgrade!;
        headerMs = performance.now() - startedAt;
        upstream = { status: statusCode, headers: headers as IncomingHttpHeaders, address: r.serverName };
        if (settled) {
          socket.destroy();
          return;
        }
        // The client's connection is the tunnel's now: its closing ends the tunnel, not the try.
        res.off('close', onClientClose);
        const answerHead = ask.answerHead(upstream);
        receivedBytes += Buffer.byteLength(answerHead);
        ask.client.write(answerHead);
        const answered = upstream;
        void tunnel(ask.client, socket as Socket, ask.head, ask.idleTimeoutMs).then((bytes) => {
          receivedBytes += bytes.fromUpstream;
          tunnelSentBytes = bytes.toUpstream;
          settle({ kind: 'answered', upstream: answered, broken: false });
        });
      },
      onResponseData(c, chunk) {
        receivedBytes += chunk.length;
        if (refused || settled) return;
        if (!res.write(chunk) && !waitingForDrain) {
          waitingForDrain = true;
          c.pause();
          res.once('drain', () => {
            waitingForDrain = false;
            c.resume();
          });
        }
      },
      onResponseEnd() {
        if (refused || settled) return;
        res.end();
        settle({ kind: 'answered', upstream: upstream!, broken: false });
      },
      onResponseError(_c, error) {
        if (settled) return;
        if (upstream !== null) {
          // The header went to the client: the answer can only be cut short (nginx closes the connection).
          res.destroy();
          settle({ kind: 'answered', upstream, broken: true });
          return;
        }
        settle({ kind: 'failed', failure: failureOf(error), sent, error });
      },
    };
    try {
      r.dispatcher.dispatch({
        path: r.path, method: r.method, headers: r.headers, body: r.body, reset: r.reset,
        headersTimeout: r.readTimeoutMs, bodyTimeout: r.readTimeoutMs, upgrade: r.upgrade?.protocol ?? null,
      }, handler);
    } catch (error) {
      settle({ kind: 'failed', failure: 'error', sent: false, error: error as Error });
    }
  });
}

/* The status line and fields as they came: names, values, ": " and line ends. */
function headBytes(raw: unknown): number {
  if (!Array.isArray(raw)) return 0;
  let n = 'HTTP/1.1 200 OK\r\n\r\n'.length;
  for (const field of raw as Array<Buffer | string>) n += field.length + 2;
  return n;
}

const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

function failureOf(error: Error): AttemptFailure {
  const code = (error as { code?: string }).code ?? '';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (code.startsWith('HPE_') || error.name === 'HTTPParserError') return 'invalid_header';
  return 'error';
}
