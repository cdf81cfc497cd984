// Logs: `error_log` (main level, and stream and server levels for the sync thread's own log
// lines); the stream access log of the zone_sync server as nginx's stream log module:
// `log_format` (stream level) and `access_log` (stream and server levels) for the sessions
// the listener accepts; and the http access log as nginx's http log module: `log_format`
// (http level, `combined` predefined) and `access_log` (http, server, location,
// limit_except) for the requests the front end answers. One format compiler for both.

import type { Directive } from './ast.js';
import { ConfigError } from './errors.js';
import { sourceOf } from './schema-context.js';
import { DEFAULT_ERROR_LOG } from './defaults.js';
import type { AccessLogConfig, ErrorLogConfig, LogEscape, LogFormatConfig, LogFormatPart, LogLevel } from './types.js';
import { invalidParameter, readChoice, readPath, readSize, readTimeMs, splitParam } from './values.js';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'];

/** error_log FILE [LEVEL]; "stderr" and "stdout" (zonesync's, for containers) are kept as they are. */
const STANDARD_STREAMS = ['stderr', 'stdout'];

export function readErrorLog(d: Directive, prefix: string): ErrorLogConfig {
  const [file, level] = d.args as [string, string | undefined];
  if (file.startsWith('syslog:') || file.startsWith('memory:')) {
    throw new ConfigError(`"${file.split(':')[0]}:" logging is not supported by zonesync in "error_log" directive`, d);
  }
  return {
    file: STANDARD_STREAMS.includes(file) ? file : readPath(prefix, file),
    level: level === undefined ? DEFAULT_ERROR_LOG.level : readChoice(d, level, LOG_LEVELS),
  };
}

/** The variables a zone_sync session has; any other in a stream log_format is an error. */
export const STREAM_LOG_VARIABLES: ReadonlySet<string> = new Set([
  'remote_addr', 'remote_port', 'server_addr', 'server_port', 'bytes_sent', 'bytes_received', 'session_time',
  'status', 'protocol', 'time_local', 'time_iso8601', 'msec', 'pid', 'hostname', 'nginx_version',
  // zonesync's: the peer node's id and name from its HELLO ("-" when it sent none).
  'zone_sync_peer_id', 'zone_sync_peer_name',
]);

export const isStreamLogVariable = (name: string): boolean => STREAM_LOG_VARIABLES.has(name);

/**
 * The variables of an http access log line that the answer gives (its status, sizes, times,
 * the upstream servers tried); the request's come from the variables proxy_set_header and
 * return read (HTTP_REQUEST_VARIABLES).
 */
export const HTTP_ANSWER_LOG_VARIABLES: ReadonlySet<string> = new Set([
  'status', 'body_bytes_sent', 'bytes_sent', 'request_time', 'request', 'request_length', 'remote_user', 'server_protocol',
  'server_addr', 'server_port', 'connection', 'connection_requests', 'time_local', 'time_iso8601', 'msec', 'pid', 'hostname',
  'nginx_version', 'upstream_addr', 'upstream_status', 'upstream_response_time', 'upstream_header_time',
]);
const HTTP_ANSWER_LOG_PREFIXES: readonly string[] = ['sent_http_'];

/* The request's variables (gateway/variables.ts evaluates them), besides $http_NAME, $arg_NAME, $cookie_NAME. */
const HTTP_REQUEST_VARIABLES: ReadonlySet<string> = new Set([
  'remote_addr', 'binary_remote_addr', 'remote_port', 'uri', 'request_uri', 'args', 'query_string', 'request_method', 'scheme', 'host',
]);
const HTTP_REQUEST_PREFIXES: readonly string[] = ['http_', 'arg_', 'cookie_'];

export const isHttpLogVariable = (name: string): boolean => HTTP_ANSWER_LOG_VARIABLES.has(name) || HTTP_REQUEST_VARIABLES.has(name)
  || [...HTTP_ANSWER_LOG_PREFIXES, ...HTTP_REQUEST_PREFIXES].some((prefix) => name.startsWith(prefix) && name.length > prefix.length);

/** Whether an http log variable is the answer's (else the request's). */
export const isAnswerLogVariable = (name: string): boolean =>
  HTTP_ANSWER_LOG_VARIABLES.has(name) || HTTP_ANSWER_LOG_PREFIXES.some((prefix) => name.startsWith(prefix));

/** nginx's predefined http format. */
export const COMBINED_LOG_FORMAT: LogFormatConfig = {
  name: 'combined',
  escape: 'default',
  parts: compileFormat(null, '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"', isHttpLogVariable),
};

/** log_format NAME [escape=default|json|none] STRING ...; `knows` says which variables the log has. */
export function readLogFormat(d: Directive, knows: (variable: string) => boolean): LogFormatConfig {
  const [name, ...rest] = d.args as [string, ...string[]];
  let escape: LogEscape = 'default';
  let strings = rest;
  if (rest[0]?.startsWith('escape=')) {
    escape = readChoice(d, rest[0].slice('escape='.length), ['default', 'json', 'none']);
    strings = rest.slice(1);
  }
  if (strings.length === 0) throw new ConfigError(`invalid number of arguments in "${d.name}" directive`, d);
  return { name, escape, parts: compileFormat(d, strings.join(''), knows), source: sourceOf(d) };
}

function compileFormat(d: Directive | null, text: string, knows: (variable: string) => boolean): LogFormatPart[] {
  const parts: LogFormatPart[] = [];
  const pattern = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;
  let at = 0;
  for (const m of text.matchAll(pattern)) {
    const variable = (m[1] ?? m[2])!;
    if (!knows(variable)) throw new ConfigError(`unknown "${variable}" variable`, d ?? undefined);
    if (m.index > at) parts.push({ text: text.slice(at, m.index) });
    parts.push({ variable });
    at = m.index + m[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  return parts;
}

/** One access_log line of a level: a log, or `off`. The format is found by name later. */
export type AccessLogDraft = { readonly off: true } | {
  readonly off: false; readonly path: string; readonly format: string;
  readonly bufferBytes: number | null; readonly flushMs: number | null; readonly directive: Directive;
};

/**
 * access_log PATH FORMAT [buffer=SIZE] [flush=TIME]; | access_log off; FORMAT may be left
 * out where there is a default one (http: combined).
 */
export function readAccessLog(d: Directive, prefix: string, defaultFormat?: string): AccessLogDraft {
  const [path, written, ...params] = d.args as [string, string | undefined, ...string[]];
  if (path === 'off') {
    if (d.args.length > 1) throw invalidParameter(d, d.args[1]!);
    return { off: true };
  }
  const format = written ?? defaultFormat;
  if (format === undefined) throw new ConfigError(`log format is not specified in "${d.name}" directive`, d);
  if (path.startsWith('syslog:')) throw new ConfigError(`"syslog:" logging is not supported by zonesync in "${d.name}" directive`, d);
  if (path.includes('$')) throw new ConfigError(`variables in the path of "${d.name}" are not supported by zonesync`, d);
  let bufferBytes: number | null = null;
  let flushMs: number | null = null;
  for (const param of params) {
    const { key, value } = splitParam(param);
    if (key === 'buffer' && value !== null) bufferBytes = readSize(d, value);
    else if (key === 'flush' && value !== null) flushMs = readTimeMs(d, value);
    else if (key === 'gzip' || key === 'if') throw new ConfigError(`"${key}" parameter of "${d.name}" is not supported by zonesync`, d);
    else throw invalidParameter(d, param);
  }
  return { off: false, path: readPath(prefix, path), format, bufferBytes, flushMs, directive: d };
}

/** The logs of a level's drafts (an `off` cancels them all), their formats found by name. */
export function resolveAccessLogs(drafts: readonly AccessLogDraft[], formats: ReadonlyMap<string, LogFormatConfig>): AccessLogConfig[] {
  if (drafts.some((x) => x.off)) return [];
  return drafts.map((x) => {
    if (x.off) throw new Error('unreachable');
    const format = formats.get(x.format);
    if (format === undefined) throw new ConfigError(`unknown log format "${x.format}"`, x.directive);
    return { path: x.path, format, bufferBytes: x.bufferBytes, flushMs: x.flushMs, source: sourceOf(x.directive) };
  });
}

