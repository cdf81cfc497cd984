// The shape of a configuration written in code (ZonesyncConfigInput, and the complete
// ZonesyncConfig it may also be): every key it may have and the type of each value, checked
// before normalizeConfig fills the defaults, so that a misspelt or mistyped setting is an
// error, as an unknown or malformed directive is in a file. Each shape is typed against
// its input type: a key added to a type without a check here does not compile.

import type { AccessRule } from '../net/access.js';
import type { SourceLocation } from './ast.js';
import type {
  CounterZoneInput, HttpConfigInput, HttpListenInput, HttpLocationInput, HttpRequestSettingsInput, HttpServerInput, KeyvalZoneInput, LimitReqZoneInput,
  ResolverInput,
  StickyZoneInput, StreamConfigInput, StreamListenInput, UpstreamInput, UpstreamServerInput, ZoneSyncPeerInput,
  ZoneSyncServerInput, ZonesyncConfigInput,
} from './normalize.js';
import {
  anyObject, arrayOf, boolean, count, either, nullable, number, object, oneOf, required, string, tagged, type Check,
} from './shape-check.js';
import type {
  AccessLogConfig, AddHeaderConfig, DashboardConfig, ErrorLogConfig, KeyvalBinding, LimitExceptConfig, LimitReqConfig, ListenerSslConfig, LogFormatConfig,
  ProxyPassConfig, ProxySetHeader, ProxySettings, RequestRate, ReturnConfig, SslConfCommand, TcpAddress, UnixAddress,
  ZoneSyncSslConfig, ProxySslConfig,
} from './types.js';

const ms = count('milliseconds');
const bytes = count('bytes');
const integer = count();
// TLS protocol names are strings here: validate.ts names the directive of one it does not support.
const strings = arrayOf(string);
const source: Check = anyObject;
const isString = (value: unknown): boolean => typeof value === 'string';
const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null;
const hasKind = (value: unknown): boolean => typeof value === 'object' && value !== null && 'kind' in value;

const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'OPTIONS', 'PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK', 'PATCH'];

// Addresses: "host:port" / "unix:/path" text, or the parsed object.
const unixAddress = object<UnixAddress>({ kind: required(oneOf('unix')), path: required(string) });
const tcpAddress = object<TcpAddress>({ kind: required(oneOf('tcp')), host: required(string), port: required(integer) });
const listenTcpAddress = object<{ kind: 'tcp'; host: string | null; port: number }>({
  kind: required(oneOf('tcp')), host: required(nullable(string)), port: required(integer),
});
const socketAddressObject = tagged('kind', { tcp: tcpAddress, unix: unixAddress });
const address = either('an address: "host:port", "unix:/path" or { kind, … }',
  { accepts: isString, check: string }, { accepts: isObject, check: socketAddressObject });
const listenAddress = either('an address: "host:port", "port", "unix:/path" or { kind, … }',
  { accepts: isString, check: string }, { accepts: isObject, check: tagged('kind', { tcp: listenTcpAddress, unix: unixAddress }) });

/** An address alone, or an object with `address` and more settings. */
function addressOr(alone: Check, withSettings: Check): Check {
  return either('an address or an object with "address"',
    { accepts: isString, check: alone }, { accepts: hasKind, check: alone }, { accepts: isObject, check: withSettings });
}

const logLevel = oneOf(...LOG_LEVELS);
const hasText = (value: unknown): boolean => typeof value === 'object' && value !== null && 'text' in value;
const logFormat = object<LogFormatConfig>({
  name: required(string), escape: required(oneOf('default', 'json', 'none')), source,
  parts: required(arrayOf(either('{ text } or { variable }',
    { accepts: hasText, check: object<{ text: string }>({ text: required(string) }) },
    { accepts: isObject, check: object<{ variable: string }>({ variable: required(string) }) }))),
});
const accessLog = object<AccessLogConfig>({ path: required(string), format: required(logFormat), bufferBytes: nullable(bytes), flushMs: nullable(ms), source });
const accessRule = object<AccessRule & { source?: SourceLocation }>({
  action: required(oneOf('allow', 'deny')), match: required(oneOf('all', 'unix', 'ipv4', 'ipv6')),
  address: required(string), prefixLength: required(integer), source,
});
const confCommands = arrayOf(object<SslConfCommand>({ name: required(string), value: required(string) }));
const keyvalBinding = object<KeyvalBinding>({ key: required(string), variable: required(string), zone: required(string), source });

// Zones

const zoneCommon = { name: required(string), sizeBytes: required(bytes), sync: boolean, source };
const rate = either('a rate ("10r/s", "30r/m") or { requests, per, milliRequestsPerSecond }',
  { accepts: isString, check: string },
  { accepts: isObject, check: object<RequestRate>({ requests: required(number), per: required(oneOf('s', 'm')), milliRequestsPerSecond: required(number) }) });
const zone = tagged('kind', {
  keyval: object<KeyvalZoneInput>({
    kind: required(oneOf('keyval')), ...zoneCommon,
    module: oneOf('http', 'stream'), stateFile: nullable(string), timeoutMs: nullable(ms), type: oneOf('string', 'ip', 'prefix'),
  }),
  limit_req: object<LimitReqZoneInput>({ kind: required(oneOf('limit_req')), ...zoneCommon, key: nullable(string), rate }),
  sticky: object<StickyZoneInput>({
    kind: required(oneOf('sticky')), ...zoneCommon,
    upstream: required(string), create: required(strings), lookup: required(strings), timeoutMs: ms, header: boolean,
  }),
  counter: object<CounterZoneInput>({ kind: required(oneOf('counter')), ...zoneCommon, windowMs: ms }),
});

// stream { }

const zoneSyncSsl = object<Partial<ZoneSyncSslConfig>>({
  enabled: boolean, certificate: nullable(string), certificateKey: nullable(string), ciphers: string, confCommands,
  crl: nullable(string), name: nullable(string), passwordFile: nullable(string), protocols: strings,
  serverName: boolean, trustedCertificate: nullable(string), verify: boolean, verifyDepth: integer,
});
const listenerSsl = object<Partial<ListenerSslConfig>>({
  certificates: strings, certificateKeys: strings, passwordFile: nullable(string), ciphers: string, confCommands,
  protocols: strings, verifyClient: oneOf('on', 'off', 'optional', 'optional_no_ca'), verifyDepth: integer,
  trustedCertificate: nullable(string), clientCertificate: nullable(string), crl: nullable(string), handshakeTimeoutMs: ms,
});
const resolver = object<ResolverInput>({
  servers: required(arrayOf(either('a name server: "ip[:port]" or { kind: "tcp", host, port }',
    { accepts: isString, check: string }, { accepts: isObject, check: tcpAddress }))),
  validMs: nullable(ms), ipv4: boolean, ipv6: boolean,
});
const streamListen = object<StreamListenInput>({ address: required(listenAddress), ssl: boolean, backlog: nullable(integer), ipv6Only: boolean, source });
const peer = object<ZoneSyncPeerInput>({ address: required(address), text: string, resolve: boolean, source });
const zoneSync = object<ZoneSyncServerInput>({
  listen: required(arrayOf(addressOr(listenAddress, streamListen))),
  peers: arrayOf(addressOr(address, peer)),
  buffers: object<{ count: number; sizeBytes: number }>({ count: required(integer), sizeBytes: required(bytes) }),
  connectRetryIntervalMs: ms, connectTimeoutMs: ms, intervalMs: ms, recvBufferSizeBytes: bytes, timeoutMs: ms,
  ssl: zoneSyncSsl, listenerSsl, access: arrayOf(accessRule), resolver: nullable(resolver), resolverTimeoutMs: ms,
  accessLogs: arrayOf(accessLog), errorLog: nullable(object<ErrorLogConfig>({ file: required(string), level: required(logLevel) })),
  source, directiveSources: anyObject,
});
const stream = object<StreamConfigInput>({ keyvals: arrayOf(keyvalBinding), sync: nullable(zoneSync) });

// http { }

const NEXT_UPSTREAM = ['error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_403', 'http_404', 'http_429', 'non_idempotent'];
const proxySettings = object<Partial<ProxySettings>>({
  setHeaders: arrayOf(object<ProxySetHeader>({ name: required(string), value: required(string) })),
  hideHeaders: strings, passHeaders: strings,
  connectTimeoutMs: ms, readTimeoutMs: ms, sendTimeoutMs: ms, nextUpstream: arrayOf(oneOf(...NEXT_UPSTREAM)), nextUpstreamTries: integer, nextUpstreamTimeoutMs: ms,
  ssl: object<Partial<ProxySslConfig>>({
    certificate: nullable(string), certificateKey: nullable(string), ciphers: string, confCommands,
    crl: nullable(string), name: nullable(string), passwordFile: nullable(string), protocols: strings,
    serverName: boolean, trustedCertificate: nullable(string), verify: boolean, verifyDepth: integer, sessionReuse: boolean, sources: anyObject,
  }),
});
const settings = object<HttpRequestSettingsInput>({
  access: arrayOf(accessRule), authBasic: nullable(string), authBasicUserFile: nullable(string),
  limitReqs: arrayOf(object<LimitReqConfig>({ zone: required(string), burst: required(integer), delay: required(number), source })),
  limitReqStatus: integer, handler: nullable(string), handlerSource: source,
  limitReqDryRun: boolean, limitReqLogLevel: oneOf('info', 'notice', 'warn', 'error'), clientMaxBodySizeBytes: bytes, proxy: proxySettings,
  addHeaders: arrayOf(object<AddHeaderConfig>({ name: required(string), value: required(string), always: required(boolean) })),
  serverTokens: boolean, accessLogs: arrayOf(accessLog),
  keepaliveTimeoutMs: ms, keepaliveHeaderTimeoutMs: nullable(ms), keepaliveRequests: integer,
  lingeringClose: oneOf('off', 'on', 'always'), lingeringTimeMs: ms, lingeringTimeoutMs: ms,
});
const returnConfig = nullable(object<ReturnConfig>({ status: required(integer), text: required(nullable(string)) }));
const limitExcept = object<Omit<LimitExceptConfig, 'settings'> & { settings?: HttpRequestSettingsInput }>({
  methods: required(arrayOf(oneOf(...METHODS))), settings, source,
});
const location: Check = (value, path) => locationShape(value, path);
const locationShape = object<HttpLocationInput>({
  pattern: required(string), modifier: oneOf('prefix', 'exact', 'prefix-no-regex', 'regex', 'regex-case-insensitive'),
  settings, api: nullable(object<{ write: boolean }>({ write: required(boolean) })), health: nullable(oneOf('live', 'ready')),
  dashboard: nullable(object<DashboardConfig>({ api: required(string) })),
  metrics: boolean, limitExcept: nullable(limitExcept), locations: arrayOf(location), source,
  proxyPass: nullable(object<ProxyPassConfig>({
    url: required(string), scheme: oneOf('http', 'https'), host: required(string), port: required(nullable(integer)), uri: required(nullable(string)), variables: boolean,
  })),
  return: returnConfig,
});
const httpListen = object<HttpListenInput>({ address: required(listenAddress), defaultServer: boolean, backlog: nullable(integer), ipv6Only: boolean, source });
const httpServer = object<HttpServerInput>({
  listen: arrayOf(addressOr(listenAddress, httpListen)), serverNames: strings, settings, return: returnConfig, locations: arrayOf(location), source,
});
const upstreamServer = object<UpstreamServerInput>({
  address: required(address), text: string, weight: integer, maxConns: integer, maxFails: integer, failTimeoutMs: ms,
  backup: boolean, down: boolean, resolve: boolean, route: nullable(string), source,
});
const upstream = object<UpstreamInput>({
  name: required(string), servers: required(arrayOf(addressOr(address, upstreamServer))),
  zone: nullable(object<{ name: string; sizeBytes: number | null }>({ name: required(string), sizeBytes: required(nullable(bytes)) })),
  stickyZone: nullable(string), keepalive: nullable(integer), keepaliveTimeoutMs: ms, keepaliveRequests: integer, source,
});
const http = object<HttpConfigInput>({
  keyvals: arrayOf(keyvalBinding), upstreams: arrayOf(upstream), servers: arrayOf(httpServer), resolver: nullable(resolver), resolverTimeoutMs: ms,
});

/** The whole configuration: throws the first shape error found as a ConfigError. */
export const checkConfigInput: Check = object<ZonesyncConfigInput>({
  workerProcesses: either('"auto" or a number of threads', { accepts: isString, check: oneOf('auto') }, { accepts: () => true, check: integer }),
  errorLog: object<Partial<ErrorLogConfig>>({ file: string, level: logLevel }),
  workerShutdownTimeoutMs: ms,
  pidFile: nullable(string),
  stateFsync: tagged('mode', {
    off: object<{ mode: 'off' }>({ mode: required(oneOf('off')) }),
    always: object<{ mode: 'always' }>({ mode: required(oneOf('always')) }),
    interval: object<{ mode: 'interval'; intervalMs: number }>({ mode: required(oneOf('interval')), intervalMs: required(ms) }),
  }),
  zones: arrayOf(zone),
  http: nullable(http),
  stream: nullable(stream),
});
