// Writing responses: JSON bodies with Content-Length, and the NGINX Plus error body.

import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { API_DOCS_HREF, ApiError, ErrorCode } from './errors.js';

export const JSON_CONTENT_TYPE = 'application/json';

/** A 32-hex-digit id, as nginx's $request_id. */
export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

export function sendNoContent(res: ServerResponse, status: 201 | 204): void {
  // 201 carries an empty body, as NGINX Plus answers a keyval POST.
  res.writeHead(status, status === 201 ? { 'Content-Length': '0' } : {});
  res.end();
}

export interface ErrorBody {
  error: { status: number; text: string; code: string };
  request_id: string;
  href: string;
}

export function errorBody(status: number, code: string, text: string, requestId: string = newRequestId()): ErrorBody {
  return { error: { status, text, code }, request_id: requestId, href: API_DOCS_HREF };
}

/** Writes an error; anything that is not an ApiError is a 500 whose detail stays in the log. */
export function sendError(res: ServerResponse, error: unknown, extraHeaders: Record<string, string> = {}): void {
  const e = error instanceof ApiError ? error : new ApiError(500, ErrorCode.InternalError, 'internal error');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, e.status, errorBody(e.status, e.code, e.message), { ...extraHeaders, ...e.headers });
}
