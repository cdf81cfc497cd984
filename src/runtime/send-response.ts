import type http from 'node:http';
import type { HandlerResponse } from './handler-types.js';

/**
 * Writes a handler's answer. A body is framed by Content-Length, as nginx frames an answer
 * whose length it knows, unless the handler framed it itself (Content-Length or
 * Transfer-Encoding, in any case) or the status has no body (1xx, 204, 304): Node then
 * writes the head and the body in one write, where chunked framing took a writev of five
 * pieces and more bytes.
 */
export function sendResponse(res: http.ServerResponse, response: HandlerResponse): void {
  const status = response.status ?? 200;
  const body = response.body ?? '';
  const headers = response.headers ?? NO_HEADERS;
  res.writeHead(status, hasNoBody(status) || framed(headers) ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function hasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

/** Whether the handler's fields frame the body themselves. */
function framed(headers: Readonly<Record<string, string | string[]>>): boolean {
  for (const name in headers) {
    // Lengths first: most names are neither, and lower-casing each would cost a string.
    if ((name.length === 14 || name.length === 17) && (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'transfer-encoding')) return true;
  }
  return false;
}
