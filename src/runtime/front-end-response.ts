import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';

type HeadFields = OutgoingHttpHeaders | OutgoingHttpHeader[];

/**
 * The answers of the front end's servers. Every answer carries a Server field; set with
 * setHeader before the head, it would make Node take writeHead's slow path for every other
 * field (each set again one by one, into a table of its own). Here it waits in
 * `serverField` until the head is written: writeHead sets it as before, unless the writer
 * took it (takeServerField) to put it among the fields it passes, which Node then writes
 * at once. The fields so passed are kept, and getHeader finds them, as it finds those set
 * one by one ($sent_http_NAME of the access log, the Server an error page names).
 */
export class FrontEndResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** The Server field this answer will carry, until its head is written or a writer took it. */
  serverField: string | null = null;
  /** The fields given to writeHead, when they went out without setHeader. */
  private passedFields: OutgoingHttpHeaders | null = null;

  override writeHead(statusCode: number, reason?: string | HeadFields, fields?: HeadFields): this {
    const server = this.serverField;
    if (server !== null) {
      this.serverField = null;
      // A Server field set since (setHeader) stands, as it replaced the one set before it.
      if (!this.hasHeader('server')) this.setHeader('Server', server);
    }
    const given = typeof reason === 'string' ? fields : reason;
    if (given !== undefined && given !== null && !Array.isArray(given)) this.passedFields = given;
    return super.writeHead(statusCode, reason as string, fields as OutgoingHttpHeaders);
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
