// The configuration built in code: a service that embeds zonesync writes only what differs
// from nginx's defaults, and normalizeConfig fills the rest and runs validateConfig, so the
// result is the same ZonesyncConfig a file gives. Addresses may be written as strings
// ("10.0.0.2:12345", "unix:/run/zs.sock") and rates as "100r/s". Settings of a location not
// written are inherited from its server (and a nested location's from its parent), as in
// a file. normalizeConfig(normalizeConfig(x)) deep-equals normalizeConfig(x).

import { formatSocketAddress, parseListenAddress, parseSocketAddress } from './address.js';
import {
  DEFAULT_ERROR_LOG, DEFAULT_HTTP_REQUEST_SETTINGS, DEFAULT_LIMIT_REQ_RATE, DEFAULT_LISTENER_SSL,
  DEFAULT_RESOLVER_TIMEOUT_MS, DEFAULT_STATE_FSYNC, DEFAULT_STICKY_TIMEOUT_MS, DEFAULT_UPSTREAM_KEEPALIVE, DEFAULT_UPSTREAM_PORT,
  DEFAULT_UPSTREAM_SERVER, DEFAULT_WORKER_PROCESSES, DEFAULT_WORKER_SHUTDOWN_TIMEOUT_MS, DEFAULT_ZONE_SYNC, DEFAULT_ZONE_SYNC_SSL, DNS_PORT,
  defaultHttpPort,
  defaultRecvBufferSizeBytes,
} from './defaults.js';
import { ConfigError, ConfigValueError } from './errors.js';
import { checkConfigInput } from './input-shape.js';
import { mergeProxySettings } from './schema-proxy.js';
import type {
  ErrorLogConfig, HttpConfig, HttpListenConfig, HttpLocationConfig, HttpRequestSettings, HttpServerConfig,
  CounterZoneConfig, KeyvalBinding, KeyvalZoneConfig, LimitExceptConfig, LimitReqZoneConfig, ListenAddress, ListenerSslConfig, ProxySettings,
  ResolverConfig, SocketAddress, StateFsyncPolicy, StickyZoneConfig, StreamConfig, StreamListenConfig, TcpAddress, UpstreamConfig,
  UpstreamServerConfig, ZoneConfig, ZoneSyncPeerConfig, ZoneSyncServerConfig, ZoneSyncSslConfig, ZonesyncConfig,
} from './types.js';
import { parseRate } from './units.js';
import { validateConfig } from './validate.js';
import type { RequestRate } from './units.js';

type Required<T, K extends keyof T> = Pick<T, K> & Partial<Omit<T, K>>;
type AddressInput = string | SocketAddress;
type ListenAddressInput = string | ListenAddress;

export type KeyvalZoneInput = Required<KeyvalZoneConfig, 'kind' | 'name' | 'sizeBytes'>;
export type LimitReqZoneInput = Required<Omit<LimitReqZoneConfig, 'rate'>, 'kind' | 'name' | 'sizeBytes'>
  & { readonly rate?: RequestRate | string };
export type StickyZoneInput = Required<StickyZoneConfig, 'kind' | 'name' | 'sizeBytes' | 'upstream' | 'create' | 'lookup'>;
export type CounterZoneInput = Required<CounterZoneConfig, 'kind' | 'name' | 'sizeBytes'>;
export type ZoneInput = KeyvalZoneInput | LimitReqZoneInput | StickyZoneInput | CounterZoneInput;

export type StreamListenInput = Partial<Omit<StreamListenConfig, 'address'>> & { readonly address: ListenAddressInput };
export type ZoneSyncPeerInput = Partial<Omit<ZoneSyncPeerConfig, 'address'>> & { readonly address: AddressInput };
export type ResolverInput = Partial<Omit<ResolverConfig, 'servers'>> & { readonly servers: readonly (string | TcpAddress)[] };

export interface ZoneSyncServerInput extends Partial<Omit<ZoneSyncServerConfig, 'listen' | 'peers' | 'ssl' | 'listenerSsl' | 'resolver'>> {
  readonly listen: readonly (StreamListenInput | ListenAddressInput)[];
  readonly peers?: readonly (ZoneSyncPeerInput | string)[];
  readonly ssl?: Partial<ZoneSyncSslConfig>;
  readonly listenerSsl?: Partial<ListenerSslConfig>;
  readonly resolver?: ResolverInput | null;
}

export interface StreamConfigInput {
  readonly keyvals?: readonly KeyvalBinding[];
  readonly sync?: ZoneSyncServerInput | null;
}

export type UpstreamServerInput = Partial<Omit<UpstreamServerConfig, 'address'>> & { readonly address: AddressInput };
export type UpstreamInput = Required<Omit<UpstreamConfig, 'servers'>, 'name'> & {
  readonly servers: readonly (UpstreamServerInput | string)[];
};

export type HttpListenInput = Partial<Omit<HttpListenConfig, 'address'>> & { readonly address: ListenAddressInput };
/** A level's settings in code: what is not written is inherited; the proxy settings field by field. */
export type HttpRequestSettingsInput = Partial<Omit<HttpRequestSettings, 'proxy'>> & { readonly proxy?: Partial<ProxySettings> };
export interface HttpLocationInput extends Partial<Omit<HttpLocationConfig, 'pattern' | 'settings' | 'limitExcept' | 'locations'>> {
  readonly pattern: string;
  readonly settings?: HttpRequestSettingsInput;
  readonly limitExcept?: (Omit<LimitExceptConfig, 'settings'> & { readonly settings?: HttpRequestSettingsInput }) | null;
  readonly locations?: readonly HttpLocationInput[];
}
export interface HttpServerInput extends Partial<Omit<HttpServerConfig, 'listen' | 'settings' | 'locations'>> {
  readonly listen?: readonly (HttpListenInput | ListenAddressInput)[];
  readonly settings?: HttpRequestSettingsInput;
  readonly locations?: readonly HttpLocationInput[];
}
export interface HttpConfigInput {
  readonly keyvals?: readonly KeyvalBinding[];
  readonly upstreams?: readonly UpstreamInput[];
  readonly servers?: readonly HttpServerInput[];
  readonly resolver?: ResolverInput | null;
  readonly resolverTimeoutMs?: number;
}

export interface ZonesyncConfigInput {
  readonly workerProcesses?: number | 'auto';
  readonly workerShutdownTimeoutMs?: number;
  readonly errorLog?: Partial<ErrorLogConfig>;
  readonly pidFile?: string | null;
  readonly zones?: readonly ZoneInput[];
  readonly http?: HttpConfigInput | null;
  readonly stream?: StreamConfigInput | null;
  readonly stateFsync?: StateFsyncPolicy;
}

/**
 * Fills nginx's defaults into a configuration written in code and validates it: an unknown
 * key or a value of the wrong type is a ConfigError naming its path, as a file's mistake is.
 */
export function normalizeConfig(input: ZonesyncConfigInput = {}): ZonesyncConfig {
  checkConfigInput(input, '');
  const config: ZonesyncConfig = {
    workerProcesses: input.workerProcesses ?? DEFAULT_WORKER_PROCESSES,
    workerShutdownTimeoutMs: input.workerShutdownTimeoutMs ?? DEFAULT_WORKER_SHUTDOWN_TIMEOUT_MS,
    errorLog: { ...DEFAULT_ERROR_LOG, ...input.errorLog },
    pidFile: input.pidFile ?? null,
    zones: (input.zones ?? []).map(normalizeZone),
    http: input.http == null ? null : normalizeHttp(input.http),
    stream: input.stream == null ? null : normalizeStream(input.stream),
    stateFsync: input.stateFsync ?? DEFAULT_STATE_FSYNC,
  };
  validateConfig(config);
  return config;
}

function normalizeZone(zone: ZoneInput): ZoneConfig {
  switch (zone.kind) {
    case 'keyval':
      return { module: 'http', stateFile: null, timeoutMs: null, type: 'string', sync: false, ...zone };
    case 'limit_req':
      return { sync: false, key: null, ...zone, rate: normalizeRate(zone.rate) };
    case 'sticky':
      return { timeoutMs: DEFAULT_STICKY_TIMEOUT_MS, header: false, sync: false, ...zone };
    case 'counter':
      return { windowMs: 0, sync: false, ...zone };
    default:
      throw new ConfigError(`unknown zone kind "${(zone as { kind: unknown }).kind}"`);
  }
}

function normalizeRate(rate: RequestRate | string | undefined): RequestRate {
  if (rate === undefined) return DEFAULT_LIMIT_REQ_RATE;
  return typeof rate === 'string' ? valueOrConfigError(() => parseRate(rate)) : rate;
}

/* A value error in code-built configuration has no file to name; it becomes a ConfigError as is. */
function valueOrConfigError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigValueError) throw new ConfigError(error.message);
    throw error;
  }
}

const socketAddress = (address: AddressInput, defaultPort?: number): SocketAddress =>
  typeof address === 'string'
    ? valueOrConfigError(() => parseSocketAddress(address, { allowUnix: true, ...(defaultPort === undefined ? {} : { defaultPort }) }))
    : address;
const listenAddress = (address: ListenAddressInput, defaultPort?: number): ListenAddress =>
  typeof address === 'string'
    ? valueOrConfigError(() => parseListenAddress(address, { allowUnix: true, ...(defaultPort === undefined ? {} : { defaultPort }) }))
    : address;
const isAddressInput = (value: object | string): value is string | SocketAddress | ListenAddress =>
  typeof value === 'string' || 'kind' in value;

function normalizeStream(input: StreamConfigInput): StreamConfig {
  return { keyvals: input.keyvals ?? [], sync: input.sync == null ? null : normalizeSync(input.sync) };
}

function normalizeSync(input: ZoneSyncServerInput): ZoneSyncServerConfig {
  const buffers = input.buffers ?? DEFAULT_ZONE_SYNC.buffers;
  const { listen, peers, ssl, listenerSsl, resolver, ...rest } = input;
  return {
    connectRetryIntervalMs: DEFAULT_ZONE_SYNC.connectRetryIntervalMs,
    connectTimeoutMs: DEFAULT_ZONE_SYNC.connectTimeoutMs,
    intervalMs: DEFAULT_ZONE_SYNC.intervalMs,
    timeoutMs: DEFAULT_ZONE_SYNC.timeoutMs,
    recvBufferSizeBytes: defaultRecvBufferSizeBytes(buffers),
    access: [],
    accessLogs: [],
    errorLog: null,
    resolverTimeoutMs: DEFAULT_RESOLVER_TIMEOUT_MS,
    ...rest,
    buffers,
    listen: listen.map((entry) => {
      const item: StreamListenInput = isAddressInput(entry) ? { address: entry } : entry;
      return { ssl: false, backlog: null, ipv6Only: true, ...item, address: listenAddress(item.address) };
    }),
    peers: (peers ?? []).map((entry) => {
      const item: ZoneSyncPeerInput = typeof entry === 'string' ? { address: entry } : entry;
      const address = socketAddress(item.address);
      return { resolve: false, text: typeof item.address === 'string' ? item.address : formatSocketAddress(address), ...item, address };
    }),
    ssl: { ...DEFAULT_ZONE_SYNC_SSL, ...ssl },
    listenerSsl: { ...DEFAULT_LISTENER_SSL, ...listenerSsl },
    resolver: resolver == null ? null : normalizeResolver(resolver),
  };
}

function normalizeResolver(input: ResolverInput): ResolverConfig {
  return {
    validMs: null, ipv4: true, ipv6: true, ...input,
    servers: input.servers.map((server) => socketAddress(server, DNS_PORT) as TcpAddress),
  };
}

function normalizeHttp(input: HttpConfigInput): HttpConfig {
  return {
    keyvals: input.keyvals ?? [],
    upstreams: (input.upstreams ?? []).map(normalizeUpstream),
    servers: (input.servers ?? []).map(normalizeHttpServer),
    resolver: input.resolver == null ? null : normalizeResolver(input.resolver),
    resolverTimeoutMs: input.resolverTimeoutMs ?? DEFAULT_RESOLVER_TIMEOUT_MS,
  };
}

function normalizeUpstream(input: UpstreamInput): UpstreamConfig {
  return {
    zone: null, stickyZone: null, ...DEFAULT_UPSTREAM_KEEPALIVE, ...input,
    servers: input.servers.map((entry) => {
      const item: UpstreamServerInput = typeof entry === 'string' ? { address: entry } : entry;
      const address = socketAddress(item.address, DEFAULT_UPSTREAM_PORT);
      return {
        ...DEFAULT_UPSTREAM_SERVER, backup: false, down: false, resolve: false, route: null,
        text: typeof item.address === 'string' ? item.address : formatSocketAddress(address),
        ...item, address,
      };
    }),
  };
}

function normalizeHttpServer(input: HttpServerInput): HttpServerConfig {
  const settings = mergeSettings(DEFAULT_HTTP_REQUEST_SETTINGS, input.settings);
  const listen = (input.listen ?? [{ kind: 'tcp', host: null, port: defaultHttpPort() } as ListenAddress]).map((entry) => {
    const item: HttpListenInput = isAddressInput(entry) ? { address: entry } : entry;
    return { defaultServer: false, backlog: null, ipv6Only: true, ...item, address: listenAddress(item.address, 80) };
  });
  return {
    serverNames: [], return: null, ...input, listen, settings,
    locations: (input.locations ?? []).map((location) => normalizeLocation(location, settings)),
  };
}

function mergeSettings(inherited: HttpRequestSettings, written: HttpRequestSettingsInput | undefined): HttpRequestSettings {
  // A handler written here has its own source or none: never the inherited one's.
  const handlerSource = written?.handler === undefined ? inherited.handlerSource : written.handlerSource;
  return { ...inherited, ...written, handlerSource, proxy: mergeProxySettings(inherited.proxy, written?.proxy) };
}

function normalizeLocation(input: HttpLocationInput, inherited: HttpRequestSettings): HttpLocationConfig {
  const settings = mergeSettings(inherited, input.settings);
  const limitExcept = input.limitExcept == null ? null : { ...input.limitExcept, settings: mergeSettings(settings, input.limitExcept.settings) };
  return {
    modifier: 'prefix', api: null, health: null, metrics: false, dashboard: null, proxyPass: null, return: null, ...input, settings, limitExcept,
    locations: (input.locations ?? []).map((location) => normalizeLocation(location, settings)),
  };
}
