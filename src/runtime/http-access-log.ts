// The http access_log of one serving thread, as nginx's http log module writes it: a line
// per request, in the log_format of each access_log of the request's location (its server's
// when no location matched), when its answer ends or its connection closes first. Each
// thread appends to its own descriptors of the files, whole lines at a time (log-files.ts).
//
// The request's variables are those proxy_set_header reads (gateway/variables.ts); the
// answer's are read here: $status (499 when the client closed first, as nginx), the bytes
// sent (counted on the connection, so a chunked body's framing is in $body_bytes_sent, as in
// nginx's), the times, and one entry per upstream server tried in $upstream_addr,
// $upstream_status and $upstream_response_time.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { isAnswerLogVariable } from '../config/schema-logs.js';
import type { AccessLogConfig, HttpConfig, HttpLocationConfig, HttpRequestSettings } from '../config/types.js';
import { requestFacts } from '../gateway/proxy-pass.js';
import { unmappedText as unmapped } from '../net/ip.js';
import { triesOf, type UpstreamTry } from '../gateway/upstream-tries.js';
import type { CompiledTemplate, RequestFacts, Variables } from '../gateway/variables.js';
import { formatLine, seconds, timeIso8601, timeLocal } from './log-format.js';
import { LogFiles } from './log-files.js';
import { zonesyncVersion } from './version.js';

/* Status logged for a request whose client closed the connection before the answer (nginx's). */
const CLIENT_CLOSED = 499;

/** A request being logged: what is known when it arrives. */
interface Started {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly remoteAddress: string;
  readonly logs: readonly AccessLogConfig[];
  readonly startedAt: number;
  readonly bytesBefore: number;
}

/** Every access_log of the block: each level's settings, down to limit_except. */
export function accessLogsOf(http: HttpConfig): AccessLogConfig[] {
  const logs: AccessLogConfig[] = [];
  const visit = (location: HttpLocationConfig): void => {
    logs.push(...location.settings.accessLogs, ...(location.limitExcept?.settings.accessLogs ?? []));
    location.locations.forEach(visit);
  };
  for (const server of http.servers) {
    logs.push(...server.settings.accessLogs);
    server.locations.forEach(visit);
  }
  return logs;
}

/**
 * What a reload checks before it applies anything, as nginx opens its log files with the
 * configuration: every access_log file of `http` can be opened for appending (created with
 * its directory when missing). Throws, naming the path, when one cannot.
 */
export function checkAccessLogs(http: HttpConfig | null): void {
  if (http !== null) new LogFiles(accessLogsOf(http), () => {}).close();
}

export class HttpAccessLog {
  private readonly files: LogFiles;
  private readonly variables: Variables;
  private readonly requestVariables = new Map<string, CompiledTemplate>();
  private readonly host = hostname();
  /** Requests tracked whose line is not written yet. */
  private unwritten = 0;
  /** Called once retired and every tracked line is written: the files are closed then. */
  private onRetired: (() => void) | null = null;

  constructor(http: HttpConfig, variables: Variables, onError: (err: unknown) => void) {
    this.files = new LogFiles(accessLogsOf(http), onError);
    this.variables = variables;
  }

  /** Logs the request when its answer ends, if its settings have access logs. */
  track(req: IncomingMessage, res: ServerResponse, settings: HttpRequestSettings, remoteAddress: string): void {
    const logs = settings.accessLogs;
    if (logs.length === 0) return;
    const started: Started = { req, res, remoteAddress, logs, startedAt: Date.now(), bytesBefore: req.socket.bytesWritten };
    // Written once what ends with the answer has run: a proxied request's last try is
    // recorded when its promise resolves, which can come after 'close' (nextTick before microtasks).
    this.unwritten++;
    res.once('close', () => setImmediate(() => {
      this.write(started);
      if (--this.unwritten === 0) this.onRetired?.();
    }));
  }

  reopen(): void {
    this.files.reopen();
  }

  /**
   * No request is tracked from now on (a reload replaced this configuration's logs, or the
   * thread stops): the files are closed once the lines of the requests tracked are written.
   */
  retire(): Promise<void> {
    return new Promise((resolve) => {
      this.onRetired = () => {
        this.files.close();
        resolve();
      };
      if (this.unwritten === 0) this.onRetired();
    });
  }

  private write(started: Started): void {
    const endedAt = Date.now();
    const facts = requestFacts(started.req, started.remoteAddress);
    const tries = triesOf(started.res);
    const valueOf = (variable: string): string => (isAnswerLogVariable(variable)
      ? this.answerValue(variable, started, endedAt, tries) : this.requestValue(variable, facts));
    for (const log of started.logs) this.files.append(log.path, formatLine(log.format, valueOf));
  }

  private requestValue(variable: string, facts: RequestFacts): string {
    let compiled = this.requestVariables.get(variable);
    if (compiled === undefined) {
      compiled = this.variables.compile(`$${variable}`);
      this.requestVariables.set(variable, compiled);
    }
    return compiled(facts);
  }

  private answerValue(variable: string, s: Started, endedAt: number, tries: readonly UpstreamTry[]): string {
    const { req, res } = s;
    const bytesSent = Math.max(0, req.socket.bytesWritten - s.bytesBefore);
    switch (variable) {
      case 'status': return String(statusOf(res));
      case 'bytes_sent': return String(bytesSent);
      case 'body_bytes_sent': return String(Math.max(0, bytesSent - headBytes(res)));
      case 'request_time': return seconds(endedAt - s.startedAt);
      case 'request': return `${req.method ?? ''} ${req.url ?? ''} HTTP/${req.httpVersion}`;
      case 'server_protocol': return `HTTP/${req.httpVersion}`;
      case 'remote_user': return basicUser(req.headers.authorization);
      case 'server_addr': return unmapped(req.socket.localAddress ?? '');
      case 'server_port': return req.socket.localPort === undefined ? '' : String(req.socket.localPort);
      case 'time_local': return timeLocal(endedAt);
      case 'time_iso8601': return timeIso8601(endedAt);
      case 'msec': return seconds(endedAt);
      case 'pid': return String(process.pid);
      case 'hostname': return this.host;
      case 'nginx_version': return zonesyncVersion();
      case 'upstream_addr': return tries.map((t) => t.address).join(', ');
      case 'upstream_status': return tries.map((t) => (t.status === 0 ? '-' : String(t.status))).join(', ');
      case 'upstream_response_time': return tries.map((t) => seconds(t.responseMs)).join(', ');
      case 'upstream_header_time': return tries.map((t) => (t.headerMs === null ? '-' : seconds(t.headerMs))).join(', ');
    }
    // $sent_http_NAME: a field of the answer.
    const value = res.getHeader(variable.slice('sent_http_'.length).replace(/_/g, '-'));
    return value === undefined ? '' : Array.isArray(value) ? value.join(', ') : String(value);
  }
}

/* The answer's status; a connection closed before the answer is 499, unless the node chose to close it (return 444). */
function statusOf(res: ServerResponse): number {
  if (res.headersSent || res.statusCode !== 200) return res.statusCode;
  return CLIENT_CLOSED;
}

/* The bytes of the answer's head, as Node wrote it. */
function headBytes(res: ServerResponse): number {
  const head = (res as ServerResponse & { _header?: string | null })._header;
  return typeof head === 'string' ? Buffer.byteLength(head, 'latin1') : 0;
}

/** $remote_user: the user name of Basic credentials. */
function basicUser(authorization: string | undefined): string {
  if (authorization === undefined || !/^basic /i.test(authorization)) return '';
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? '' : decoded.slice(0, colon);
}
