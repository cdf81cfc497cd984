// http { … }: zones and upstreams, and the front end's servers and locations, with the
// per-request settings (access, auth_basic, limit_req, zonesync_handler) inherited
// http → server → location → nested location → limit_except, as nginx merges them.

import type { Directive, SourceLocation } from './ast.js';
import { DEFAULT_DASHBOARD_API, DEFAULT_HTTP_REQUEST_SETTINGS, DEFAULT_RESOLVER_TIMEOUT_MS, defaultHttpPort } from './defaults.js';
import { readResolver } from './schema-stream.js';
import { ConfigError } from './errors.js';
import { duplicateDirective, readsDirective, sourceOf } from './schema-context.js';
import type { SchemaContext } from './schema-context.js';
import { readKeyval, readKeyvalZone, readCounterZone, readLimitReqZone, readUpstream } from './schema-zones.js';
import { mergeProxySettings, readProxyPass, readProxySetting, readReturn, type ProxySettingsDraft } from './schema-proxy.js';
import { COMBINED_LOG_FORMAT, isHttpLogVariable, readAccessLog, readLogFormat, resolveAccessLogs } from './schema-logs.js';
import type {
  AccessLogConfig, AccessRule, AddHeaderConfig, DashboardConfig, LogFormatConfig, HealthProbe, HttpConfig, HttpListenConfig, HttpLocationConfig, HttpMethod, HttpRequestSettings, HttpServerConfig,
  KeyvalBinding, LimitExceptConfig, LimitReqConfig, LimitReqLogLevel, LingeringClose, LocationModifier, ProxyPassConfig, ResolverConfig, ReturnConfig, UpstreamConfig,
} from './types.js';
import {
  invalidParameter, invalidValue, readAccessRule, readChoice, readCount, readFlag, readListenAddress, readPath,
  readPositiveCount, readSize, readTimeMs, readZoneParam, splitParam,
} from './values.js';

/* The settings written at one level; undefined: inherit. Arrays are inherited whole. */
interface RequestSettingsDraft {
  access?: AccessRule[];
  authBasic?: string | null;
  authBasicUserFile?: string;
  limitReqs?: LimitReqConfig[];
  limitReqStatus?: number;
  handler?: string;
  handlerSource?: SourceLocation;
  limitReqDryRun?: boolean;
  limitReqLogLevel?: LimitReqLogLevel;
  clientMaxBodySizeBytes?: number;
  addHeaders?: AddHeaderConfig[];
  serverTokens?: boolean;
  /* keepalive_timeout's two values are merged apart, as nginx merges them. */
  keepaliveTimeoutMs?: number;
  keepaliveHeaderTimeoutMs?: number;
  keepaliveRequests?: number;
  lingeringClose?: LingeringClose;
  lingeringTimeMs?: number;
  lingeringTimeoutMs?: number;
  /* An `off` written at the level makes the level log nothing, whatever else it writes. */
  accessLogs?: { off: boolean; logs: AccessLogConfig[] };
  proxy: ProxySettingsDraft;
}

/* The http block's log formats, found by name when an access_log is read: as nginx, a format is defined before its use. */
interface HttpSchemaContext extends SchemaContext {
  readonly logFormats: Map<string, LogFormatConfig>;
}

const newDraft = (): RequestSettingsDraft => ({ proxy: {} });

export function readHttpBlock(block: Directive, schemaContext: SchemaContext): HttpConfig {
  const context: HttpSchemaContext = { ...schemaContext, logFormats: new Map([[COMBINED_LOG_FORMAT.name, COMBINED_LOG_FORMAT]]) };
  const keyvals: KeyvalBinding[] = [];
  const upstreams: UpstreamConfig[] = [];
  const serverBlocks: Directive[] = [];
  const draft = newDraft();
  let resolver: ResolverConfig | null = null;
  let resolverTimeoutMs: number | null = null;
  for (const d of block.block ?? []) {
    if (!readsDirective(d, 'http', context)) continue;
    if (d.name === 'resolver') {
      if (resolver !== null) throw duplicateDirective(d);
      resolver = readResolver(d);
      continue;
    }
    if (d.name === 'resolver_timeout') {
      if (resolverTimeoutMs !== null) throw duplicateDirective(d);
      resolverTimeoutMs = readTimeMs(d, d.args[0]!);
      continue;
    }
    if (d.name === 'keyval_zone') context.zones.push(readKeyvalZone(d, 'http', context.prefix));
    else if (d.name === 'keyval') keyvals.push(readKeyval(d));
    else if (d.name === 'limit_req_zone') context.zones.push(readLimitReqZone(d));
    else if (d.name === 'zonesync_counter_zone') context.zones.push(readCounterZone(d));
    else if (d.name === 'upstream') upstreams.push(readUniqueUpstream(d, upstreams, context));
    else if (d.name === 'server') serverBlocks.push(d);
    else if (d.name === 'log_format') readHttpLogFormat(d, context);
    else readRequestSetting(d, draft, context);
  }
  // Servers are read last: nginx merges them with the whole http level, wherever it is written.
  const httpSettings = mergeSettings(DEFAULT_HTTP_REQUEST_SETTINGS, draft);
  const servers = serverBlocks.map((d) => readHttpServer(d, httpSettings, context));
  return { keyvals, upstreams, servers, resolver, resolverTimeoutMs: resolverTimeoutMs ?? DEFAULT_RESOLVER_TIMEOUT_MS };
}

function readUniqueUpstream(d: Directive, upstreams: readonly UpstreamConfig[], context: SchemaContext): UpstreamConfig {
  if (upstreams.some((u) => u.name === d.args[0])) throw new ConfigError(`duplicate upstream "${d.args[0]}"`, d);
  return readUpstream(d, context);
}

function readHttpServer(block: Directive, inherited: HttpRequestSettings, context: HttpSchemaContext): HttpServerConfig {
  const listen: HttpListenConfig[] = [];
  const serverNames: string[] = [];
  const locationBlocks: Directive[] = [];
  const draft = newDraft();
  let serverReturn: ReturnConfig | null = null;
  for (const d of block.block ?? []) {
    if (!readsDirective(d, 'http-server', context)) continue;
    if (d.name === 'listen') listen.push(readHttpListen(d));
    else if (d.name === 'server_name') serverNames.push(...d.args);
    else if (d.name === 'location') locationBlocks.push(d);
    else if (d.name === 'return') serverReturn ??= readReturn(d);
    else readRequestSetting(d, draft, context);
  }
  const settings = mergeSettings(inherited, draft);
  const locations = readLocations(locationBlocks, settings, null, context);
  if (listen.length === 0) {
    listen.push({ address: { kind: 'tcp', host: null, port: defaultHttpPort() }, defaultServer: false, backlog: null, ipv6Only: true });
  }
  return { listen, serverNames, settings, return: serverReturn, locations, source: sourceOf(block) };
}

function readLocations(
  blocks: readonly Directive[], inherited: HttpRequestSettings, parent: HttpLocationConfig | null, context: HttpSchemaContext,
): HttpLocationConfig[] {
  const locations: HttpLocationConfig[] = [];
  for (const block of blocks) {
    const location = readLocation(block, inherited, parent, context);
    const twin = locations.find((l) => sameMatch(l, location));
    if (twin !== undefined) throw new ConfigError(`duplicate location "${location.pattern}"`, block);
    locations.push(location);
  }
  return locations;
}

const isRegex = (modifier: LocationModifier): boolean => modifier === 'regex' || modifier === 'regex-case-insensitive';
const sameMatch = (a: HttpLocationConfig, b: HttpLocationConfig): boolean =>
  a.pattern === b.pattern && (a.modifier === 'exact') === (b.modifier === 'exact') && isRegex(a.modifier) === isRegex(b.modifier);

function readLocation(
  block: Directive, inherited: HttpRequestSettings, parent: HttpLocationConfig | null, context: HttpSchemaContext,
): HttpLocationConfig {
  const { modifier, pattern } = readLocationMatch(block, parent);
  const draft = newDraft();
  const nestedBlocks: Directive[] = [];
  let api: HttpLocationConfig['api'] = null;
  let health: HealthProbe | null = null;
  let metrics = false;
  let dashboard: DashboardConfig | null = null;
  let proxyPass: ProxyPassConfig | null = null;
  let locationReturn: ReturnConfig | null = null;
  let limitExceptBlock: Directive | null = null;
  for (const d of block.block ?? []) {
    if (!readsDirective(d, 'location', context)) continue;
    if (d.name === 'location') nestedBlocks.push(d);
    else if (d.name === 'proxy_pass') {
      if (proxyPass !== null) throw duplicateDirective(d);
      proxyPass = readProxyPass(d, isRegex(modifier));
    } else if (d.name === 'return') locationReturn ??= readReturn(d); // nginx: the first return ends the rewrite phase
    else if (d.name === 'api') {
      if (api !== null) throw duplicateDirective(d);
      api = readApi(d);
    } else if (d.name === 'zonesync_health') {
      if (health !== null) throw duplicateDirective(d);
      health = readChoice(d, d.args[0]!, HEALTH_PROBES);
    } else if (d.name === 'zonesync_metrics') {
      if (metrics) throw duplicateDirective(d);
      metrics = true;
    } else if (d.name === 'zonesync_dashboard') {
      if (dashboard !== null) throw duplicateDirective(d);
      dashboard = readDashboard(d);
    } else if (d.name === 'limit_except') {
      if (limitExceptBlock !== null) throw duplicateDirective(d);
      limitExceptBlock = d;
    } else readRequestSetting(d, draft, context);
  }
  const settings = mergeSettings(inherited, draft);
  const limitExcept = limitExceptBlock === null ? null : readLimitExcept(limitExceptBlock, settings, context);
  const location: HttpLocationConfig = {
    modifier, pattern, settings, api, health, metrics, dashboard, proxyPass, return: locationReturn, limitExcept, locations: [], source: sourceOf(block),
  };
  return { ...location, locations: readLocations(nestedBlocks, settings, location, context) };
}

const MODIFIERS: Readonly<Record<string, LocationModifier>> = {
  '=': 'exact', '^~': 'prefix-no-regex', '~': 'regex', '~*': 'regex-case-insensitive',
};

/** location [ = | ^~ | ~ | ~* ] URI, with nginx's checks on nesting. */
function readLocationMatch(d: Directive, parent: HttpLocationConfig | null): { modifier: LocationModifier; pattern: string } {
  const [first, second] = d.args as [string, string | undefined];
  let modifier: LocationModifier = 'prefix';
  let pattern = first;
  if (second !== undefined) {
    const named = MODIFIERS[first];
    if (named === undefined) throw new ConfigError(`invalid location modifier "${first}"`, d);
    modifier = named;
    pattern = second;
  } else if (first.startsWith('=') && first.length > 1) {
    modifier = 'exact';
    pattern = first.slice(1);
  }
  if (pattern.startsWith('@')) throw new ConfigError(`named location "${pattern}" is not supported by zonesync`, d);
  if (isRegex(modifier)) {
    try {
      new RegExp(pattern, modifier === 'regex-case-insensitive' ? 'i' : '');
    } catch (error) {
      throw new ConfigError(`invalid regular expression "${pattern}" in "location" directive: ${(error as Error).message}`, d);
    }
  }
  if (parent !== null) checkNesting(d, parent, modifier, pattern);
  return { modifier, pattern };
}

function checkNesting(d: Directive, parent: HttpLocationConfig, modifier: LocationModifier, pattern: string): void {
  if (parent.modifier === 'exact') {
    throw new ConfigError(`location "${pattern}" cannot be inside the exact location "${parent.pattern}"`, d);
  }
  if (!isRegex(parent.modifier) && !isRegex(modifier) && !pattern.startsWith(parent.pattern)) {
    throw new ConfigError(`location "${pattern}" is outside location "${parent.pattern}"`, d);
  }
}

const HEALTH_PROBES: readonly HealthProbe[] = ['live', 'ready'];

/** api [write=on|off]; (write off by default, as NGINX Plus) */
function readApi(d: Directive): { write: boolean } {
  const param = d.args[0];
  if (param === undefined) return { write: false };
  const { key, value } = splitParam(param);
  if (key !== 'write' || value === null) throw invalidParameter(d, param);
  return { write: readFlag(d, value) };
}

/** zonesync_dashboard [api=URI]; the URI itself is checked by validateConfig, for configurations built in code too. */
function readDashboard(d: Directive): DashboardConfig {
  const param = d.args[0];
  if (param === undefined) return { api: DEFAULT_DASHBOARD_API };
  const { key, value } = splitParam(param);
  if (key !== 'api' || value === null) throw invalidParameter(d, param);
  return { api: value };
}

const HTTP_METHODS: readonly HttpMethod[] = [
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'OPTIONS', 'PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK', 'PATCH',
];

/** limit_except METHOD… { allow; deny; auth_basic; auth_basic_user_file; } */
function readLimitExcept(block: Directive, inherited: HttpRequestSettings, context: HttpSchemaContext): LimitExceptConfig {
  const methods: HttpMethod[] = [];
  for (const arg of block.args) {
    const method = HTTP_METHODS.find((m) => m === arg.toUpperCase());
    if (method === undefined) throw new ConfigError(`invalid method "${arg}"`, block);
    if (!methods.includes(method)) methods.push(method);
    if (method === 'GET' && !methods.includes('HEAD')) methods.push('HEAD');
  }
  const draft = newDraft();
  for (const d of block.block ?? []) {
    if (!readsDirective(d, 'limit-except', context)) continue;
    readRequestSetting(d, draft, context);
  }
  return { methods, settings: mergeSettings(inherited, draft), source: sourceOf(block) };
}

/** listen ADDRESS[:PORT] [default_server] [backlog=N] [ipv6only=on|off] [bind]; port 80 by default. */
function readHttpListen(d: Directive): HttpListenConfig {
  const [text, ...params] = d.args as [string, ...string[]];
  let defaultServer = false;
  let backlog: number | null = null;
  let ipv6Only = true;
  for (const param of params) {
    const { key, value } = splitParam(param);
    if (param === 'default_server' || param === 'default') defaultServer = true;
    else if (param === 'bind') continue;
    else if (key === 'backlog' && value !== null) backlog = readPositiveCount(d, value);
    else if (key === 'ipv6only' && value !== null) ipv6Only = readFlag(d, value);
    else if (['ssl', 'http2', 'quic', 'proxy_protocol', 'reuseport', 'fastopen', 'so_keepalive', 'deferred'].includes(key)) {
      throw new ConfigError(`"${key}" parameter of the "listen" directive is not supported by zonesync in http`, d);
    } else throw invalidParameter(d, param);
  }
  return {
    address: readListenAddress(d, text, { allowUnix: true, defaultPort: 80 }),
    defaultServer, backlog, ipv6Only, source: sourceOf(d),
  };
}

/* The directives of HttpRequestSettings; checkDirective has vetted the context. */
function readRequestSetting(d: Directive, draft: RequestSettingsDraft, context: HttpSchemaContext): void {
  const arg = d.args[0]!;
  switch (d.name) {
    case 'allow':
    case 'deny':
      (draft.access ??= []).push(readAccessRule(d));
      return;
    case 'auth_basic':
      if (draft.authBasic !== undefined) throw duplicateDirective(d);
      draft.authBasic = arg === 'off' ? null : arg;
      return;
    case 'auth_basic_user_file':
      if (draft.authBasicUserFile !== undefined) throw duplicateDirective(d);
      draft.authBasicUserFile = readPath(context.prefix, arg);
      return;
    case 'limit_req':
      (draft.limitReqs ??= []).push(readLimitReq(d, draft.limitReqs));
      return;
    case 'limit_req_status':
      if (draft.limitReqStatus !== undefined) throw duplicateDirective(d);
      draft.limitReqStatus = readStatus(d, arg);
      return;
    case 'zonesync_handler':
      if (draft.handler !== undefined) throw duplicateDirective(d);
      draft.handler = readPath(context.prefix, arg);
      draft.handlerSource = sourceOf(d);
      return;
    case 'limit_req_dry_run':
      if (draft.limitReqDryRun !== undefined) throw duplicateDirective(d);
      draft.limitReqDryRun = readFlag(d, arg);
      return;
    case 'limit_req_log_level':
      if (draft.limitReqLogLevel !== undefined) throw duplicateDirective(d);
      draft.limitReqLogLevel = readChoice(d, arg, LIMIT_REQ_LOG_LEVELS);
      return;
    case 'add_header':
      (draft.addHeaders ??= []).push(readAddHeader(d));
      return;
    case 'server_tokens':
      if (draft.serverTokens !== undefined) throw duplicateDirective(d);
      draft.serverTokens = readServerTokens(d, arg);
      return;
    case 'access_log': {
      const logs = (draft.accessLogs ??= { off: false, logs: [] });
      const read = readAccessLog(d, context.prefix, COMBINED_LOG_FORMAT.name);
      if (read.off) logs.off = true;
      else logs.logs.push(...resolveAccessLogs([read], context.logFormats));
      return;
    }
    case 'keepalive_timeout':
      if (draft.keepaliveTimeoutMs !== undefined) throw duplicateDirective(d);
      draft.keepaliveTimeoutMs = readTimeMs(d, arg);
      if (d.args[1] !== undefined) draft.keepaliveHeaderTimeoutMs = readTimeMs(d, d.args[1]);
      return;
    case 'keepalive_requests':
      if (draft.keepaliveRequests !== undefined) throw duplicateDirective(d);
      draft.keepaliveRequests = readCount(d, arg);
      return;
    case 'lingering_close':
      if (draft.lingeringClose !== undefined) throw duplicateDirective(d);
      draft.lingeringClose = readChoice(d, arg, LINGERING_CLOSE);
      return;
    case 'lingering_time':
      if (draft.lingeringTimeMs !== undefined) throw duplicateDirective(d);
      draft.lingeringTimeMs = readTimeMs(d, arg);
      return;
    case 'lingering_timeout':
      if (draft.lingeringTimeoutMs !== undefined) throw duplicateDirective(d);
      draft.lingeringTimeoutMs = readTimeMs(d, arg);
      return;
    case 'client_max_body_size':
      if (draft.clientMaxBodySizeBytes !== undefined) throw duplicateDirective(d);
      draft.clientMaxBodySizeBytes = readSize(d, arg);
      return;
    default:
      if (readProxySetting(d, draft.proxy, context.prefix)) return;
      throw new Error(`schema-http: no reader for "${d.name}" (directives.ts and schema-http.ts disagree)`);
  }
}

function readHttpLogFormat(d: Directive, context: HttpSchemaContext): void {
  const format = readLogFormat(d, isHttpLogVariable);
  if (context.logFormats.has(format.name)) throw new ConfigError(`duplicate "log_format" name "${format.name}"`, d);
  context.logFormats.set(format.name, format);
}

/** add_header NAME VALUE [always]; an empty VALUE adds nothing (nginx). */
function readAddHeader(d: Directive): AddHeaderConfig {
  const [name, value, flag] = d.args as [string, string, string | undefined];
  if (flag !== undefined && flag !== 'always') throw invalidParameter(d, flag);
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw invalidValue(d, name, ', it must be a header field name');
  if (/[\r\n]/.test(value)) throw invalidValue(d, value, ', a header value cannot hold a line break');
  return { name, value, always: flag === 'always' };
}

/** server_tokens on | off | build; zonesync has no build name, so build is on. */
function readServerTokens(d: Directive, value: string): boolean {
  if (value === 'on' || value === 'build') return true;
  if (value === 'off') return false;
  throw invalidValue(d, value, ', it must be "on", "off" or "build"');
}

const LIMIT_REQ_LOG_LEVELS: readonly LimitReqLogLevel[] = ['info', 'notice', 'warn', 'error'];
const LINGERING_CLOSE: readonly LingeringClose[] = ['off', 'on', 'always'];

function readStatus(d: Directive, value: string): number {
  const status = readCount(d, value);
  if (status < 400 || status > 599) throw invalidValue(d, value, ', it must be between 400 and 599');
  return status;
}

/** limit_req zone=NAME [burst=N] [nodelay | delay=N]; */
function readLimitReq(d: Directive, siblings: readonly LimitReqConfig[]): LimitReqConfig {
  let zone: string | null = null;
  let burst = 0;
  let delay: number | null = null;
  for (const param of d.args) {
    const { key, value } = splitParam(param);
    if (key === 'zone' && value !== null && !value.includes(':')) zone = readZoneParam(d, param, false).name;
    else if (key === 'burst' && value !== null) burst = readLimitNumber(d, param, value, 'burst');
    else if (key === 'delay' && value !== null && delay === null) delay = readLimitNumber(d, param, value, 'delay');
    else if (param === 'nodelay' && delay === null) delay = Number.POSITIVE_INFINITY;
    else if (param === 'nodelay' || key === 'delay') throw new ConfigError('"nodelay" and "delay" cannot be used together in "limit_req" directive', d);
    else throw invalidParameter(d, param);
  }
  if (zone === null) throw new ConfigError('"limit_req" must have "zone" parameter', d);
  if (siblings.some((s) => s.zone === zone)) throw new ConfigError(`duplicate limit_req zone "${zone}"`, d);
  return { zone, burst, delay: delay ?? 0, source: sourceOf(d) };
}

function readLimitNumber(d: Directive, param: string, value: string, what: string): number {
  if (!/^[0-9]+$/.test(value)) throw new ConfigError(`invalid ${what} value "${param}" in "limit_req" directive`, d);
  return Number(value);
}

/* Each setting written at this level wins; the others come from the level above. */
function mergeSettings(inherited: HttpRequestSettings, draft: RequestSettingsDraft): HttpRequestSettings {
  return {
    access: draft.access ?? inherited.access,
    authBasic: draft.authBasic !== undefined ? draft.authBasic : inherited.authBasic,
    authBasicUserFile: draft.authBasicUserFile ?? inherited.authBasicUserFile,
    limitReqs: draft.limitReqs ?? inherited.limitReqs,
    limitReqStatus: draft.limitReqStatus ?? inherited.limitReqStatus,
    handler: draft.handler ?? inherited.handler,
    handlerSource: draft.handlerSource ?? inherited.handlerSource,
    limitReqDryRun: draft.limitReqDryRun ?? inherited.limitReqDryRun,
    limitReqLogLevel: draft.limitReqLogLevel ?? inherited.limitReqLogLevel,
    clientMaxBodySizeBytes: draft.clientMaxBodySizeBytes ?? inherited.clientMaxBodySizeBytes,
    addHeaders: draft.addHeaders ?? inherited.addHeaders,
    serverTokens: draft.serverTokens ?? inherited.serverTokens,
    keepaliveTimeoutMs: draft.keepaliveTimeoutMs ?? inherited.keepaliveTimeoutMs,
    keepaliveHeaderTimeoutMs: draft.keepaliveHeaderTimeoutMs ?? inherited.keepaliveHeaderTimeoutMs,
    keepaliveRequests: draft.keepaliveRequests ?? inherited.keepaliveRequests,
    lingeringClose: draft.lingeringClose ?? inherited.lingeringClose,
    lingeringTimeMs: draft.lingeringTimeMs ?? inherited.lingeringTimeMs,
    lingeringTimeoutMs: draft.lingeringTimeoutMs ?? inherited.lingeringTimeoutMs,
    accessLogs: draft.accessLogs === undefined ? inherited.accessLogs : draft.accessLogs.off ? [] : draft.accessLogs.logs,
    proxy: mergeProxySettings(inherited.proxy, draft.proxy),
  };
}
