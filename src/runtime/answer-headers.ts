// The fields the front end puts on every answer of a location, as nginx's header filters do:
// Server (its version unless server_tokens is off), Keep-Alive (keepalive_timeout's second
// parameter, on an answer that keeps its connection open) and the location's add_header fields.
//
// add_header adds its field to answers of 200, 201, 204, 206, 301, 302, 303, 304, 307 and
// 308, to any answer with `always`; beside a field of the same name the answer has (an
// upstream server's), not instead of it; a value that evaluates empty adds nothing. Each
// answer is written by one writeHead call (Node's implicit head included), which is where
// the fields are added: whatever part of zonesync writes the answer, and whatever status it
// turns out to have.

import type { IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddHeaderConfig, HttpRequestSettings } from '../config/types.js';
import { requestFacts } from '../gateway/proxy-pass.js';
import type { CompiledTemplate, Variables } from '../gateway/variables.js';
import { setServerField } from './front-end-response.js';
import { zonesyncVersion } from './version.js';

/* ngx_http_headers_filter: the statuses add_header without `always` applies to. */
const ADD_HEADER_STATUSES: ReadonlySet<number> = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);

interface CompiledAddHeader {
  readonly name: string;
  readonly value: CompiledTemplate;
  readonly always: boolean;
}

type HeadFields = OutgoingHttpHeaders | OutgoingHttpHeader[];

/** The Server field: zonesync and its version, or without it when server_tokens is off (as nginx). */
export function serverField(serverTokens: boolean): string {
  return serverTokens ? `zonesync/${zonesyncVersion()}` : 'zonesync';
}

export class AnswerHeaders {
  private readonly variables: Variables;
  private readonly compiled = new WeakMap<readonly AddHeaderConfig[], readonly CompiledAddHeader[]>();
  private readonly withTokens = serverField(true);
  private readonly withoutTokens = serverField(false);

  constructor(variables: Variables) {
    this.variables = variables;
  }

  /** Sets the fields of `settings` on the answer `res` will give (call before anything is written). */
  prepare(req: IncomingMessage, res: ServerResponse, settings: HttpRequestSettings, remoteAddress: string): void {
    setServerField(res, settings.serverTokens ? this.withTokens : this.withoutTokens);
    const keepAlive = keepAliveField(settings.keepaliveHeaderTimeoutMs);
    if (settings.addHeaders.length === 0 && keepAlive === null) return;
    const rules = this.rulesOf(settings.addHeaders);
    const writeHead = res.writeHead;
    // Replaced on this response only, and put back at its first call: the head is written once.
    res.writeHead = function addHeaders(this: ServerResponse, status: number, ...rest: unknown[]): ServerResponse {
      res.writeHead = writeHead;
      const added: [string, string][] = [];
      // Whether the answer keeps its connection is known here: a stop may have turned it to Connection: close.
      if (keepAlive !== null && res.shouldKeepAlive) added.push(['Keep-Alive', keepAlive]);
      for (const rule of rules) {
        if (!rule.always && !ADD_HEADER_STATUSES.has(status)) continue;
        const value = rule.value(requestFacts(req, remoteAddress));
        if (value !== '') added.push([rule.name, value]);
      }
      if (added.length > 0) {
        const last = rest.length - 1;
        if (last >= 0 && typeof rest[last] === 'object' && rest[last] !== null) rest[last] = withFields(rest[last] as HeadFields, added);
        else for (const [name, value] of added) res.appendHeader(name, value);
      }
      return (writeHead as (...args: unknown[]) => ServerResponse).call(this, status, ...rest);
    } as ServerResponse['writeHead'];
  }

  private rulesOf(config: readonly AddHeaderConfig[]): readonly CompiledAddHeader[] {
    let rules = this.compiled.get(config);
    if (rules === undefined) {
      rules = config.map((c) => ({ name: c.name, value: this.variables.compile(c.value), always: c.always }));
      this.compiled.set(config, rules);
    }
    return rules;
  }
}

/* ngx_http_header_filter's "Keep-Alive: timeout=N", N in whole seconds; null: none is written. */
function keepAliveField(headerTimeoutMs: number | null): string | null {
  return headerTimeoutMs === null ? null : `timeout=${Math.floor(headerTimeoutMs / 1000)}`;
}

/*
 * The fields given to writeHead and the added ones, a field of the same name kept beside
 * them; the caller's object is not changed. (A raw array is flat: Node refuses nested pairs
 * once a field was set with setHeader, as Server is.)
 */
function withFields(fields: HeadFields, added: readonly [string, string][]): HeadFields {
  if (Array.isArray(fields)) return [...fields, ...added.flat()];
  const out: OutgoingHttpHeaders = { ...fields };
  for (const [name, value] of added) {
    const key = Object.keys(out).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    const existing = out[key];
    out[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [String(existing)]), value];
  }
  return out;
}
