import type http from 'node:http';
import { takeServerField } from './front-end-response.js';
import type { HandlerResponse } from './handler-types.js';

/**
 * Writes a handler's answer. A body is framed by Content-Length, as nginx frames an answer
 * whose length it knows, unless the handler framed it itself (Content-Length or
 * Transfer-Encoding, in any case) or the status has no body (1xx, 204, 304): Node then
 * writes the head and the body in one write, where chunked framing took a writev of five
 * pieces and more bytes. The front end's Server field goes among the fields (unless the
 * handler gave one: its own stands), so that Node writes them all at once.
 */
export function sendResponse(res: http.ServerResponse, response: HandlerResponse): void {
  const status = response.status ?? 200;
  const body = response.body ?? '';
  const headers = response.headers ?? NO_HEADERS;
  const given = givenFields(headers);
  const server = takeServerField(res);
  const length = hasNoBody(status) || (given & FRAMED) !== 0 ? null : String(Buffer.byteLength(body));
  if (server === null || (given & SERVER) !== 0) res.writeHead(status, length === null ? headers : { ...headers, 'content-length': length });
  else res.writeHead(status, length === null ? { Server: server, ...headers } : { Server: server, ...headers, 'content-length': length });
  res.end(body);
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function hasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

/** givenFields' bits: the handler framed the body (Content-Length or Transfer-Encoding); it gave a Server field. */
const FRAMED = 1;
const SERVER = 2;

/** Which of the fields that matter here the handler gave, in any case. */
function givenFields(headers: Readonly<Record<string, string | string[]>>): number {
  let given = 0;
  for (const name in headers) {
    const n = name.length;
    if (n === 6 && name.toLowerCase() === 'server') given |= SERVER;
    else if ((n === 14 || n === 17) && (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'transfer-encoding')) given |= FRAMED;
  }
  return given;
}
