// The typed configuration of a zonesync node. The nginx-syntax file is turned into this
// (schema-*.ts), and a service that embeds zonesync can build it in code instead
// (normalizeConfig fills the defaults and runs the same checks).
//
// Units are last in names: sizes in bytes (`sizeBytes`), times in milliseconds (`…Ms`).
// Paths are absolute when they come from a file (relative ones are resolved against the
// configuration prefix, the directory of the top-level file), as written when built in code.
// `source` says where a directive was written; it is absent for objects built in code.

import type { AccessRule as NetAccessRule } from '../net/access.js';
import type { SourceLocation } from './ast.js';
import type { RequestRate } from './units.js';

export type { SourceLocation } from './ast.js';
export type { RequestRate } from './units.js';

export interface ZonesyncConfig {
  /** worker_processes: the number of worker threads; 'auto' means one per CPU. Default 1. */
  readonly workerProcesses: number | 'auto';
  /**
   * worker_shutdown_timeout: how long a graceful stop (QUIT) waits for a worker thread to
   * finish its requests before ending it. Default 10 s (nginx has none and waits).
   */
  readonly workerShutdownTimeoutMs: number;
  readonly errorLog: ErrorLogConfig;
  /** pid FILE; null when not given (zonesync writes no pid file by default). */
  readonly pidFile: string | null;
  /** Every shared zone (keyval_zone, limit_req_zone, sticky learn), in declaration order. */
  readonly zones: readonly ZoneConfig[];
  readonly http: HttpConfig | null;
  readonly stream: StreamConfig | null;
  /** zonesync_state_fsync: when keyval state journals are fsynced. Default interval 1 s. */
  readonly stateFsync: StateFsyncPolicy;
}

/**
 * zonesync_state_fsync off | always | interval=TIME; (main). Every change of a zone with
 * `state=` is written to its journal within a few tens of ms whatever the policy (a process
 * killed then loses nothing older); the policy says when the journal is fsynced, which is
 * what survives a power loss or an OS crash: never (off), after each write (always), or at
 * most TIME after a change (interval).
 */
export type StateFsyncPolicy =
  | { readonly mode: 'off' }
  | { readonly mode: 'always' }
  | { readonly mode: 'interval'; readonly intervalMs: number };

export type LogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit' | 'alert' | 'emerg';

export interface ErrorLogConfig {
  /** A path, "stderr", or "stdout" (the default, where nginx would use logs/error.log). */
  readonly file: string;
  /** Default "error", as nginx. */
  readonly level: LogLevel;
}

// ---------------------------------------------------------------------------------------
// Zones

export type ZoneConfig = KeyvalZoneConfig | LimitReqZoneConfig | StickyZoneConfig | CounterZoneConfig;
export type ZoneKind = ZoneConfig['kind'];

interface ZoneCommon {
  readonly name: string;
  /** At least MIN_ZONE_SIZE_BYTES (8 pages, as nginx). */
  readonly sizeBytes: number;
  /** The "sync" parameter: replicate through zone_sync. */
  readonly sync: boolean;
  readonly source?: SourceLocation;
}

export type KeyvalType = 'string' | 'ip' | 'prefix';

/** keyval_zone zone=NAME:SIZE [state=FILE] [timeout=TIME] [type=…] [sync]; */
export interface KeyvalZoneConfig extends ZoneCommon {
  readonly kind: 'keyval';
  /** Which API tree lists it: /api/9/http/keyvals/ or /api/9/stream/keyvals/. */
  readonly module: 'http' | 'stream';
  readonly stateFile: string | null;
  /** null: records never expire. Required when sync is on. */
  readonly timeoutMs: number | null;
  readonly type: KeyvalType;
}

/** limit_req_zone KEY zone=NAME:SIZE rate=RATE [sync]; (http) */
export interface LimitReqZoneConfig extends ZoneCommon {
  readonly kind: 'limit_req';
  /**
   * The key expression as written, e.g. "$binary_remote_addr"; a file always has one, as
   * nginx requires. null (configured in code): the zone is only taken from code, with the
   * key given to take(), and no location's limit_req may use it.
   */
  readonly key: string | null;
  /** Default 1r/s, as nginx when rate= is omitted. */
  readonly rate: RequestRate;
}

/** zonesync_counter_zone zone=NAME:SIZE [window=TIME] [sync]; (http): a counter per key, summed across the cluster. */
export interface CounterZoneConfig extends ZoneCommon {
  readonly kind: 'counter';
  /** The window of calls that give none; 0: none, counts never lapse. */
  readonly windowMs: number;
}

/** sticky learn create=… lookup=… zone=NAME:SIZE [timeout=TIME] [header] [sync]; (upstream) */
export interface StickyZoneConfig extends ZoneCommon {
  readonly kind: 'sticky';
  /** The upstream block the directive is in. */
  readonly upstream: string;
  /** create= expressions, in order; the first non-empty one makes the session id. */
  readonly create: readonly string[];
  /** lookup= expressions, in order; the first non-empty one finds the session. */
  readonly lookup: readonly string[];
  /** Session lifetime, refreshed by every lookup; default 10m. */
  readonly timeoutMs: number;
  /** Learn from the response headers rather than when the response completes. */
  readonly header: boolean;
}

/** keyval KEY $VARIABLE zone=NAME; */
export interface KeyvalBinding {
  readonly key: string;
  /** With its "$". */
  readonly variable: string;
  readonly zone: string;
  readonly source?: SourceLocation;
}

// ---------------------------------------------------------------------------------------
// Addresses and access

/** host:port; host is a name, an IPv4 address or an IPv6 address without brackets. */
export interface TcpAddress {
  readonly kind: 'tcp';
  readonly host: string;
  readonly port: number;
}

export interface UnixAddress {
  readonly kind: 'unix';
  readonly path: string;
}

export type SocketAddress = TcpAddress | UnixAddress;

/** A listening address; host null means every address ("*:port" or a bare port). */
export type ListenAddress = { readonly kind: 'tcp'; readonly host: string | null; readonly port: number } | UnixAddress;

/** allow / deny (net/access.ts), with where the configuration wrote it. */
export interface AccessRule extends NetAccessRule {
  readonly source?: SourceLocation;
}

// ---------------------------------------------------------------------------------------
// stream { }

export interface StreamConfig {
  readonly keyvals: readonly KeyvalBinding[];
  /** The stream server with zone_sync; null when there is none (zones stay local). */
  readonly sync: ZoneSyncServerConfig | null;
}

export interface ResolverConfig {
  /** DNS servers; port 53 unless written. */
  readonly servers: readonly TcpAddress[];
  /** valid=TIME: re-resolve after this long; null: use each record's TTL. */
  readonly validMs: number | null;
  readonly ipv4: boolean;
  readonly ipv6: boolean;
}

/** The effective settings of the zone_sync server, stream-level values inherited. */
export interface ZoneSyncServerConfig {
  readonly listen: readonly StreamListenConfig[];
  /** zone_sync_server lines, in order; empty for a single node. */
  readonly peers: readonly ZoneSyncPeerConfig[];
  /** zone_sync_buffers NUMBER SIZE; default 8 4k. */
  readonly buffers: { readonly count: number; readonly sizeBytes: number };
  /** zone_sync_connect_retry_interval; default 1s. */
  readonly connectRetryIntervalMs: number;
  /** zone_sync_connect_timeout; default 5s. */
  readonly connectTimeoutMs: number;
  /** zone_sync_interval; default 1s. */
  readonly intervalMs: number;
  /** zone_sync_recv_buffer_size; default count × size of zone_sync_buffers; ≥ one buffer. */
  readonly recvBufferSizeBytes: number;
  /** zone_sync_timeout; default 5s. */
  readonly timeoutMs: number;
  /** zone_sync_ssl_*: TLS of the connections this node dials. */
  readonly ssl: ZoneSyncSslConfig;
  /** ssl_*: TLS of the listener, used by "listen … ssl". */
  readonly listenerSsl: ListenerSslConfig;
  /** allow / deny on the listener. */
  readonly access: readonly AccessRule[];
  /** access_log: where the sessions the listener accepted are logged when they end; none by default. */
  readonly accessLogs: readonly StreamAccessLogConfig[];
  /** error_log of the stream block or server: the sync thread's log lines; null: the main error_log. */
  readonly errorLog: ErrorLogConfig | null;
  /** null: zone_sync_server … resolve asks the system's name servers (/etc/resolv.conf). */
  readonly resolver: ResolverConfig | null;
  /** resolver_timeout; default 30s. */
  readonly resolverTimeoutMs: number;
  readonly source?: SourceLocation;
  /** Where each effective directive was written (the server's, else the stream block's). */
  readonly directiveSources?: Readonly<Record<string, SourceLocation>>;
}

/** log_format escaping of variable values: default (\xXX), json, or none. */
export type LogEscape = 'default' | 'json' | 'none';

/** A piece of a log format: literal text, or a variable's value. */
export type LogFormatPart = { readonly text: string } | { readonly variable: string };

/** log_format NAME [escape=…] STRING…; (stream) */
export interface LogFormatConfig {
  readonly name: string;
  readonly escape: LogEscape;
  readonly parts: readonly LogFormatPart[];
  readonly source?: SourceLocation;
}

/** access_log PATH FORMAT [buffer=SIZE] [flush=TIME]; (stream and its server; http, server, location, limit_except) */
export interface AccessLogConfig {
  readonly path: string;
  readonly format: LogFormatConfig;
  /** buffer=SIZE: lines are kept until this many bytes wait (or flush= passes); null: written at once (each turn of the event loop). */
  readonly bufferBytes?: number | null;
  /** flush=TIME: buffered lines wait at most this long; null: until the buffer is full. */
  readonly flushMs?: number | null;
  readonly source?: SourceLocation;
}

export type StreamAccessLogConfig = AccessLogConfig;

export interface StreamListenConfig {
  readonly address: ListenAddress;
  readonly ssl: boolean;
  /** backlog=N; null: the platform's default. */
  readonly backlog: number | null;
  /** ipv6only=on|off; default on, as nginx. */
  readonly ipv6Only: boolean;
  readonly source?: SourceLocation;
}

export interface ZoneSyncPeerConfig {
  readonly address: SocketAddress;
  /** As written, e.g. "cluster.example.com:12345". */
  readonly text: string;
  /** Re-resolve the name through the stream resolver. */
  readonly resolve: boolean;
  readonly source?: SourceLocation;
}

export type TlsProtocol = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** An ssl_conf_command: an OpenSSL SSL_CONF command; only SUPPORTED_SSL_CONF_COMMANDS. */
export interface SslConfCommand {
  readonly name: string;
  readonly value: string;
}

export interface ZoneSyncSslConfig {
  /** zone_sync_ssl; default off. */
  readonly enabled: boolean;
  readonly certificate: string | null;
  readonly certificateKey: string | null;
  /** OpenSSL cipher list; default "DEFAULT". */
  readonly ciphers: string;
  readonly confCommands: readonly SslConfCommand[];
  readonly crl: string | null;
  /** zone_sync_ssl_name; null: the host of zone_sync_server (the address with resolve). */
  readonly name: string | null;
  readonly passwordFile: string | null;
  /** Default TLSv1.2 TLSv1.3. */
  readonly protocols: readonly TlsProtocol[];
  /** zone_sync_ssl_server_name (SNI); default off. */
  readonly serverName: boolean;
  readonly trustedCertificate: string | null;
  /** Default off. */
  readonly verify: boolean;
  /** Default 1. */
  readonly verifyDepth: number;
}

export type VerifyClient = 'on' | 'off' | 'optional' | 'optional_no_ca';

export interface ListenerSslConfig {
  /** ssl_certificate, repeatable (one per key type); paired with certificateKeys by index. */
  readonly certificates: readonly string[];
  readonly certificateKeys: readonly string[];
  readonly passwordFile: string | null;
  /** Default "HIGH:!aNULL:!MD5", as nginx. */
  readonly ciphers: string;
  readonly confCommands: readonly SslConfCommand[];
  readonly protocols: readonly TlsProtocol[];
  /** Default off. */
  readonly verifyClient: VerifyClient;
  /** Default 1. */
  readonly verifyDepth: number;
  /** CAs to verify clients with, not sent to them. */
  readonly trustedCertificate: string | null;
  /** CAs to verify clients with, also sent to them in the CertificateRequest. */
  readonly clientCertificate: string | null;
  readonly crl: string | null;
  /** ssl_handshake_timeout; default 60s. */
  readonly handshakeTimeoutMs: number;
}

// ---------------------------------------------------------------------------------------
// http { }

export interface HttpConfig {
  readonly keyvals: readonly KeyvalBinding[];
  readonly upstreams: readonly UpstreamConfig[];
  readonly servers: readonly HttpServerConfig[];
  /** resolver of the http block: resolves the host names a proxy_pass with variables evaluates to; null: none (such a request is 502). */
  readonly resolver?: ResolverConfig | null;
  /** resolver_timeout of the http block; default 30s. */
  readonly resolverTimeoutMs?: number;
}

export interface UpstreamConfig {
  readonly name: string;
  readonly servers: readonly UpstreamServerConfig[];
  /** zone NAME [SIZE]; the upstream's own state zone, not synced. */
  readonly zone: { readonly name: string; readonly sizeBytes: number | null } | null;
  /** The name of the sticky learn zone of this upstream, if any (see zones). */
  readonly stickyZone: string | null;
  /**
   * keepalive N: connections to the servers are kept open between requests and reused;
   * null: a connection per request ("Connection: close"), as nginx without it.
   */
  readonly keepalive: number | null;
  /** keepalive_timeout; default 60s. */
  readonly keepaliveTimeoutMs: number;
  /** keepalive_requests; default 1000. */
  readonly keepaliveRequests: number;
  readonly source?: SourceLocation;
}

export interface UpstreamServerConfig {
  readonly address: SocketAddress;
  /** As written, e.g. "backend1.example.com:8080"; also the server's name in sticky records. */
  readonly text: string;
  /** Default 1. */
  readonly weight: number;
  /** 0: unlimited. */
  readonly maxConns: number;
  /** Default 1. */
  readonly maxFails: number;
  /** Default 10s. */
  readonly failTimeoutMs: number;
  readonly backup: boolean;
  readonly down: boolean;
  readonly resolve: boolean;
  readonly route: string | null;
  readonly source?: SourceLocation;
}

/** How a request is handled where these apply: effective values, inherited as nginx does. */
export interface HttpRequestSettings {
  readonly access: readonly AccessRule[];
  /** auth_basic realm; null when off (the default). */
  readonly authBasic: string | null;
  readonly authBasicUserFile: string | null;
  readonly limitReqs: readonly LimitReqConfig[];
  /** limit_req_status; default 503. */
  readonly limitReqStatus: number;
  /**
   * zonesync_handler FILE: the module whose default export handles requests here, run on
   * the worker pool. null: none configured; the runtime uses its built-in handler.
   */
  readonly handler: string | null;
  /** Where the zonesync_handler in force was written, for the error when its file cannot be read. */
  readonly handlerSource?: SourceLocation;
  /** limit_req_dry_run; default off: requests are accounted but never refused nor delayed. */
  readonly limitReqDryRun: boolean;
  /** limit_req_log_level; default error (delays are logged one level lower). */
  readonly limitReqLogLevel: LimitReqLogLevel;
  /** client_max_body_size for proxied requests; 0: no limit; default 1m. */
  readonly clientMaxBodySizeBytes: number;
  /**
   * add_header NAME VALUE [always], in order: fields added to the answers of 200, 201, 204,
   * 206, 301, 302, 303, 304, 307 and 308 (of any status with `always`). Inherited from the
   * level above only when none is written at this level, as nginx does. VALUE may hold variables.
   */
  readonly addHeaders: readonly AddHeaderConfig[];
  /** server_tokens: the version in the Server field of answers (on, the default) or not (off). */
  readonly serverTokens: boolean;
  /**
   * access_log: where a line per answered request goes; inherited from the level above only
   * when none is written at this level, as nginx does; `access_log off` makes it empty.
   * None by default (nginx: logs/access.log).
   */
  readonly accessLogs: readonly AccessLogConfig[];
  /**
   * keepalive_timeout T: how long a client connection whose answer kept it open waits idle
   * for its next request; 0: no answer keeps it open (Connection: close). Default 75s.
   */
  readonly keepaliveTimeoutMs: number;
  /**
   * keepalive_timeout's second parameter: answers that keep the connection say
   * `Keep-Alive: timeout=` this in whole seconds; null (the default): no Keep-Alive field.
   */
  readonly keepaliveHeaderTimeoutMs: number | null;
  /** keepalive_requests N: the Nth request of a client connection is its last. Default 1000. */
  readonly keepaliveRequests: number;
  /**
   * lingering_close: when an answer closes its connection, whether what the client still
   * sends is read and dropped for a while first (a FIN, not a reset, reaches the client):
   * `on` (the default) when the request's body was not all read, `always` after every
   * such answer, `off` never.
   */
  readonly lingeringClose: LingeringClose;
  /** lingering_time T: the longest a lingering close reads in all. Default 30s. */
  readonly lingeringTimeMs: number;
  /** lingering_timeout T: a lingering close ends once the client has sent nothing this long. Default 5s. */
  readonly lingeringTimeoutMs: number;
  /** The proxy_* settings of a location with proxy_pass. */
  readonly proxy: ProxySettings;
}

export type LimitReqLogLevel = 'info' | 'notice' | 'warn' | 'error';

export type LingeringClose = 'off' | 'on' | 'always';

/** A proxy_next_upstream condition. */
export type NextUpstreamCondition =
  | 'error' | 'timeout' | 'invalid_header' | 'http_500' | 'http_502' | 'http_503' | 'http_504'
  | 'http_403' | 'http_404' | 'http_429' | 'non_idempotent';

export interface ProxySettings {
  /**
   * proxy_set_header FIELD VALUE, in order; inherited from the level above only when none is
   * written at this level, as nginx does. A VALUE may hold variables; "" removes the field.
   */
  readonly setHeaders: readonly ProxySetHeader[];
  /** proxy_hide_header FIELD: fields of the upstream's answer not passed, besides nginx's defaults; inherited as setHeaders. */
  readonly hideHeaders: readonly string[];
  /** proxy_pass_header FIELD: fields nginx hides by default (Date, Server, X-Pad, X-Accel-*) passed after all; inherited as setHeaders. */
  readonly passHeaders: readonly string[];
  /** proxy_connect_timeout; default 60s. */
  readonly connectTimeoutMs: number;
  /** proxy_read_timeout: between two reads of the upstream's answer, and the most an upgraded connection stays idle; default 60s. */
  readonly readTimeoutMs: number;
  /** proxy_send_timeout: the most the upstream may leave the request body unread; default 60s. */
  readonly sendTimeoutMs: number;
  /** proxy_next_upstream; default error timeout; [] for off. */
  readonly nextUpstream: readonly NextUpstreamCondition[];
  /** proxy_next_upstream_tries; 0 (default): no limit but the number of servers. */
  readonly nextUpstreamTries: number;
  /** proxy_next_upstream_timeout; 0 (default): no limit. */
  readonly nextUpstreamTimeoutMs: number;
  /** proxy_ssl_*: TLS to the servers of a proxy_pass https://, each directive inherited on its own. */
  readonly ssl: ProxySslConfig;
}

/**
 * proxy_ssl_* with nginx's defaults: no verification (proxy_ssl_verify off), no SNI
 * (proxy_ssl_server_name off), the name checked and sent the proxy_pass host
 * (proxy_ssl_name $proxy_host, its port left out), sessions reused.
 */
export interface ProxySslConfig extends Omit<ZoneSyncSslConfig, 'enabled'> {
  /** proxy_ssl_session_reuse; default on: a connection resumes the last session of its server. */
  readonly sessionReuse: boolean;
  /** Where each proxy_ssl_* directive in force was written, for the errors found when its files are read. */
  readonly sources?: Readonly<Record<string, SourceLocation>>;
}

export interface AddHeaderConfig {
  readonly name: string;
  readonly value: string;
  readonly always: boolean;
}

export interface ProxySetHeader {
  readonly name: string;
  readonly value: string;
}

/** proxy_pass http[s]://HOST[:PORT][URI]; HOST names an upstream block or a server. */
export interface ProxyPassConfig {
  /** As written. */
  readonly url: string;
  /** Default http. */
  readonly scheme?: 'http' | 'https';
  /**
   * The URL holds variables: what follows the scheme is evaluated per request (nginx), and
   * host, port and uri are those of the text as written (unused).
   */
  readonly variables?: boolean;
  /** The host as written: an upstream's name, a host name or an address. */
  readonly host: string;
  /** The port written; null when none (80 for a server, none for an upstream). */
  readonly port: number | null;
  /** The URI part, which replaces the part of the request URI the location matched; null when none. */
  readonly uri: string | null;
}

/** return CODE [TEXT | URL]; return URL; */
export interface ReturnConfig {
  readonly status: number;
  /** The text (or, for 301, 302, 303, 307 and 308, the Location); variables allowed; null when none. */
  readonly text: string | null;
}

/** limit_req zone=NAME [burst=N] [nodelay | delay=N]; */
export interface LimitReqConfig {
  readonly zone: string;
  /** Requests allowed above the rate; default 0. */
  readonly burst: number;
  /** Excess requests served without delay; Infinity with nodelay; default 0. */
  readonly delay: number;
  readonly source?: SourceLocation;
}

export interface HttpListenConfig {
  readonly address: ListenAddress;
  readonly defaultServer: boolean;
  readonly backlog: number | null;
  readonly ipv6Only: boolean;
  readonly source?: SourceLocation;
}

export interface HttpServerConfig {
  /** Default: *:80 when run as root, else *:8000, as nginx. */
  readonly listen: readonly HttpListenConfig[];
  readonly serverNames: readonly string[];
  /** For requests that match no location. */
  readonly settings: HttpRequestSettings;
  /** return at the server level: answers every request before a location is chosen, as nginx's rewrite phase. */
  readonly return: ReturnConfig | null;
  readonly locations: readonly HttpLocationConfig[];
  readonly source?: SourceLocation;
}

/** location [ = | ^~ | ~ | ~* ] URI { … } */
export type LocationModifier = 'prefix' | 'exact' | 'prefix-no-regex' | 'regex' | 'regex-case-insensitive';

export interface HttpLocationConfig {
  readonly modifier: LocationModifier;
  readonly pattern: string;
  readonly settings: HttpRequestSettings;
  /** api [write=on|off]; null: not an API location. */
  readonly api: { readonly write: boolean } | null;
  /**
   * zonesync_health live|ready: the location answers every request with the node's
   * liveness or readiness; null: it does not. Not inherited by nested locations.
   */
  readonly health: HealthProbe | null;
  /** zonesync_metrics: the location answers every request with the Prometheus metrics. */
  readonly metrics: boolean;
  /**
   * zonesync_dashboard [api=URI]: the location answers every request with the live dashboard
   * page, which reads the API under `api` (default `/api/`) from the browser; null: it does not.
   */
  readonly dashboard: DashboardConfig | null;
  /** proxy_pass: the location's requests go to an upstream group or a server; null: not a proxy location. */
  readonly proxyPass: ProxyPassConfig | null;
  /** return: answered before limit_req and the access rules, as nginx's rewrite phase runs first. */
  readonly return: ReturnConfig | null;
  readonly limitExcept: LimitExceptConfig | null;
  readonly locations: readonly HttpLocationConfig[];
  readonly source?: SourceLocation;
}

/** zonesync_dashboard: where the page finds the API, a path on the same host. */
export interface DashboardConfig {
  readonly api: string;
}

/** What a `zonesync_health` location reports: the process serves (live), or the node is ready (ready). */
export type HealthProbe = 'live' | 'ready';

export type HttpMethod =
  | 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'MKCOL' | 'COPY' | 'MOVE' | 'OPTIONS'
  | 'PROPFIND' | 'PROPPATCH' | 'LOCK' | 'UNLOCK' | 'PATCH';

/** limit_except METHOD… { … }: settings for every method NOT listed. */
export interface LimitExceptConfig {
  /** The methods listed, HEAD added when GET is (as nginx). */
  readonly methods: readonly HttpMethod[];
  /** Access and auth_basic for the other methods, inherited from the location. */
  readonly settings: HttpRequestSettings;
  readonly source?: SourceLocation;
}
