// /metrics: Prometheus text exposition (prom-client) of every zone's counters and of the
// zone_sync counters. Each Metrics has its own Registry, never prom-client's global one, so
// that several nodes (or tests) in one process do not mix; registerIn adds the same metrics
// to an embedding service's registry too. A scrape of either registry reads every zone's
// stats() once and the sync status once (the metrics' collect functions share one read),
// then renders.
//
//   zonesync_zone_records{zone}                 records in the zone (gauge)
//   zonesync_zone_records_pending{zone}         records waiting for the sync thread (gauge)
//   zonesync_zone_size_bytes{zone}, zonesync_zone_bytes_free{zone}            (gauges)
//   zonesync_zone_evictions_total{zone}         LRU evictions to make room (counter)
//   zonesync_zone_alloc_failures_total{zone}    writes that found no room (counter)
//   zonesync_zone_expired_total{zone}           records dropped on expiry (counter)
//   zonesync_zone_lock_waits_total{zone}        lock acquisitions that had to wait (counter)
//   zonesync_zone_resets_total{zone}            shards reset after a thread died (counter)
//   zonesync_sync_bytes_in_total, …_bytes_out_total, …_msgs_in_total, …_msgs_out_total
//   zonesync_sync_nodes_online                  (gauge)
//   zonesync_sync_zone_records{zone}, zonesync_sync_zone_records_pending{zone}
//                                               records_total and records_pending of
//                                               /api/9/stream/zone_sync (gauges)
//   zonesync_sync_status_up                     1 when the last scrape read the sync status,
//                                               0 when the provider failed; the sync samples
//                                               then keep their last values, so that the
//                                               counters never seem to reset

import type { ZoneStats } from 'native-free-shm';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { readOnly, type RouteHandler } from './health.js';
import type { RequestGuard } from './request-guard.js';
import { sendText } from './respond.js';
import type { ZoneSyncStatus, ZoneSyncStatusProvider } from './zone-sync.js';

/** A zone whose counters are exposed: any zonesync zone (keyval, limit_req, sticky). */
export interface StatsSource {
  readonly name: string;
  stats(): ZoneStats;
}

export interface MetricsOptions {
  readonly zones: readonly StatsSource[];
  readonly syncStatus?: ZoneSyncStatusProvider;
  /** Also prom-client's process and Node.js metrics (process_cpu_…, nodejs_heap_…); default off. */
  readonly processMetrics?: boolean;
  readonly guard?: RequestGuard;
}

export interface Metrics {
  /** zonesync's own registry: every metric above, and nothing else. */
  readonly registry: Registry;
  /** The exposition text, freshly collected. */
  scrape(): Promise<string>;
  /**
   * Registers every metric above in another prom-client registry as well (an embedding
   * service's, whose /metrics then shows them); each scrape of it reads them fresh.
   */
  registerIn(registry: Pick<Registry, 'registerMetric'>): void;
  /** GET /metrics. */
  readonly handler: RouteHandler;
}

interface Snapshot {
  zones: { name: string; stats: ZoneStats }[];
  /** The last sync status read; null before the first. */
  sync: ZoneSyncStatus | null;
  syncUp: boolean;
}

type ZoneField = 'records' | 'tombstones' | 'pending' | 'sizeBytes' | 'bytesFree' | 'evictions' | 'allocFailures' | 'expired' | 'lockWaits' | 'resets';
type SyncField = 'bytes_in' | 'bytes_out' | 'msgs_in' | 'msgs_out';

const ZONE_GAUGES: readonly [string, ZoneField, string][] = [
  ['zonesync_zone_records', 'records', 'Records in the zone, tombstones included.'],
  ['zonesync_zone_tombstones', 'tombstones', 'Deleted keys the zone keeps (for the zone\'s timeout) so that the delete holds in the cluster.'],
  ['zonesync_zone_records_pending', 'pending', 'Records of the zone waiting to be sent to the cluster.'],
  ['zonesync_zone_size_bytes', 'sizeBytes', 'Size of the zone.'],
  ['zonesync_zone_bytes_free', 'bytesFree', 'Bytes of the zone not holding any record.'],
];

const ZONE_COUNTERS: readonly [string, ZoneField, string][] = [
  ['zonesync_zone_evictions_total', 'evictions', 'Least recently used records evicted to make room.'],
  ['zonesync_zone_alloc_failures_total', 'allocFailures', 'Writes that found no room even after eviction.'],
  ['zonesync_zone_expired_total', 'expired', 'Records removed because they expired.'],
  ['zonesync_zone_lock_waits_total', 'lockWaits', 'Zone lock acquisitions that had to wait.'],
  ['zonesync_zone_resets_total', 'resets', 'Shards emptied because a thread died while changing them.'],
];

const SYNC_COUNTERS: readonly [string, SyncField, string][] = [
  ['zonesync_sync_bytes_in_total', 'bytes_in', 'Bytes received from the cluster.'],
  ['zonesync_sync_bytes_out_total', 'bytes_out', 'Bytes sent to the cluster.'],
  ['zonesync_sync_msgs_in_total', 'msgs_in', 'Messages received from the cluster.'],
  ['zonesync_sync_msgs_out_total', 'msgs_out', 'Messages sent to the cluster.'],
];

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const snapshot: Snapshot = { zones: [], sync: null, syncUp: false };
  const registers = [registry];
  const refresh = sharedRefresh(async () => {
    snapshot.zones = options.zones.map((z) => ({ name: z.name, stats: z.stats() }));
    if (options.syncStatus !== undefined) {
      try {
        snapshot.sync = await options.syncStatus();
        snapshot.syncUp = true;
      } catch {
        snapshot.syncUp = false; // the zone metrics are still worth a scrape
      }
    }
  });

  for (const [name, field, help] of ZONE_GAUGES) {
    const gauge: Gauge<'zone'> = new Gauge({
      name, help, labelNames: ['zone'], registers,
      collect: async () => {
        await refresh();
        gauge.reset();
        for (const z of snapshot.zones) gauge.set({ zone: z.name }, z.stats[field] as number);
      },
    });
  }
  for (const [name, field, help] of ZONE_COUNTERS) {
    const counter: Counter<'zone'> = new Counter({
      name, help, labelNames: ['zone'], registers,
      collect: async () => {
        await refresh();
        counter.reset();
        for (const z of snapshot.zones) counter.inc({ zone: z.name }, z.stats[field] as number);
      },
    });
  }
  if (options.syncStatus !== undefined) registerSyncMetrics(registers, snapshot, refresh);
  const own = registry.getMetricsAsArray().map((m) => registry.getSingleMetric(m.name)!);
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });

  const scrape = (): Promise<string> => registry.metrics();
  const registerIn = (other: Pick<Registry, 'registerMetric'>): void => {
    for (const metric of own) other.registerMetric(metric);
  };
  const handler = readOnly(options.guard, async (_req, res) => {
    sendText(res, 200, registry.contentType, await scrape());
  });
  return { registry, scrape, registerIn, handler };
}

/**
 * One read for all the metrics of a scrape: prom-client calls every metric's collect at
 * once, and those that start while a read is in flight share it; the next scrape reads anew.
 */
function sharedRefresh(read: () => Promise<void>): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  return () => {
    inFlight ??= read().finally(() => { inFlight = null; });
    return inFlight;
  };
}

function registerSyncMetrics(registers: Registry[], snapshot: Snapshot, refresh: () => Promise<void>): void {
  for (const [name, field, help] of SYNC_COUNTERS) {
    const counter: Counter = new Counter({
      name, help, registers,
      collect: async () => {
        await refresh();
        counter.reset();
        if (snapshot.sync !== null) counter.inc(snapshot.sync.status[field]);
      },
    });
  }
  const up: Gauge = new Gauge({
    name: 'zonesync_sync_status_up', help: 'Whether the last scrape could read the sync status.', registers,
    collect: async () => {
      await refresh();
      up.set(snapshot.syncUp ? 1 : 0);
    },
  });
  const online: Gauge = new Gauge({
    name: 'zonesync_sync_nodes_online', help: 'Peers this node has an open sync connection with.', registers,
    collect: async () => {
      await refresh();
      online.reset();
      if (snapshot.sync !== null) online.set(snapshot.sync.status.nodes_online);
    },
  });
  const perZone = (name: string, help: string, pick: (z: { records_total: number; records_pending: number }) => number): void => {
    const gauge: Gauge<'zone'> = new Gauge({
      name, help, labelNames: ['zone'], registers,
      collect: async () => {
        await refresh();
        gauge.reset();
        if (snapshot.sync === null) return;
        for (const [zone, z] of Object.entries(snapshot.sync.zones)) gauge.set({ zone }, pick(z));
      },
    });
  };
  perZone('zonesync_sync_zone_records', 'records_total of the zone: its live records.', (z) => z.records_total);
  perZone('zonesync_sync_zone_records_pending', 'records_pending of the zone: records waiting to be sent.', (z) => z.records_pending);
  for (const [field, help] of SYNC_EXTRA_COUNTERS) {
    const counter: Counter = new Counter({
      name: `zonesync_sync_${field}_total`, help, registers,
      collect: async () => {
        await refresh();
        counter.reset();
        const value = snapshot.sync?.counters?.[field];
        if (value !== undefined) counter.inc(value);
      },
    });
  }
}

/** The sync engine's own counters (docs/PROTOCOL.md names them), each zonesync_sync_NAME_total. */
const SYNC_EXTRA_COUNTERS: readonly [string, string][] = [
  ['records_in', 'Records received from peers.'],
  ['records_out', 'Records sent to peers in rounds.'],
  ['records_applied', 'Received records that were stored (newer than the local version).'],
  ['records_ignored', 'Received records not newer than the local version.'],
  ['records_skipped', 'Received records expired on arrival or larger than the zone can hold.'],
  ['records_invalid', 'Received records no local write could have made (empty key, malformed address, lifetime past the zone\'s).'],
  ['records_future', 'Received records stamped beyond the clock guard ahead of the wall clock.'],
  ['apply_no_memory', 'Received records the zone had no room for.'],
  ['records_too_large', 'Local records larger than one zone_sync_buffers buffer, never sent.'],
  ['frames_unknown', 'Well-formed frames of a zone, module or control type unknown here, skipped.'],
  ['malformed', 'Connections closed for a malformed frame.'],
  ['protocol_errors', 'Connections closed for breaking the protocol\'s order.'],
  ['closed_idle', 'Connections closed because nothing arrived for zone_sync_timeout.'],
  ['closed_slow', 'Connections closed because the peer did not read.'],
  ['connect_failures', 'Outbound connection attempts that failed.'],
  ['connects', 'Outbound connections that completed the HELLO exchange.'],
  ['self_detected', 'Addresses found to be this node itself.'],
  ['access_denied', 'Inbound connections refused by allow/deny.'],
  ['tls_failures', 'Connections refused over TLS, either side.'],
  ['rounds', 'Sync rounds run.'],
  ['snapshots_sent', 'Snapshots sent to peers.'],
  ['snapshots_received', 'Snapshots received from peers.'],
  ['relays', 'Walks that passed on the records of a peer whose connection closed.'],
  ['records_relayed', 'Records those walks passed on to the other peers.'],
];
