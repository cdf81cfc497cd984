// The checks that span directives: zones declared once and big enough, zones used where they
// are declared, sync settings consistent with each other, TLS files present where TLS is on.
// The same checks apply to a configuration read from a file and to one built in code; the
// errors carry the file and line when the objects have a source.

import type { SourceLocation } from './ast.js';
import { MIN_ZONE_SIZE_BYTES, SUPPORTED_SSL_CONF_COMMANDS } from './defaults.js';
import { ConfigError } from './errors.js';
import type {
  HttpLocationConfig, HttpRequestSettings, KeyvalBinding, StateFsyncPolicy, ZoneConfig, ZoneKind, ZoneSyncServerConfig, ZonesyncConfig,
} from './types.js';
import { MAX_RATE_MILLI_PER_SECOND, formatSize } from './units.js';

const DECLARING_DIRECTIVE: Readonly<Record<ZoneKind | 'upstream', string>> = {
  keyval: 'keyval_zone', limit_req: 'limit_req_zone', sticky: 'sticky', counter: 'zonesync_counter_zone', upstream: 'zone',
};

/** Throws the first ConfigError found, in configuration order. */
export function validateConfig(config: ZonesyncConfig): void {
  checkWorkerProcesses(config.workerProcesses);
  checkStateFsync(config.stateFsync);
  checkShutdownTimeout(config.workerShutdownTimeoutMs);
  checkZones(config);
  const zones = new Map(config.zones.map((zone) => [zone.name, zone]));
  for (const binding of config.http?.keyvals ?? []) checkKeyvalBinding(binding, 'http', zones);
  for (const binding of config.stream?.keyvals ?? []) checkKeyvalBinding(binding, 'stream', zones);
  const upstreams = new Set((config.http?.upstreams ?? []).map((u) => u.name));
  for (const server of config.http?.servers ?? []) {
    checkRequestSettings(server.settings, zones);
    forEachLocation(server.locations, (location) => {
      checkLocationContent(location);
      if (location.proxyPass !== null) checkProxyPass(location, upstreams);
      if (location.dashboard !== null) checkDashboardApi(location);
      checkRequestSettings(location.settings, zones);
      if (location.limitExcept !== null) checkRequestSettings(location.limitExcept.settings, zones);
    });
  }
  if (config.stream?.sync) checkSyncServer(config.stream.sync);
}

function checkShutdownTimeout(valueMs: number): void {
  if (!(Number.isFinite(valueMs) && valueMs >= 0)) {
    throw new ConfigError(`invalid value "${valueMs}" of "worker_shutdown_timeout", it must be a time of 0 or more milliseconds`);
  }
}

function checkWorkerProcesses(value: number | 'auto'): void {
  if (value !== 'auto' && !(Number.isSafeInteger(value) && value > 0)) {
    throw new ConfigError(`invalid value "${value}" of "worker_processes", it must be "auto" or a number greater than 0`);
  }
}

function checkStateFsync(policy: StateFsyncPolicy): void {
  const ok = policy.mode === 'off' || policy.mode === 'always'
    || (policy.mode === 'interval' && Number.isSafeInteger(policy.intervalMs) && policy.intervalMs > 0);
  if (!ok) throw new ConfigError(`invalid "zonesync_state_fsync": ${JSON.stringify(policy)}, it must be off, always or an interval greater than 0 ms`);
}

function checkZones(config: ZonesyncConfig): void {
  const declared = new Map<string, { kind: ZoneKind | 'upstream'; source: SourceLocation | undefined }>();
  const declare = (name: string, kind: ZoneKind | 'upstream', source: SourceLocation | undefined): void => {
    const previous = declared.get(name);
    if (previous !== undefined) {
      const reason = previous.kind === kind
        ? `duplicate zone "${name}"`
        : `zone "${name}" is already declared by "${DECLARING_DIRECTIVE[previous.kind]}" for a different use`;
      throw new ConfigError(reason, source);
    }
    declared.set(name, { kind, source });
  };
  const stateFiles = new Map<string, string>();
  for (const zone of config.zones) {
    checkZone(zone);
    declare(zone.name, zone.kind, zone.source);
    if (zone.kind === 'keyval' && zone.stateFile !== null) {
      const other = stateFiles.get(zone.stateFile);
      if (other !== undefined) throw new ConfigError(`zones "${other}" and "${zone.name}" have the same state file "${zone.stateFile}"`, zone.source);
      stateFiles.set(zone.stateFile, zone.name);
    }
  }
  for (const upstream of config.http?.upstreams ?? []) {
    if (upstream.zone !== null) declare(upstream.zone.name, 'upstream', upstream.source);
  }
}

function checkZone(zone: ZoneConfig): void {
  const where = zone.source;
  if (zone.name === '') throw new ConfigError('a zone must have a name', where);
  if (!Number.isSafeInteger(zone.sizeBytes) || zone.sizeBytes < MIN_ZONE_SIZE_BYTES) {
    throw new ConfigError(`zone "${zone.name}" is too small (${zone.sizeBytes} bytes; at least ${formatSize(MIN_ZONE_SIZE_BYTES)})`, where);
  }
  if (zone.kind === 'keyval') {
    if (zone.sync && zone.timeoutMs === null) {
      throw new ConfigError(`"keyval_zone" must have "timeout" parameter for "sync" (zone "${zone.name}")`, where);
    }
    if (zone.timeoutMs !== null) checkPositiveMs(zone.timeoutMs, `"timeout" of zone "${zone.name}"`, where);
  } else if (zone.kind === 'limit_req') {
    const milli = zone.rate.milliRequestsPerSecond;
    if (!(milli > 0 && milli <= MAX_RATE_MILLI_PER_SECOND)) throw new ConfigError(`invalid rate of zone "${zone.name}"`, where);
  } else if (zone.kind === 'counter') {
    if (!Number.isSafeInteger(zone.windowMs) || zone.windowMs < 0 || zone.windowMs > 2 ** 40) {
      throw new ConfigError(`"window" of zone "${zone.name}" must be a whole number of ms from 0 (none) to 2^40`, where);
    }
  } else {
    checkPositiveMs(zone.timeoutMs, `"timeout" of zone "${zone.name}"`, where);
    if (zone.create.length === 0 || zone.lookup.length === 0) {
      throw new ConfigError(`"sticky learn" of zone "${zone.name}" must have "create" and "lookup" parameters`, where);
    }
  }
}

function checkKeyvalBinding(binding: KeyvalBinding, module: 'http' | 'stream', zones: ReadonlyMap<string, ZoneConfig>): void {
  const zone = zones.get(binding.zone);
  if (zone === undefined) throw new ConfigError(`zone "${binding.zone}" is unknown in "keyval" directive`, binding.source);
  if (zone.kind !== 'keyval' || zone.module !== module) {
    throw new ConfigError(`zone "${binding.zone}" is not a ${module} "keyval_zone" in "keyval" directive`, binding.source);
  }
}

function checkRequestSettings(settings: HttpRequestSettings, zones: ReadonlyMap<string, ZoneConfig>): void {
  for (const limit of settings.limitReqs) {
    const zone = zones.get(limit.zone);
    if (zone === undefined) throw new ConfigError(`zone "${limit.zone}" is unknown in "limit_req" directive`, limit.source);
    if (zone.kind !== 'limit_req') {
      throw new ConfigError(`zone "${limit.zone}" is not a "limit_req_zone" in "limit_req" directive`, limit.source);
    }
    if (zone.key === null) {
      throw new ConfigError(`zone "${limit.zone}" has no "key" in "limit_req" directive: a location limits requests by the zone's key expression (as "$binary_remote_addr"); give the zone one, or call take() from code only`, limit.source);
    }
  }
}

/* A location has one content handler, as in nginx; zonesync refuses a second instead of picking one. */
function checkLocationContent(location: HttpLocationConfig): void {
  const written = [
    location.api !== null ? 'api' : null,
    location.health !== null ? 'zonesync_health' : null,
    location.metrics ? 'zonesync_metrics' : null,
    location.dashboard !== null ? 'zonesync_dashboard' : null,
    location.proxyPass !== null ? 'proxy_pass' : null,
  ].filter((name) => name !== null);
  if (written.length > 1) {
    throw new ConfigError(`"${written[0]}" and "${written[1]}" cannot both be in location "${location.pattern}"`, location.source);
  }
}

/* A proxy_pass host that names an upstream block goes to that group, whose servers have their own ports (nginx). */
function checkProxyPass(location: HttpLocationConfig, upstreams: ReadonlySet<string>): void {
  const target = location.proxyPass!;
  if (target.variables === true) return; // its host is known per request
  if (upstreams.has(target.host) && target.port !== null) {
    throw new ConfigError(`upstream "${target.host}" may not have port ${target.port} in "proxy_pass" of location "${location.pattern}"`, location.source);
  }
}

/*
 * The page fetches the API from the browser at this path of its own host: an absolute path,
 * never "//host" (another origin), with no query, fragment, space, quote or angle bracket.
 */
const DASHBOARD_API_PATH = /^\/(?!\/)[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

function checkDashboardApi(location: HttpLocationConfig): void {
  const api = location.dashboard!.api;
  if (!DASHBOARD_API_PATH.test(api)) {
    throw new ConfigError(`invalid "api" parameter "${api}" in "zonesync_dashboard" directive, it must be a path on this host, such as "/api/"`, location.source);
  }
}

/** Calls `visit` for every location of `locations`, nested ones after their parent. */
export function forEachLocation(locations: readonly HttpLocationConfig[], visit: (location: HttpLocationConfig) => void): void {
  for (const location of locations) {
    visit(location);
    forEachLocation(location.locations, visit);
  }
}

function checkSyncServer(sync: ZoneSyncServerConfig): void {
  const at = (...directives: string[]): SourceLocation | undefined =>
    directives.map((name) => sync.directiveSources?.[name]).find((s) => s !== undefined) ?? sync.source;
  if (sync.listen.length === 0) throw new ConfigError('no "listen" is defined for the zone_sync server', sync.source);
  const { count, sizeBytes } = sync.buffers;
  if (!(Number.isSafeInteger(count) && count > 0 && Number.isSafeInteger(sizeBytes) && sizeBytes > 0)) {
    throw new ConfigError(`invalid "zone_sync_buffers" ${count} ${sizeBytes}, both must be greater than 0`, at('zone_sync_buffers'));
  }
  if (!(sync.recvBufferSizeBytes >= sizeBytes)) {
    throw new ConfigError(
      `"zone_sync_recv_buffer_size" ${formatSize(sync.recvBufferSizeBytes)} is less than the "zone_sync_buffers" size ${formatSize(sizeBytes)}`,
      at('zone_sync_recv_buffer_size', 'zone_sync_buffers'),
    );
  }
  checkPositiveMs(sync.intervalMs, '"zone_sync_interval"', at('zone_sync_interval'));
  checkPositiveMs(sync.timeoutMs, '"zone_sync_timeout"', at('zone_sync_timeout'));
  checkPositiveMs(sync.connectTimeoutMs, '"zone_sync_connect_timeout"', at('zone_sync_connect_timeout'));
  checkPositiveMs(sync.connectRetryIntervalMs, '"zone_sync_connect_retry_interval"', at('zone_sync_connect_retry_interval'));
  checkPeers(sync);
  checkOutgoingTls(sync, at);
  checkListenerTls(sync, at);
}

function checkPeers(sync: ZoneSyncServerConfig): void {
  const seen = new Set<string>();
  for (const peer of sync.peers) {
    if (seen.has(peer.text)) throw new ConfigError(`duplicate "zone_sync_server" "${peer.text}"`, peer.source);
    seen.add(peer.text);
  }
}

type Locate = (...directives: string[]) => SourceLocation | undefined;

function checkOutgoingTls(sync: ZoneSyncServerConfig, at: Locate): void {
  const ssl = sync.ssl;
  checkProtocolsAndCommands(ssl.protocols, ssl.confCommands, 'zone_sync_ssl', at);
  if (ssl.certificate !== null && ssl.certificateKey === null) {
    throw new ConfigError(`no "zone_sync_ssl_certificate_key" is defined for certificate "${ssl.certificate}"`, at('zone_sync_ssl_certificate'));
  }
  if (ssl.enabled && ssl.verify && ssl.trustedCertificate === null) {
    throw new ConfigError('no "zone_sync_ssl_trusted_certificate" is defined for "zone_sync_ssl_verify"', at('zone_sync_ssl_verify'));
  }
}

function checkListenerTls(sync: ZoneSyncServerConfig, at: Locate): void {
  const ssl = sync.listenerSsl;
  checkProtocolsAndCommands(ssl.protocols, ssl.confCommands, 'ssl', at);
  const sslListen = sync.listen.find((listen) => listen.ssl);
  if (sslListen === undefined) return;
  if (ssl.certificates.length === 0) {
    throw new ConfigError('no "ssl_certificate" is defined for the "listen ... ssl" directive', sslListen.source ?? sync.source);
  }
  const keyless = ssl.certificates[ssl.certificateKeys.length];
  if (keyless !== undefined) {
    throw new ConfigError(`no "ssl_certificate_key" is defined for certificate "${keyless}"`, at('ssl_certificate'));
  }
  const verifies = ssl.verifyClient === 'on' || ssl.verifyClient === 'optional';
  if (verifies && ssl.trustedCertificate === null && ssl.clientCertificate === null) {
    throw new ConfigError('no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client', at('ssl_verify_client'));
  }
}

function checkProtocolsAndCommands(
  protocols: readonly string[], commands: readonly { name: string }[], prefix: string, at: Locate,
): void {
  if (protocols.length === 0) throw new ConfigError(`"${prefix}_protocols" must name at least one protocol`, at(`${prefix}_protocols`));
  for (const protocol of protocols) {
    if (!['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'].includes(protocol)) {
      throw new ConfigError(`protocol "${protocol}" in "${prefix}_protocols" is not supported`, at(`${prefix}_protocols`));
    }
  }
  for (const command of commands) {
    if (!SUPPORTED_SSL_CONF_COMMANDS.includes(command.name)) {
      throw new ConfigError(`unsupported command "${command.name}" in "${prefix}_conf_command"`, at(`${prefix}_conf_command`));
    }
  }
}

function checkPositiveMs(value: number, what: string, where: SourceLocation | undefined): void {
  if (!(Number.isSafeInteger(value) && value > 0)) throw new ConfigError(`${what} must be greater than 0, got ${value}`, where);
}
