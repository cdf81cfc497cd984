// The gateway's directives: proxy_pass and the proxy_* settings of ngx_http_proxy_module that
// zonesync carries out, and return of ngx_http_rewrite_module.

import type { Directive } from './ast.js';
import { ConfigError } from './errors.js';
import { duplicateDirective } from './schema-context.js';
import type { NextUpstreamCondition, ProxyPassConfig, ProxySetHeader, ProxySettings, ReturnConfig } from './types.js';
import { invalidValue, readCount, readFlag, readTimeMs } from './values.js';

/* The proxy settings written at one level; undefined: inherit. */
export type ProxySettingsDraft = { -readonly [K in keyof ProxySettings]?: ProxySettings[K] };

const NEXT_UPSTREAM_CONDITIONS: readonly NextUpstreamCondition[] = [
  'error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_403', 'http_404', 'http_429', 'non_idempotent',
];

/* An HTTP field name (RFC 9110 token). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Reads a proxy_* setting into the draft; false when `d` is none of them. */
export function readProxySetting(d: Directive, draft: ProxySettingsDraft): boolean {
  const arg = d.args[0]!;
  const once = (value: unknown): void => {
    if (value !== undefined) throw duplicateDirective(d);
  };
  switch (d.name) {
    case 'proxy_set_header':
      draft.setHeaders = [...(draft.setHeaders ?? []), readSetHeader(d)];
      return true;
    case 'proxy_hide_header':
      draft.hideHeaders = [...(draft.hideHeaders ?? []), readFieldName(d, arg)];
      return true;
    case 'proxy_pass_header':
      draft.passHeaders = [...(draft.passHeaders ?? []), readFieldName(d, arg)];
      return true;
    case 'proxy_connect_timeout':
      once(draft.connectTimeoutMs);
      draft.connectTimeoutMs = readPositiveTime(d, arg);
      return true;
    case 'proxy_read_timeout':
      once(draft.readTimeoutMs);
      draft.readTimeoutMs = readPositiveTime(d, arg);
      return true;
    case 'proxy_send_timeout':
      once(draft.sendTimeoutMs);
      draft.sendTimeoutMs = readPositiveTime(d, arg);
      return true;
    case 'proxy_buffering':
      // The answer streams to the client as it arrives whatever this says (nginx with "off"): nothing is buffered to undo.
      readFlag(d, arg);
      return true;
    case 'proxy_request_buffering':
      if (readFlag(d, arg)) {
        throw new ConfigError('"proxy_request_buffering on" is not supported by zonesync, which streams the request body to the upstream ("off")', d);
      }
      return true;
    case 'proxy_next_upstream':
      once(draft.nextUpstream);
      draft.nextUpstream = readNextUpstream(d);
      return true;
    case 'proxy_next_upstream_tries':
      once(draft.nextUpstreamTries);
      draft.nextUpstreamTries = readCount(d, arg);
      return true;
    case 'proxy_next_upstream_timeout':
      once(draft.nextUpstreamTimeoutMs);
      draft.nextUpstreamTimeoutMs = readTimeMs(d, arg);
      return true;
    case 'proxy_http_version':
      // zonesync always speaks HTTP/1.1 to upstream servers; 1.0 would be a promise it does not keep.
      if (arg !== '1.1') throw new ConfigError(`"proxy_http_version ${arg}" is not supported by zonesync, which speaks HTTP/1.1 to upstream servers`, d);
      return true;
    default:
      return false;
  }
}

function readPositiveTime(d: Directive, value: string): number {
  const ms = readTimeMs(d, value);
  if (ms <= 0) throw invalidValue(d, value, ', it must be greater than 0');
  return ms;
}

/* Fields of a connection's own that the proxy sets itself; only an empty value (not sent) is taken. */
const CONNECTION_FIELDS: ReadonlySet<string> = new Set(['transfer-encoding', 'te', 'keep-alive', 'expect']);

function readFieldName(d: Directive, name: string): string {
  if (!FIELD_NAME.test(name)) throw new ConfigError(`invalid header name "${name}" in "${d.name}" directive`, d);
  return name;
}

function readSetHeader(d: Directive): ProxySetHeader {
  const [name, value] = d.args as [string, string];
  readFieldName(d, name);
  if (CONNECTION_FIELDS.has(name.toLowerCase()) && value !== '') {
    throw new ConfigError(`"proxy_set_header ${name}" is not supported by zonesync: the connection to the upstream sets it`, d);
  }
  return { name, value };
}

/** proxy_next_upstream error | timeout | … | off; "off" stands alone, as nginx requires. */
function readNextUpstream(d: Directive): NextUpstreamCondition[] {
  if (d.args.includes('off')) {
    if (d.args.length > 1) throw new ConfigError('"off" cannot be combined with other parameters in "proxy_next_upstream" directive', d);
    return [];
  }
  const conditions: NextUpstreamCondition[] = [];
  for (const arg of d.args) {
    const condition = NEXT_UPSTREAM_CONDITIONS.find((c) => c === arg);
    if (condition === undefined) throw new ConfigError(`invalid value "${arg}" in "proxy_next_upstream" directive`, d);
    if (!conditions.includes(condition)) conditions.push(condition);
  }
  return conditions;
}

/**
 * proxy_pass http://HOST[:PORT][URI]. HTTPS, unix sockets and variables are refused with a
 * reason; a URI part is refused in a regular expression location, as nginx does.
 */
export function readProxyPass(d: Directive, inRegexLocation: boolean): ProxyPassConfig {
  const url = d.args[0]!;
  if (url.includes('$')) throw new ConfigError(`variables in "proxy_pass" are not supported by zonesync: "${url}"`, d);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (scheme === null) throw new ConfigError(`invalid URL prefix in "${url}"`, d);
  if (scheme[1]!.toLowerCase() !== 'http') {
    throw new ConfigError(`"${scheme[1]}" in "proxy_pass" is not supported by zonesync, only "http"`, d);
  }
  const rest = url.slice(scheme[0].length);
  if (rest.startsWith('unix:')) throw new ConfigError(`unix domain sockets in "proxy_pass" are not supported by zonesync: "${url}"`, d);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const uri = slash < 0 ? null : rest.slice(slash);
  const { host, port } = splitAuthority(d, url, authority);
  if (uri !== null && inRegexLocation) {
    throw new ConfigError('"proxy_pass" cannot have URI part in location given by regular expression', d);
  }
  return { url, host, port, uri };
}

function splitAuthority(d: Directive, url: string, authority: string): { host: string; port: number | null } {
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(authority);
  const plain = /^([A-Za-z0-9_.-]+)(?::(\d+))?$/.exec(authority);
  const match = bracketed ?? plain;
  if (match === null || match[1] === '') throw new ConfigError(`invalid host in upstream "${url}"`, d);
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && (port < 1 || port > 65535)) throw new ConfigError(`invalid port in upstream "${url}"`, d);
  return { host: match[1]!, port };
}

/* The codes whose one argument is a URL for the Location field (ngx_http_rewrite_return). */
export const REDIRECT_CODES: readonly number[] = [301, 302, 303, 307, 308];

/** return CODE [TEXT]; return CODE URL; return URL (302). */
export function readReturn(d: Directive): ReturnConfig {
  const [first, second] = d.args as [string, string | undefined];
  if (second === undefined && /^(https?:\/\/|\$scheme)/.test(first)) return { status: 302, text: first };
  if (!/^[0-9]{1,3}$/.test(first)) throw new ConfigError(`invalid return code "${first}"`, d);
  const status = Number(first);
  if (status > 999) throw new ConfigError(`invalid return code "${first}"`, d);
  return { status, text: second ?? null };
}
