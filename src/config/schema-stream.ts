// stream { … }: the zone_sync server, its TLS in both directions, its access rules and the
// resolver, with stream-level settings inherited by the server as nginx merges them.

import type { Directive } from './ast.js';
import {
  DEFAULT_LISTENER_SSL, DEFAULT_RESOLVER_TIMEOUT_MS, DEFAULT_ZONE_SYNC, DEFAULT_ZONE_SYNC_SSL, DNS_PORT,
  defaultRecvBufferSizeBytes,
} from './defaults.js';
import { ConfigError } from './errors.js';
import { InheritableLevel, InheritedView, duplicateDirective, readsDirective, sourceOf } from './schema-context.js';
import type { SchemaContext } from './schema-context.js';
import { isStreamLogVariable, readAccessLog, readErrorLog, readLogFormat, resolveAccessLogs, type AccessLogDraft } from './schema-logs.js';
import { readKeyval, readKeyvalZone } from './schema-zones.js';
import type {
  KeyvalBinding, LogFormatConfig, ResolverConfig, StreamConfig, StreamListenConfig, TcpAddress, ZoneSyncPeerConfig,
  ZoneSyncServerConfig,
} from './types.js';
import {
  invalidParameter, readAccessRule, readChoice, readCount, readFlag, readListenAddress, readPath,
  readPositiveCount, readSize, readSocketAddress, readSslConfCommand, readTimeMs, readTlsProtocols, splitParam,
} from './values.js';

interface StreamServerDraft {
  readonly directive: Directive;
  readonly level: InheritableLevel;
  readonly listen: StreamListenConfig[];
  readonly peers: ZoneSyncPeerConfig[];
  zoneSync: boolean;
}

export function readStreamBlock(block: Directive, context: SchemaContext): StreamConfig {
  const streamLevel = new InheritableLevel();
  const keyvals: KeyvalBinding[] = [];
  const servers: StreamServerDraft[] = [];
  const formats = new Map<string, LogFormatConfig>();
  for (const d of block.block ?? []) {
    if (!readsDirective(d, 'stream', context)) continue;
    if (d.name === 'keyval_zone') context.zones.push(readKeyvalZone(d, 'stream', context.prefix));
    else if (d.name === 'keyval') keyvals.push(readKeyval(d));
    else if (d.name === 'server') servers.push(readStreamServer(d, context));
    else if (d.name === 'log_format') {
      const format = readLogFormat(d, isStreamLogVariable);
      if (formats.has(format.name)) throw new ConfigError(`duplicate "log_format" name "${format.name}"`, d);
      formats.set(format.name, format);
    } else readInheritable(d, streamLevel, context);
  }
  return { keyvals, sync: mergeSyncServer(servers, streamLevel, formats) };
}

function readStreamServer(block: Directive, context: SchemaContext): StreamServerDraft {
  const draft: StreamServerDraft = { directive: block, level: new InheritableLevel(), listen: [], peers: [], zoneSync: false };
  for (const d of block.block ?? []) {
    if (!readsDirective(d, 'stream-server', context)) continue;
    if (d.name === 'zone_sync') {
      if (draft.zoneSync) throw duplicateDirective(d);
      draft.zoneSync = true;
    } else if (d.name === 'zone_sync_server') draft.peers.push(readPeer(d));
    else if (d.name === 'listen') draft.listen.push(readStreamListen(d));
    else readInheritable(d, draft.level, context);
  }
  return draft;
}

/* zonesync's stream servers exist only to sync zones: exactly zero or one, with zone_sync. */
function mergeSyncServer(
  servers: readonly StreamServerDraft[], streamLevel: InheritableLevel, formats: ReadonlyMap<string, LogFormatConfig>,
): ZoneSyncServerConfig | null {
  let syncServer: StreamServerDraft | null = null;
  for (const server of servers) {
    if (!server.zoneSync) {
      throw new ConfigError('stream server without "zone_sync" is not supported by zonesync (zonesync proxies nothing)', server.directive);
    }
    if (syncServer !== null) {
      throw new ConfigError(`"zone_sync" is already enabled in the server at ${syncServer.directive.file}:${syncServer.directive.line}`, server.directive);
    }
    if (server.listen.length === 0) throw new ConfigError('no "listen" is defined for server', server.directive);
    syncServer = server;
  }
  return syncServer === null ? null : mergeLevels(syncServer, new InheritedView([syncServer.level, streamLevel]), formats);
}

function mergeLevels(server: StreamServerDraft, view: InheritedView, formats: ReadonlyMap<string, LogFormatConfig>): ZoneSyncServerConfig {
  const buffers = view.value('zone_sync_buffers', DEFAULT_ZONE_SYNC.buffers);
  const z = DEFAULT_ZONE_SYNC_SSL;
  const l = DEFAULT_LISTENER_SSL;
  const config: ZoneSyncServerConfig = {
    listen: server.listen,
    peers: server.peers,
    buffers,
    connectRetryIntervalMs: view.value('zone_sync_connect_retry_interval', DEFAULT_ZONE_SYNC.connectRetryIntervalMs),
    connectTimeoutMs: view.value('zone_sync_connect_timeout', DEFAULT_ZONE_SYNC.connectTimeoutMs),
    intervalMs: view.value('zone_sync_interval', DEFAULT_ZONE_SYNC.intervalMs),
    recvBufferSizeBytes: view.value('zone_sync_recv_buffer_size', defaultRecvBufferSizeBytes(buffers)),
    timeoutMs: view.value('zone_sync_timeout', DEFAULT_ZONE_SYNC.timeoutMs),
    ssl: {
      enabled: view.value('zone_sync_ssl', z.enabled),
      certificate: view.value('zone_sync_ssl_certificate', z.certificate),
      certificateKey: view.value('zone_sync_ssl_certificate_key', z.certificateKey),
      ciphers: view.value('zone_sync_ssl_ciphers', z.ciphers),
      confCommands: view.value('zone_sync_ssl_conf_command', z.confCommands),
      crl: view.value('zone_sync_ssl_crl', z.crl),
      name: view.value('zone_sync_ssl_name', z.name),
      passwordFile: view.value('zone_sync_ssl_password_file', z.passwordFile),
      protocols: view.value('zone_sync_ssl_protocols', z.protocols),
      serverName: view.value('zone_sync_ssl_server_name', z.serverName),
      trustedCertificate: view.value('zone_sync_ssl_trusted_certificate', z.trustedCertificate),
      verify: view.value('zone_sync_ssl_verify', z.verify),
      verifyDepth: view.value('zone_sync_ssl_verify_depth', z.verifyDepth),
    },
    listenerSsl: {
      certificates: view.value('ssl_certificate', l.certificates),
      certificateKeys: view.value('ssl_certificate_key', l.certificateKeys),
      passwordFile: view.value('ssl_password_file', l.passwordFile),
      ciphers: view.value('ssl_ciphers', l.ciphers),
      confCommands: view.value('ssl_conf_command', l.confCommands),
      protocols: view.value('ssl_protocols', l.protocols),
      verifyClient: view.value('ssl_verify_client', l.verifyClient),
      verifyDepth: view.value('ssl_verify_depth', l.verifyDepth),
      trustedCertificate: view.value('ssl_trusted_certificate', l.trustedCertificate),
      clientCertificate: view.value('ssl_client_certificate', l.clientCertificate),
      crl: view.value('ssl_crl', l.crl),
      handshakeTimeoutMs: view.value('ssl_handshake_timeout', l.handshakeTimeoutMs),
    },
    access: view.value('access', []),
    accessLogs: resolveAccessLogs(view.value<AccessLogDraft[]>('access_log', []), formats),
    errorLog: view.value('error_log', null),
    resolver: view.value('resolver', null),
    resolverTimeoutMs: view.value('resolver_timeout', DEFAULT_RESOLVER_TIMEOUT_MS),
    source: sourceOf(server.directive),
  };
  return { ...config, directiveSources: view.sources };
}

/* Directives valid in both stream and server: kept per level, merged by mergeLevels. */
function readInheritable(d: Directive, level: InheritableLevel, context: SchemaContext): void {
  const arg = d.args[0]!;
  const path = (): string => readPath(context.prefix, arg);
  switch (d.name) {
    case 'zone_sync_buffers':
      return level.setOnce(d.name, d, { count: readPositiveCount(d, arg), sizeBytes: readPositiveSize(d, d.args[1]!) });
    case 'zone_sync_recv_buffer_size':
      return level.setOnce(d.name, d, readPositiveSize(d, arg));
    case 'zone_sync_connect_retry_interval':
    case 'zone_sync_connect_timeout':
    case 'zone_sync_interval':
    case 'zone_sync_timeout':
    case 'resolver_timeout':
    case 'ssl_handshake_timeout':
      return level.setOnce(d.name, d, readTimeMs(d, arg));
    case 'zone_sync_ssl':
    case 'zone_sync_ssl_verify':
    case 'zone_sync_ssl_server_name':
      return level.setOnce(d.name, d, readFlag(d, arg));
    case 'zone_sync_ssl_certificate':
    case 'zone_sync_ssl_certificate_key':
    case 'zone_sync_ssl_crl':
    case 'zone_sync_ssl_password_file':
    case 'zone_sync_ssl_trusted_certificate':
    case 'ssl_password_file':
    case 'ssl_trusted_certificate':
    case 'ssl_client_certificate':
    case 'ssl_crl':
      return level.setOnce(d.name, d, path());
    case 'ssl_certificate':
    case 'ssl_certificate_key':
      return level.append(d.name, d, path());
    case 'zone_sync_ssl_ciphers':
    case 'zone_sync_ssl_name':
    case 'ssl_ciphers':
      return level.setOnce(d.name, d, arg);
    case 'zone_sync_ssl_conf_command':
    case 'ssl_conf_command':
      return level.append(d.name, d, readSslConfCommand(d));
    case 'zone_sync_ssl_protocols':
    case 'ssl_protocols':
      return level.setOnce(d.name, d, readTlsProtocols(d));
    case 'zone_sync_ssl_verify_depth':
    case 'ssl_verify_depth':
      return level.setOnce(d.name, d, readCount(d, arg));
    case 'ssl_verify_client':
      return level.setOnce(d.name, d, readChoice(d, arg, ['on', 'off', 'optional', 'optional_no_ca']));
    case 'allow':
    case 'deny':
      return level.append('access', d, readAccessRule(d));
    case 'resolver':
      return level.setOnce(d.name, d, readResolver(d));
    case 'access_log':
      return level.append(d.name, d, readAccessLog(d, context.prefix));
    case 'error_log':
      return level.setOnce(d.name, d, readErrorLog(d, context.prefix));
    default:
      throw new Error(`schema-stream: no reader for "${d.name}" (directives.ts and schema-stream.ts disagree)`);
  }
}

function readPositiveSize(d: Directive, value: string): number {
  const bytes = readSize(d, value);
  if (bytes === 0) throw new ConfigError(`invalid value "${value}" in "${d.name}" directive, it must be greater than 0`, d);
  return bytes;
}

/** zone_sync_server ADDRESS [resolve]: a port is mandatory, unix: allowed. */
function readPeer(d: Directive): ZoneSyncPeerConfig {
  const [text, flag] = d.args as [string, string | undefined];
  if (flag !== undefined && flag !== 'resolve') throw invalidParameter(d, flag);
  const address = readSocketAddress(d, text, { allowUnix: true });
  if (flag === 'resolve' && address.kind === 'unix') {
    throw new ConfigError(`"resolve" cannot be used with the unix domain socket "${text}" in "${d.name}" directive`, d);
  }
  return { address, text, resolve: flag === 'resolve', source: sourceOf(d) };
}

/** listen ADDRESS [ssl] [backlog=N] [ipv6only=on|off] [bind] in a stream server. */
function readStreamListen(d: Directive): StreamListenConfig {
  const [text, ...params] = d.args as [string, ...string[]];
  let ssl = false;
  let backlog: number | null = null;
  let ipv6Only = true;
  for (const param of params) {
    const { key, value } = splitParam(param);
    if (param === 'ssl') ssl = true;
    else if (param === 'bind') continue;
    else if (key === 'backlog' && value !== null) backlog = readPositiveCount(d, value);
    else if (key === 'ipv6only' && value !== null) ipv6Only = readFlag(d, value);
    else if (['udp', 'proxy_protocol', 'reuseport', 'fastopen', 'so_keepalive'].includes(key)) {
      throw new ConfigError(`"${key}" parameter of the "listen" directive is not supported by zonesync`, d);
    } else throw invalidParameter(d, param);
  }
  return { address: readListenAddress(d, text, { allowUnix: true }), ssl, backlog, ipv6Only, source: sourceOf(d) };
}

/** resolver ADDRESS[:PORT] … [valid=TIME] [ipv4=on|off] [ipv6=on|off]; */
export function readResolver(d: Directive): ResolverConfig {
  const servers: TcpAddress[] = [];
  let validMs: number | null = null;
  let ipv4 = true;
  let ipv6 = true;
  for (const arg of d.args) {
    const { key, value } = splitParam(arg);
    if (value === null) {
      servers.push(readSocketAddress(d, arg, { allowUnix: false, defaultPort: DNS_PORT }) as TcpAddress);
    } else if (key === 'valid') validMs = readTimeMs(d, value);
    else if (key === 'ipv4') ipv4 = readFlag(d, value);
    else if (key === 'ipv6') ipv6 = readFlag(d, value);
    else throw invalidParameter(d, arg);
  }
  if (servers.length === 0) throw new ConfigError('no name servers defined in "resolver" directive', d);
  if (!ipv4 && !ipv6) throw new ConfigError('"ipv4" and "ipv6" cannot both be "off" in "resolver" directive', d);
  return { servers, validMs, ipv4, ipv6 };
}
