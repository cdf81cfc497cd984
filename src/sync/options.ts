// The sync thread's settings, typed, in milliseconds and bytes. Names follow the
// zone_sync_* directives of the ngx_stream_zone_sync_module reference and so do the defaults;
// the configuration loader maps a parsed `stream { server { zone_sync; … } }` onto this.
// Everything here is plain data: it crosses into the sync thread as workerData.

import { formatSocketAddress } from '../config/address.js';
import type { AccessRule, ListenerSslConfig, ResolverConfig, ZoneSyncSslConfig } from '../config/types.js';

/** nginx's memory page on the platforms zonesync targets (its zone_sync_buffers default is "8 4k|8k"). */
export const PAGE_SIZE_BYTES = 4096;

export interface SyncBuffers {
  /** zone_sync_buffers `number`: buffers per zone filled in one round. */
  count: number;
  /** zone_sync_buffers `size`: one buffer; the largest record that can be sent. */
  sizeBytes: number;
}

/**
 * A zone_sync_server line. A string is an address dialled as written. The object form names
 * the host the address came from (`name`: the default zone_sync_ssl_name) and asks for DNS
 * discovery (`resolve`): the sync thread's Discovery (discovery.ts) turns specs into
 * addresses; the engine alone dials `address` as written and ignores `resolve`.
 */
export type ServerSpec = string | { readonly address: string; readonly resolve?: boolean; readonly name?: string | null };

/** zone_sync_ssl_* (the connections this node dials); `enabled` is implied by the object. */
export type OutgoingTlsOptions = Omit<ZoneSyncSslConfig, 'enabled'>;

/** `listen … ssl` with ssl_* of the zone_sync server. */
export type ListenTlsOptions = ListenerSslConfig;

/** `resolver` of the stream block, for zone_sync_server … resolve. */
export interface ResolverOptions {
  /** DNS servers, "ip:port" or "[v6]:port"; empty: the system's (/etc/resolv.conf). */
  servers: string[];
  /** valid=: re-resolve this often; null: after the records' TTL (MIN_TTL_MS at least). */
  validMs: number | null;
  ipv4: boolean;
  ipv6: boolean;
  /** resolver_timeout */
  timeoutMs: number;
}

/** A `resolver` directive as the resolver's options; null (no directive): the system's name servers. */
export function resolverOptionsOf(resolver: ResolverConfig | null, timeoutMs: number): ResolverOptions {
  return {
    servers: resolver?.servers.map((s) => formatSocketAddress(s)) ?? [],
    validMs: resolver?.validMs ?? null,
    ipv4: resolver?.ipv4 ?? true,
    ipv6: resolver?.ipv6 ?? true,
    timeoutMs,
  };
}

export interface SyncOptions {
  /** `listen`: "host:port", "[v6]:port" or "unix:/path"; null: accept no connections. */
  listen: string | null;
  /** zone_sync_server lines: the addresses to dial (this node's own address may be among them). */
  servers: ServerSpec[];
  /** zone_sync_ssl on: TLS on the connections this node dials; null: plain TCP. */
  tls: OutgoingTlsOptions | null;
  /** `listen … ssl`: TLS on accepted connections; null: plain TCP. */
  listenTls: ListenTlsOptions | null;
  /** allow / deny on the listener (first match wins); empty: everyone. */
  access: AccessRule[];
  /** The stream resolver, for servers with `resolve`; null: none configured. */
  resolver: ResolverOptions | null;
  buffers: SyncBuffers;
  /** zone_sync_connect_retry_interval */
  connectRetryIntervalMs: number;
  /** zone_sync_connect_timeout: dial plus HELLO exchange. */
  connectTimeoutMs: number;
  /** zone_sync_interval: how often output queues are polled (keep-alive follows timeoutMs, not this). */
  intervalMs: number;
  /** zone_sync_recv_buffer_size: the per-connection receive buffer; no frame may be longer. */
  recvBufferSizeBytes: number;
  /** zone_sync_timeout: nothing received, or a write making no progress, this long: close. A third of it is the PING period. */
  timeoutMs: number;
  /**
   * Not an nginx directive: bytes a peer connection may hold unsent before the peer is
   * disconnected as too slow (it catches up by snapshot when it reconnects). Snapshots
   * pause at a quarter of it, so that only regular updates can push a peer over.
   */
  maxPeerBufferedBytes: number;
  /** Not an nginx directive: records per ZoneCursor step (one shard lock) of a snapshot. */
  snapshotStepRecords: number;
  /** Not an nginx directive: how long stop() waits for connections to close cleanly. */
  stopGraceMs: number;
}

export const DEFAULT_BUFFERS: SyncBuffers = { count: 8, sizeBytes: PAGE_SIZE_BYTES };

/** Every setting at the module reference's default; no listener, no servers. */
export function defaultSyncOptions(): SyncOptions {
  return {
    listen: null,
    servers: [],
    tls: null,
    listenTls: null,
    access: [],
    resolver: null,
    buffers: { ...DEFAULT_BUFFERS },
    connectRetryIntervalMs: 1_000,
    connectTimeoutMs: 5_000,
    intervalMs: 1_000,
    // The module reference's text: "equal to zone_sync_buffers size multiplied by number".
    recvBufferSizeBytes: DEFAULT_BUFFERS.count * DEFAULT_BUFFERS.sizeBytes,
    timeoutMs: 5_000,
    maxPeerBufferedBytes: 4 * 1024 * 1024,
    snapshotStepRecords: 1024,
    stopGraceMs: 5_000,
  };
}

export type SyncOptionsInput = Partial<Omit<SyncOptions, 'buffers'>> & { buffers?: Partial<SyncBuffers> };

/**
 * Fills in defaults and checks every bound; throws RangeError naming the directive. When
 * the input sets zone_sync_buffers but not zone_sync_recv_buffer_size, the latter follows.
 */
export function resolveSyncOptions(input: SyncOptionsInput = {}): SyncOptions {
  const d = defaultSyncOptions();
  const buffers: SyncBuffers = { count: input.buffers?.count ?? d.buffers.count, sizeBytes: input.buffers?.sizeBytes ?? d.buffers.sizeBytes };
  const o: SyncOptions = {
    listen: input.listen ?? d.listen,
    servers: [...(input.servers ?? d.servers)],
    tls: input.tls ?? d.tls,
    listenTls: input.listenTls ?? d.listenTls,
    access: [...(input.access ?? d.access)],
    resolver: input.resolver ?? d.resolver,
    buffers,
    connectRetryIntervalMs: input.connectRetryIntervalMs ?? d.connectRetryIntervalMs,
    connectTimeoutMs: input.connectTimeoutMs ?? d.connectTimeoutMs,
    intervalMs: input.intervalMs ?? d.intervalMs,
    recvBufferSizeBytes: input.recvBufferSizeBytes ?? buffers.count * buffers.sizeBytes,
    timeoutMs: input.timeoutMs ?? d.timeoutMs,
    maxPeerBufferedBytes: input.maxPeerBufferedBytes ?? d.maxPeerBufferedBytes,
    snapshotStepRecords: input.snapshotStepRecords ?? d.snapshotStepRecords,
    stopGraceMs: input.stopGraceMs ?? d.stopGraceMs,
  };
  checkInteger(o.buffers.count, 1, 65_536, 'zone_sync_buffers number');
  checkInteger(o.buffers.sizeBytes, 64, 64 * 1024 * 1024, 'zone_sync_buffers size');
  checkInteger(o.connectRetryIntervalMs, 1, 2 ** 31 - 1, 'zone_sync_connect_retry_interval');
  checkInteger(o.connectTimeoutMs, 1, 2 ** 31 - 1, 'zone_sync_connect_timeout');
  checkInteger(o.intervalMs, 1, 2 ** 31 - 1, 'zone_sync_interval');
  checkInteger(o.recvBufferSizeBytes, 64, 2 ** 32 - 1, 'zone_sync_recv_buffer_size');
  checkInteger(o.timeoutMs, 1, 2 ** 31 - 1, 'zone_sync_timeout');
  checkInteger(o.maxPeerBufferedBytes, 4 * o.buffers.sizeBytes, Number.MAX_SAFE_INTEGER, 'maxPeerBufferedBytes');
  checkInteger(o.snapshotStepRecords, 1, 1 << 20, 'snapshotStepRecords');
  checkInteger(o.stopGraceMs, 0, 2 ** 31 - 1, 'stopGraceMs');
  if (o.tls !== null) checkInteger(o.tls.verifyDepth, 0, 100, 'zone_sync_ssl_verify_depth');
  if (o.listenTls !== null) checkInteger(o.listenTls.verifyDepth, 0, 100, 'ssl_verify_depth');
  if (o.resolver !== null) {
    checkInteger(o.resolver.timeoutMs, 1, 2 ** 31 - 1, 'resolver_timeout');
    if (o.resolver.validMs !== null) checkInteger(o.resolver.validMs, 1, 2 ** 31 - 1, 'resolver valid=');
  }
  if (o.recvBufferSizeBytes < o.buffers.sizeBytes) {
    // nginx's rule for zone_sync_recv_buffer_size: at least one zone_sync_buffers buffer.
    throw new RangeError(`zone_sync_recv_buffer_size (${o.recvBufferSizeBytes}) must be at least one zone_sync_buffers size (${o.buffers.sizeBytes})`);
  }
  return o;
}

function checkInteger(value: number, min: number, max: number, what: string): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/** The settings a running engine takes without a restart. */
export type SyncTimings = Pick<SyncOptions, 'intervalMs' | 'timeoutMs' | 'connectRetryIntervalMs' | 'connectTimeoutMs'>;
