// Logs: `error_log` (main level, and stream and server levels for the sync thread's own log
// lines), and the stream access log of the zone_sync server as nginx's stream log module:
// `log_format` (stream level) and `access_log` (stream and server levels) for the sessions
// the listener accepts.

import type { Directive } from './ast.js';
import { ConfigError } from './errors.js';
import { sourceOf } from './schema-context.js';
import { DEFAULT_ERROR_LOG } from './defaults.js';
import type { ErrorLogConfig, LogEscape, LogFormatConfig, LogFormatPart, LogLevel, StreamAccessLogConfig } from './types.js';
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

/** log_format NAME [escape=default|json|none] STRING ...; */
export function readLogFormat(d: Directive): LogFormatConfig {
  const [name, ...rest] = d.args as [string, ...string[]];
  let escape: LogEscape = 'default';
  let strings = rest;
  if (rest[0]?.startsWith('escape=')) {
    escape = readChoice(d, rest[0].slice('escape='.length), ['default', 'json', 'none']);
    strings = rest.slice(1);
  }
  if (strings.length === 0) throw new ConfigError(`invalid number of arguments in "${d.name}" directive`, d);
  return { name, escape, parts: compileFormat(d, strings.join('')), source: sourceOf(d) };
}

function compileFormat(d: Directive, text: string): LogFormatPart[] {
  const parts: LogFormatPart[] = [];
  const pattern = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;
  let at = 0;
  for (const m of text.matchAll(pattern)) {
    const variable = (m[1] ?? m[2])!;
    if (!STREAM_LOG_VARIABLES.has(variable)) throw new ConfigError(`unknown "${variable}" variable`, d);
    if (m.index > at) parts.push({ text: text.slice(at, m.index) });
    parts.push({ variable });
    at = m.index + m[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  return parts;
}

/** One access_log line of a level: a log, or `off`. The format is found by name later. */
export type AccessLogDraft = { readonly off: true } | { readonly off: false; readonly path: string; readonly format: string; readonly directive: Directive };

/** access_log PATH FORMAT [buffer=SIZE] [flush=TIME]; | access_log off; */
export function readAccessLog(d: Directive, prefix: string): AccessLogDraft {
  const [path, format, ...params] = d.args as [string, string | undefined, ...string[]];
  if (path === 'off') {
    if (d.args.length > 1) throw invalidParameter(d, d.args[1]!);
    return { off: true };
  }
  if (format === undefined) throw new ConfigError(`log format is not specified in "${d.name}" directive`, d);
  if (path.startsWith('syslog:')) throw new ConfigError(`"syslog:" logging is not supported by zonesync in "${d.name}" directive`, d);
  if (path.includes('$')) throw new ConfigError(`variables in the path of "${d.name}" are not supported by zonesync`, d);
  for (const param of params) {
    const { key, value } = splitParam(param);
    // Accepted for configurations written for nginx; zonesync writes each line at once.
    if (key === 'buffer' && value !== null) readSize(d, value);
    else if (key === 'flush' && value !== null) readTimeMs(d, value);
    else if (key === 'gzip' || key === 'if') throw new ConfigError(`"${key}" parameter of "${d.name}" is not supported by zonesync`, d);
    else throw invalidParameter(d, param);
  }
  return { off: false, path: readPath(prefix, path), format, directive: d };
}

/** The logs of a level's drafts (an `off` cancels them all), their formats found by name. */
export function resolveAccessLogs(drafts: readonly AccessLogDraft[], formats: ReadonlyMap<string, LogFormatConfig>): StreamAccessLogConfig[] {
  if (drafts.some((x) => x.off)) return [];
  return drafts.map((x) => {
    if (x.off) throw new Error('unreachable');
    const format = formats.get(x.format);
    if (format === undefined) throw new ConfigError(`unknown log format "${x.format}"`, x.directive);
    return { path: x.path, format, source: sourceOf(x.directive) };
  });
}

