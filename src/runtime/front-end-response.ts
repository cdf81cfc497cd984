import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { countWhenLingering, lingerAtServerClose, type LingeringSettings } from '../api/lingering-close.js';
import { DEFAULT_LINGERING } from '../config/defaults.js';

type HeadFields = OutgoingHttpHeaders | OutgoingHttpHeader[];

/**
 * The answers of the front end's servers. Every answer carries a Server field; set with
 * setHeader before the head, it would make Node take writeHead's slow path for every other
 * field (each set again one by one, into a table of its own). Here it waits in
 * `serverField` until the head is written: writeHead sets it as before, unless the writer
 * took it (takeServerField) to put it among the fields it passes, which Node then writes
 * at once. The fields so passed are kept, and getHeader finds them, as it finds those set
 * one by one ($sent_http_NAME of the access log, the Server an error page names).
 * An answer that closes its connection closes it as its location's lingering_close says
 * (lingering-close.ts).
 */
export class FrontEndResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** The Server field this answer will carry, until its head is written or a writer took it. */
  serverField: string | null = null;
  /** The fields given to writeHead, when they went out without setHeader. */
  private passedFields: OutgoingHttpHeaders | null = null;
  /** lingering_close, lingering_time and lingering_timeout of the request's location (nginx's defaults until it is found). */
  lingering: LingeringSettings = DEFAULT_LINGERING;

  /* Node's server calls this once the answer is written, before it closes the connection when the answer was its last. */
  override detachSocket(socket: Socket): void {
    if (isLastAnswer(this)) lingerAtServerClose(socket, this.lingering, this.req);
    super.detachSocket(socket);
  }

  override writeHead(statusCode: number, reason?: string | HeadFields, fields?: HeadFields): this {
    const server = this.serverField;
    if (server !== null) {
      this.serverField = null;
      // A Server field set since (setHeader) stands, as it replaced the one set before it.
      if (!this.hasHeader('server')) this.setHeader('Server', server);
    }
    const given = typeof reason === 'string' ? fields : reason;
    if (given !== undefined && given !== null && !Array.isArray(given)) this.passedFields = given;
    super.writeHead(statusCode, reason as string, fields as OutgoingHttpHeaders);
    if (isLastAnswer(this)) countWhenLingering(this.req);
    return this;
  }

  override getHeader(name: string): number | string | string[] | undefined {
    const value = super.getHeader(name);
    if (value !== undefined) return value;
    const lower = name.toLowerCase();
    if (lower === 'server' && this.serverField !== null) return this.serverField;
    const passed = this.passedFields;
    if (passed !== null) for (const key in passed) if (key.toLowerCase() === lower) return passed[key];
    return undefined;
  }
}

/** Sets the Server field `res` will carry (now on an answer of another kind). */
export function setServerField(res: ServerResponse, value: string): void {
  if (res instanceof FrontEndResponse) res.serverField = value;
  else res.setHeader('Server', value);
}

/** The Server field `res` would have written with its head, now the caller's to write; null when there is none to write. */
export function takeServerField(res: ServerResponse): string | null {
  if (!(res instanceof FrontEndResponse)) return null;
  const value = res.serverField;
  res.serverField = null;
  return value;
}

/** `res`, when it is its connection's last answer, closes the connection as `settings` say. */
export function lingerWith(res: ServerResponse, settings: LingeringSettings): void {
  if (res instanceof FrontEndResponse) res.lingering = settings;
}

/** lingering_close, lingering_time and lingering_timeout of `res`'s location (nginx's defaults for an answer of another kind). */
export function lingeringOf(res: ServerResponse): LingeringSettings {
  return res instanceof FrontEndResponse ? res.lingering : DEFAULT_LINGERING;
}

/** Whether Node's server closes the connection once `res` is written (its `_last`: the answer said Connection: close). */
export function isLastAnswer(res: ServerResponse): boolean {
  return (res as ServerResponse & { _last?: boolean })._last === true;
}
