// Answers to what never becomes a request a handler sees: the bytes Node's HTTP parser
// refuses (the server's 'clientError' event), heads over the bounds, requests that time
// out, and CONNECT. Each is answered with the NGINX Plus error body, written raw on the
// socket, and the connection is closed as the default server's lingering_close says
// (lingering-close.ts): the client may still be sending the rest of what was refused.
//
//   HPE_INVALID_METHOD    405 MethodNotSupported when the method is a token of A-Z, "_" and
//                         "-" that Node does not know (as nginx), else 400 BadRequest
//   HPE_HEADER_OVERFLOW   414 UriTooLong while still in the request line, else 431
//                         HeadersTooLarge (the head is over MAX_REQUEST_HEAD_BYTES)
//   ERR_HTTP_REQUEST_TIMEOUT  408 RequestTimeout
//   anything else         400 BadRequest
//
// Pure classification (clientErrorOf) is apart from the socket work (answerClientError), so
// any thread that runs an HTTP server can use both. answerClientError reads two fields Node's
// HTTP server keeps on a connection's socket, the same on Node 20, 22 and 24 (the tests of
// test/runtime/api-hostile.test.ts run on each): `parser.incoming`, the request being
// parsed, and `_httpMessage`, the response being written.

import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { breakBody } from './body.js';
import { ApiError, ErrorCode, methodNotSupported } from './errors.js';
import { closeAfterAnswer, isLingering, type LingeringSettings } from './lingering-close.js';
import { errorBody } from './respond.js';
import { uriTooLong } from './request-limits.js';

/** What Node's parser puts on the errors it emits with 'clientError'. */
export interface ParserError extends Error {
  readonly code?: string;
  /** The chunk being parsed when the error was found. */
  readonly rawPacket?: Buffer;
  /** Where in rawPacket the parser stopped. */
  readonly bytesParsed?: number;
}

const NGINX_METHOD = /^[A-Z_-]+$/;
const REQUEST_LINE_START = /^[A-Za-z_-]+ \S/;

export function clientErrorOf(error: ParserError): ApiError {
  switch (error.code) {
    case 'HPE_INVALID_METHOD':
      return NGINX_METHOD.test(methodToken(error)) ? methodNotSupported(null) : badRequest();
    case 'HPE_HEADER_OVERFLOW':
      return inRequestLine(error) ? uriTooLong()
        : new ApiError(431, ErrorCode.HeadersTooLarge, 'request header fields too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError(408, ErrorCode.RequestTimeout, 'request timed out');
    default:
      return badRequest();
  }
}

function badRequest(): ApiError {
  return new ApiError(400, ErrorCode.BadRequest, 'bad request');
}

/** The method the parser refused: the token from the start of its line to the first space. */
function methodToken(error: ParserError): string {
  const packet = error.rawPacket;
  if (packet === undefined) return '';
  const stop = Math.min(error.bytesParsed ?? 0, packet.length);
  const lineStart = packet.lastIndexOf(0x0a, stop - 1) + 1;
  const space = packet.indexOf(0x20, lineStart);
  return packet.subarray(lineStart, space < 0 ? packet.length : space).toString('latin1');
}

/*
 * Whether the overflow happened in the request line: the chunk parsed holds the start of
 * a request line and no line break before the point of overflow. A request line split
 * over several reads before the overflow cannot be told from a header and is answered 431.
 */
function inRequestLine(error: ParserError): boolean {
  const packet = error.rawPacket;
  if (packet === undefined) return false;
  const parsed = packet.subarray(0, Math.min(error.bytesParsed ?? packet.length, packet.length));
  return !parsed.includes(0x0a) && REQUEST_LINE_START.test(parsed.subarray(0, 64).toString('latin1'));
}

/** An error as a whole HTTP/1.1 response that closes the connection. */
export function rawErrorResponse(error: ApiError): Buffer {
  const body = JSON.stringify(errorBody(error.status, error.code, error.message));
  const headers = {
    ...error.headers,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const head = [`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

const answered = new WeakSet<Duplex>();

/** The error of a request whose head was accepted but whose body broke off or timed out. */
export function bodyErrorOf(error: ParserError): ApiError {
  return error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? new ApiError(408, ErrorCode.RequestTimeout, 'request timed out', { Connection: 'close' })
    : new ApiError(400, ErrorCode.BodyReadError, 'malformed request body', { Connection: 'close' });
}

/**
 * The server's 'clientError' listener. The parser reports every later chunk of a connection
 * it has refused again: only the first report is answered. When the error is in the body
 * of a request a handler already has, that handler answers it (body.ts, breakBody).
 * Otherwise a response still being written for an earlier request of the connection is let
 * finish first. A connection that lingers after its last answer gets no other.
 */
export function answerClientError(error: ParserError, socket: Duplex, lingering: LingeringSettings): void {
  if (answered.has(socket)) return;
  answered.add(socket);
  const parsing = (socket as Duplex & { parser?: { incoming?: IncomingMessage | null } | null }).parser?.incoming;
  if (parsing != null && !parsing.complete) {
    breakBody(parsing, bodyErrorOf(error));
    return;
  }
  let done = false;
  const answer = (): void => {
    if (done) return;
    done = true;
    if (!socket.writable) {
      if (!isLingering(socket)) socket.destroy();
      return;
    }
    // A timed-out request that completes later is not served: its connection lingers (the front end drops what arrives then).
    socket.end(rawErrorResponse(clientErrorOf(error)));
    closeAfterAnswer(socket, lingering, true);
  };
  const inFlight = (socket as Duplex & { _httpMessage?: Duplex | null })._httpMessage;
  if (inFlight != null && !inFlight.writableFinished) inFlight.once('finish', answer).once('close', answer);
  else answer();
}

/** The server's 'connect' listener: CONNECT is no method of zonesync's (nor an answer on a connection that lingers). */
export function refuseConnect(socket: Duplex, lingering: LingeringSettings): void {
  answered.add(socket);
  socket.on('error', () => {});
  socket.resume();
  if (isLingering(socket)) return;
  socket.end(rawErrorResponse(methodNotSupported(null)));
  closeAfterAnswer(socket, lingering, true);
}
