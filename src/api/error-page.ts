// nginx's own error page: what the front end answers for an error outside the API's
// locations (a proxied 502 or 504, a 404 where no location matches, 413, 403, 401, a
// limit_req refusal, `return 404;`), instead of the NGINX Plus API's JSON error body. The
// page's last line names the server as its Server field does ("zonesync/0.1.0", or
// "zonesync" with server_tokens off), as nginx's names nginx.
//
//   <html>
//   <head><title>502 Bad Gateway</title></head>
//   <body>
//   <center><h1>502 Bad Gateway</h1></center>
//   <hr><center>zonesync/0.1.0</center>
//   </body>
//   </html>

import type { ServerResponse } from 'node:http';
import { ApiError, ErrorCode } from './errors.js';

/* ngx_http_special_response.c's titles; a status without one gets an empty body, as nginx. */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Authorization Required', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Not Allowed', 406: 'Not Acceptable', 408: 'Request Time-out', 409: 'Conflict', 410: 'Gone', 411: 'Length Required',
  412: 'Precondition Failed', 413: 'Request Entity Too Large', 414: 'Request-URI Too Large', 415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable', 421: 'Misdirected Request', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out', 505: 'HTTP Version Not Supported', 507: 'Insufficient Storage',
};

export const ERROR_PAGE_CONTENT_TYPE = 'text/html';

const pages = new Map<string, Buffer>();

/** The page of `status` naming `server` (the Server field's value); empty for a status nginx has no page for. */
export function errorPage(status: number, server: string): Buffer {
  const key = `${status} ${server}`;
  let page = pages.get(key);
  if (page === undefined) {
    const title = TITLES[status];
    page = Buffer.from(title === undefined ? '' : [
      '<html>', `<head><title>${status} ${title}</title></head>`, '<body>', `<center><h1>${status} ${title}</h1></center>`,
      `<hr><center>${server}</center>`, '</body>', '</html>', '',
    ].join('\r\n'), 'latin1');
    pages.set(key, page);
  }
  return page;
}

/** The fields of an answer that carries `page`. */
export function errorPageHeaders(page: Buffer): Record<string, string> {
  return page.length === 0 ? { 'Content-Length': '0' } : { 'Content-Type': ERROR_PAGE_CONTENT_TYPE, 'Content-Length': String(page.length) };
}

/** Answers `status` with its page, naming the server as the answer's Server field does; `headers` go with it. */
export function sendStatusPage(res: ServerResponse, status: number, headers: Readonly<Record<string, string>> = {}): void {
  const server = res.getHeader('server');
  const page = errorPage(status, typeof server === 'string' ? server : 'zonesync');
  res.writeHead(status, { ...headers, ...errorPageHeaders(page) });
  res.end(page);
}

/** Writes an error as nginx's page; anything that is not an ApiError is a 500 whose detail stays in the log. */
export function sendErrorPage(res: ServerResponse, error: unknown): void {
  const e = error instanceof ApiError ? error : new ApiError(500, ErrorCode.InternalError, 'internal error');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendStatusPage(res, e.status, e.headers);
}
