// The gateway's directives: proxy_pass and the proxy_* settings of ngx_http_proxy_module that
// zonesync carries out, and return of ngx_http_rewrite_module.

import type { Directive } from './ast.js';
import { ConfigError } from './errors.js';
import { duplicateDirective, sourceOf } from './schema-context.js';
import type { NextUpstreamCondition, ProxyPassConfig, ProxySetHeader, ProxySettings, ProxySslConfig, ReturnConfig } from './types.js';
import { invalidValue, readCount, readFlag, readPath, readSslConfCommand, readTimeMs, readTlsProtocols } from './values.js';

/* The proxy settings written at one level; undefined: inherit (proxy_ssl_* each on its own). */
export type ProxySettingsDraft = { -readonly [K in Exclude<keyof ProxySettings, 'ssl'>]?: ProxySettings[K] } & { ssl?: ProxySslDraft };
export type ProxySslDraft = { -readonly [K in keyof ProxySslConfig]?: ProxySslConfig[K] };

/** The settings of a level: those written there over those inherited, proxy_ssl_* directive by directive. */
export function mergeProxySettings(inherited: ProxySettings, written: ProxySettingsDraft | Partial<ProxySettings> | undefined): ProxySettings {
  const ssl = written?.ssl;
  return {
    ...inherited, ...written,
    ssl: ssl === undefined ? inherited.ssl : { ...inherited.ssl, ...ssl, sources: { ...inherited.ssl.sources, ...ssl.sources } },
  };
}

const NEXT_UPSTREAM_CONDITIONS: readonly NextUpstreamCondition[] = [
  'error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_403', 'http_404', 'http_429', 'non_idempotent',
];

/* An HTTP field name (RFC 9110 token). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Reads a proxy_* setting into the draft; false when `d` is none of them. `prefix`: where relative paths start. */
export function readProxySetting(d: Directive, draft: ProxySettingsDraft, prefix: string): boolean {
  const arg = d.args[0]!;
  if (d.name.startsWith('proxy_ssl')) return readProxySsl(d, (draft.ssl ??= {}), prefix);
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

/** proxy_ssl_*, each once per level, with where it was written. */
function readProxySsl(d: Directive, ssl: ProxySslDraft, prefix: string): boolean {
  const arg = d.args[0]!;
  const set = <K extends keyof ProxySslDraft>(key: K, value: ProxySslDraft[K]): true => {
    if (ssl[key] !== undefined && d.name !== 'proxy_ssl_conf_command') throw duplicateDirective(d);
    ssl[key] = value;
    ssl.sources = { ...ssl.sources, [d.name]: sourceOf(d)! };
    return true;
  };
  switch (d.name) {
    case 'proxy_ssl_verify':
      return set('verify', readFlag(d, arg));
    case 'proxy_ssl_server_name':
      return set('serverName', readFlag(d, arg));
    case 'proxy_ssl_session_reuse':
      return set('sessionReuse', readFlag(d, arg));
    case 'proxy_ssl_verify_depth':
      return set('verifyDepth', readCount(d, arg));
    case 'proxy_ssl_name':
      if (arg.includes('$') && arg !== '$proxy_host') {
        throw new ConfigError(`variables in "proxy_ssl_name" are not supported by zonesync (only its default, $proxy_host): "${arg}"`, d);
      }
      return set('name', arg === '$proxy_host' ? null : arg);
    case 'proxy_ssl_trusted_certificate':
      return set('trustedCertificate', readPath(prefix, arg));
    case 'proxy_ssl_certificate':
      return set('certificate', readPath(prefix, arg));
    case 'proxy_ssl_certificate_key':
      return set('certificateKey', readPath(prefix, arg));
    case 'proxy_ssl_password_file':
      return set('passwordFile', readPath(prefix, arg));
    case 'proxy_ssl_crl':
      return set('crl', readPath(prefix, arg));
    case 'proxy_ssl_ciphers':
      return set('ciphers', arg);
    case 'proxy_ssl_protocols':
      return set('protocols', readTlsProtocols(d));
    case 'proxy_ssl_conf_command':
      return set('confCommands', [...(ssl.confCommands ?? []), readSslConfCommand(d)]);
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
 * proxy_pass http[s]://HOST[:PORT][URI], or with variables after the scheme (evaluated per
 * request). Unix sockets are refused with a reason; a URI part is refused in a regular
 * expression location, as nginx does.
 */
export function readProxyPass(d: Directive, inRegexLocation: boolean): ProxyPassConfig {
  const url = d.args[0]!;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (scheme === null) {
    if (url.startsWith('$')) throw new ConfigError(`the scheme of a "proxy_pass" with variables must be written, "http://" or "https://": "${url}"`, d);
    throw new ConfigError(`invalid URL prefix in "${url}"`, d);
  }
  const name = scheme[1]!.toLowerCase();
  if (name !== 'http' && name !== 'https') {
    throw new ConfigError(`"${scheme[1]}" in "proxy_pass" is not supported by zonesync, only "http" and "https"`, d);
  }
  const rest = url.slice(scheme[0].length);
  if (rest.startsWith('unix:')) throw new ConfigError(`unix domain sockets in "proxy_pass" are not supported by zonesync: "${url}"`, d);
  // Evaluated per request: host, port and URI are known only then.
  if (rest.includes('$')) return { url, scheme: name, host: rest, port: null, uri: null, variables: true };
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const uri = slash < 0 ? null : rest.slice(slash);
  const { host, port } = splitAuthority(d, url, authority);
  if (uri !== null && inRegexLocation) {
    throw new ConfigError('"proxy_pass" cannot have URI part in location given by regular expression', d);
  }
  return { url, scheme: name, host, port, uri };
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
