// nginx's defaults for every setting zonesync reads, in one place. The values are those of
// the NGINX Plus documentation (the ngx_stream_zone_sync_module reference) and of nginx's
// sources where that documentation is silent; each says which.

import type {
  HttpRequestSettings, ListenerSslConfig, ProxySettings, ProxySslConfig, StateFsyncPolicy, TlsProtocol, ZoneSyncSslConfig,
} from './types.js';
import { parseRate } from './units.js';

/* nginx's page size on the platforms zonesync targets; "4k|8k" in the module reference. */
export const PAGE_SIZE_BYTES = 4096;

/* ngx_http_limit_req: a zone smaller than 8 pages is "too small"; used for every zone. */
export const MIN_ZONE_SIZE_BYTES = 8 * PAGE_SIZE_BYTES;

export const DEFAULT_WORKER_PROCESSES = 1;

/* zonesync's own (no nginx equivalent): journals of keyval state files fsynced once a second at most. */
export const DEFAULT_STATE_FSYNC: StateFsyncPolicy = { mode: 'interval', intervalMs: 1_000 };
/* zonesync's own: nginx waits for its workers without a bound unless worker_shutdown_timeout is set. */
export const DEFAULT_WORKER_SHUTDOWN_TIMEOUT_MS = 10_000;

export const DEFAULT_ZONE_SYNC = {
  buffers: { count: 8, sizeBytes: PAGE_SIZE_BYTES },
  connectRetryIntervalMs: 1_000,
  connectTimeoutMs: 5_000,
  intervalMs: 1_000,
  timeoutMs: 5_000,
} as const;

/*
 * The module reference gives zone_sync_recv_buffer_size's default both as "4k|8k" (syntax
 * table) and as "zone_sync_buffers size multiplied by number" (text); the text is the more
 * specific, and the larger value can never be less than one buffer, so it is the one used.
 */
export function defaultRecvBufferSizeBytes(buffers: { count: number; sizeBytes: number }): number {
  return buffers.count * buffers.sizeBytes;
}

/* ngx_stream_core_module: resolver_timeout 30s; DNS port 53. */
export const DEFAULT_RESOLVER_TIMEOUT_MS = 30_000;
export const DNS_PORT = 53;

/** zonesync_dashboard without api=: where the NGINX Plus dashboard looks for the API too. */
export const DEFAULT_DASHBOARD_API = '/api/';

export const DEFAULT_TLS_PROTOCOLS: readonly TlsProtocol[] = ['TLSv1.2', 'TLSv1.3'];

export const DEFAULT_ZONE_SYNC_SSL: ZoneSyncSslConfig = {
  enabled: false,
  certificate: null,
  certificateKey: null,
  ciphers: 'DEFAULT',
  confCommands: [],
  crl: null,
  name: null,
  passwordFile: null,
  protocols: DEFAULT_TLS_PROTOCOLS,
  serverName: false,
  trustedCertificate: null,
  verify: false,
  verifyDepth: 1,
};

/* ngx_stream_ssl_module defaults. */
export const DEFAULT_LISTENER_SSL: ListenerSslConfig = {
  certificates: [],
  certificateKeys: [],
  passwordFile: null,
  ciphers: 'HIGH:!aNULL:!MD5',
  confCommands: [],
  protocols: DEFAULT_TLS_PROTOCOLS,
  verifyClient: 'off',
  verifyDepth: 1,
  trustedCertificate: null,
  clientCertificate: null,
  crl: null,
  handshakeTimeoutMs: 60_000,
};

/*
 * The OpenSSL SSL_CONF commands that zonesync can carry out with node:tls (for
 * ssl_conf_command and zone_sync_ssl_conf_command); any other is a configuration error
 * rather than a command silently dropped.
 */
export const SUPPORTED_SSL_CONF_COMMANDS: readonly string[] = [
  'Ciphersuites', 'MinProtocol', 'MaxProtocol', 'Groups', 'Curves', 'SignatureAlgorithms', 'Options',
];

/* ngx_http_upstream_module: sticky learn timeout 10m. */
export const DEFAULT_STICKY_TIMEOUT_MS = 10 * 60_000;

/* ngx_http_limit_req_module: rate 1r/s when rate= is omitted; limit_req_status 503. */
export const DEFAULT_LIMIT_REQ_RATE = parseRate('1r/s');
export const DEFAULT_LIMIT_REQ_STATUS = 503;

/* ngx_http_upstream_module server parameters. */
export const DEFAULT_UPSTREAM_SERVER = {
  weight: 1, maxConns: 0, maxFails: 1, failTimeoutMs: 10_000,
} as const;
export const DEFAULT_UPSTREAM_PORT = 80;
/* ngx_http_upstream_keepalive_module: keepalive_timeout 60s, keepalive_requests 1000. */
export const DEFAULT_UPSTREAM_KEEPALIVE = { keepalive: null, keepaliveTimeoutMs: 60_000, keepaliveRequests: 1000 } as const;

/* ngx_http_proxy_module's proxy_ssl_*: verify off, depth 1, no SNI, name $proxy_host, sessions reused. */
export const DEFAULT_PROXY_SSL: ProxySslConfig = (() => {
  const { enabled: _enabled, ...ssl } = DEFAULT_ZONE_SYNC_SSL;
  return { ...ssl, sessionReuse: true, sources: {} };
})();

/* ngx_http_proxy_module: timeouts 60s, proxy_next_upstream error timeout, no limit on tries or time. */
export const DEFAULT_PROXY_SETTINGS: ProxySettings = {
  setHeaders: [],
  hideHeaders: [],
  passHeaders: [],
  connectTimeoutMs: 60_000,
  readTimeoutMs: 60_000,
  sendTimeoutMs: 60_000,
  nextUpstream: ['error', 'timeout'],
  nextUpstreamTries: 0,
  nextUpstreamTimeoutMs: 0,
  ssl: DEFAULT_PROXY_SSL,
};

/* ngx_http_core_module: client_max_body_size 1m. */
export const DEFAULT_CLIENT_MAX_BODY_SIZE_BYTES = 1024 * 1024;

/* ngx_http_core_module: keepalive_timeout 75s (no Keep-Alive field), keepalive_requests 1000. */
export const DEFAULT_CLIENT_KEEPALIVE = { keepaliveTimeoutMs: 75_000, keepaliveHeaderTimeoutMs: null, keepaliveRequests: 1000 } as const;

/* ngx_http_core_module: lingering_close on, lingering_time 30s, lingering_timeout 5s. */
export const DEFAULT_LINGERING = { lingeringClose: 'on', lingeringTimeMs: 30_000, lingeringTimeoutMs: 5_000 } as const;

/* ngx_http_core_module: listen *:80 when run as root, *:8000 otherwise. */
export function defaultHttpPort(): number {
  return process.getuid?.() === 0 ? 80 : 8000;
}

export const DEFAULT_HTTP_REQUEST_SETTINGS: HttpRequestSettings = {
  access: [],
  authBasic: null,
  authBasicUserFile: null,
  limitReqs: [],
  limitReqStatus: DEFAULT_LIMIT_REQ_STATUS,
  handler: null,
  limitReqDryRun: false,
  limitReqLogLevel: 'error',
  clientMaxBodySizeBytes: DEFAULT_CLIENT_MAX_BODY_SIZE_BYTES,
  addHeaders: [],
  serverTokens: true,
  accessLogs: [],
  ...DEFAULT_CLIENT_KEEPALIVE,
  ...DEFAULT_LINGERING,
  proxy: DEFAULT_PROXY_SETTINGS,
};

/** Logs go to stdout unless error_log says otherwise, as twelve-factor services log (nginx: logs/error.log). */
export const DEFAULT_ERROR_LOG = { file: 'stdout', level: 'error' } as const;
