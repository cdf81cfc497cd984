// The bounds of a request to a node, nginx's defaults, and the options that make a Node HTTP
// server enforce them:
//
//   request line    8 KiB   one of large_client_header_buffers 4 8k     → 414 UriTooLong
//   request head   32 KiB   all four of them (Node's maxHeaderSize)      → 431 HeadersTooLarge
//   body            1 MiB   client_max_body_size 1m (body.ts)            → 413 BodyTooLarge
//   head arrives   60 s     client_header_timeout 60s (headersTimeout)   → 408 RequestTimeout
//   whole request 300 s     Node's default requestTimeout                → 408 RequestTimeout
//
// A request line between 8 KiB and the head bound is refused by checkRequestHead once Node
// has parsed it; a longer one by the parser itself (client-error.ts). checkRequestHead also
// refuses an HTTP/1.1 request without Host (400, as nginx), which Node would otherwise
// answer itself with an empty body.

import type { IncomingMessage, ServerOptions } from 'node:http';
import { DEFAULT_MAX_BODY_BYTES } from './body.js';
import { ApiError, ErrorCode } from './errors.js';

export const MAX_REQUEST_LINE_BYTES = 8 * 1024;
export const MAX_REQUEST_HEAD_BYTES = 32 * 1024;
export const MAX_REQUEST_BODY_BYTES = DEFAULT_MAX_BODY_BYTES;

/** The timing bounds, changeable for tests that cannot wait a minute. */
export interface RequestTimeouts {
  /** The head must have arrived this long after the request began. */
  readonly headersTimeoutMs: number;
  /** The whole request must have arrived this long after it began. */
  readonly requestTimeoutMs: number;
  /** How often the server looks for requests over those times (Node's default: 30 s). */
  readonly checkIntervalMs: number;
}

export const DEFAULT_REQUEST_TIMEOUTS: RequestTimeouts = { headersTimeoutMs: 60_000, requestTimeoutMs: 300_000, checkIntervalMs: 30_000 };

/** Options of http.createServer that enforce the head bound and the timeouts. */
export function httpServerOptions(timeouts: RequestTimeouts = DEFAULT_REQUEST_TIMEOUTS): ServerOptions {
  return {
    requireHostHeader: false,
    maxHeaderSize: MAX_REQUEST_HEAD_BYTES,
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionsCheckingInterval: timeouts.checkIntervalMs,
  };
}

export function uriTooLong(): ApiError {
  return new ApiError(414, ErrorCode.UriTooLong, 'request line too long', { Connection: 'close' });
}

/** The refusal of a request whose head Node parsed but zonesync does not take, else null. */
export function checkRequestHead(req: IncomingMessage): ApiError | null {
  const length = (req.method ?? '').length + (req.url ?? '').length + ' HTTP/1.1'.length + 1;
  if (length > MAX_REQUEST_LINE_BYTES) return uriTooLong();
  if (req.httpVersion === '1.1' && req.headers.host === undefined) {
    return new ApiError(400, ErrorCode.BadRequest, 'client sent HTTP/1.1 request without "Host" header', { Connection: 'close' });
  }
  return null;
}
