import type { ServerResponse } from 'node:http';
import { sendStatusPage } from '../api/error-page.js';
import { REDIRECT_CODES } from '../config/schema-proxy.js';
import type { ReturnConfig } from '../config/types.js';
import type { CompiledTemplate, RequestFacts, Variables } from './variables.js';

/* nginx's non-standard code: close the connection without an answer. */
const CLOSE_WITHOUT_ANSWER = 444;

/**
 * `return CODE [TEXT | URL]`, compiled once: the text (variables evaluated per request) as
 * a text/plain body; for 301, 302, 303, 307 and 308 the URL as the Location field; 444
 * closes the connection without an answer, as nginx. A code without text answers with an
 * empty body, or nginx's error page for codes from 400 on.
 */
export class ReturnAnswer {
  private readonly status: number;
  private readonly text: CompiledTemplate | null;
  private readonly redirect: boolean;

  constructor(config: ReturnConfig, variables: Variables) {
    this.status = config.status;
    this.text = config.text === null ? null : variables.compile(config.text);
    this.redirect = REDIRECT_CODES.includes(config.status);
  }

  answer(res: ServerResponse, req: RequestFacts): void {
    if (this.status === CLOSE_WITHOUT_ANSWER) {
      res.statusCode = CLOSE_WITHOUT_ANSWER; // what the access log shows, as nginx's
      res.socket?.destroy();
      return;
    }
    if (this.text === null && this.status >= 400) {
      sendStatusPage(res, this.status); // nginx's error page
      return;
    }
    const text = this.text === null ? '' : this.text(req);
    if (this.redirect) {
      res.writeHead(this.status, { location: text, 'content-length': '0' });
      res.end();
      return;
    }
    const body = Buffer.from(text);
    res.writeHead(this.status, body.length === 0 ? { 'content-length': '0' } : { 'content-type': 'text/plain', 'content-length': String(body.length) });
    res.end(body);
  }
}
