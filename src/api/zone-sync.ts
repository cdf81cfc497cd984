// GET /api/9/stream/zone_sync: the NGINX Plus "Stream Zone Sync Node" object. The sync
// engine provides the numbers; this file fixes the shape and the order of the fields, so
// that the answer reads exactly as the admin guide's example, whatever else the provider
// object carries.

export interface ZoneSyncZoneStatus {
  /** Records of this zone waiting to be sent to the cluster. */
  readonly records_pending: number;
  /** Records of this zone on this node. */
  readonly records_total: number;
}

export interface ZoneSyncNodeStatus {
  readonly bytes_in: number;
  readonly msgs_in: number;
  readonly msgs_out: number;
  readonly bytes_out: number;
  readonly nodes_online: number;
}

/** One connection to a peer; zonesync's addition beside NGINX Plus's fields. */
export interface ZoneSyncPeerStatus {
  readonly address: string;
  readonly [field: string]: unknown;
}

export interface ZoneSyncStatus {
  readonly zones: Readonly<Record<string, ZoneSyncZoneStatus>>;
  readonly status: ZoneSyncNodeStatus;
  readonly peers?: readonly ZoneSyncPeerStatus[];
  /**
   * zonesync's own sync counters (records_applied, records_future, malformed, closed_idle, …):
   * not in the NGINX Plus object, exported by /metrics as zonesync_sync_NAME_total.
   */
  readonly counters?: Readonly<Record<string, number>>;
}

/** Where the API reads the sync counters from (the sync engine, or a test's object). */
export type ZoneSyncStatusProvider = () => ZoneSyncStatus | Promise<ZoneSyncStatus>;

export function zoneSyncBody(s: ZoneSyncStatus): Record<string, unknown> {
  const zones: Record<string, ZoneSyncZoneStatus> = Object.create(null) as Record<string, ZoneSyncZoneStatus>;
  for (const [name, z] of Object.entries(s.zones)) {
    zones[name] = { records_pending: z.records_pending, records_total: z.records_total };
  }
  const { bytes_in, msgs_in, msgs_out, bytes_out, nodes_online } = s.status;
  const body: Record<string, unknown> = { zones, status: { bytes_in, msgs_in, msgs_out, bytes_out, nodes_online } };
  if (s.peers !== undefined) body['peers'] = s.peers;
  return body;
}
