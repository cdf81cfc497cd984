// Counters the sync thread writes and any thread reads without messages: one small
// SharedArrayBuffer of f64 words (exact integers up to 2^53). One writer, the sync thread;
// readers see each word whole (aligned 8-byte stores) and their sum as of a moment.
//
// Layout (f64 words): GLOBAL_WORDS counters below, then ZONE_WORDS per synced zone in the
// order of the engine's descriptors.

// bytes_* and msgs_*: the traffic of connections from their HELLO exchange on (peer.ts);
// self-detection and connections refused or broken before it count nothing.
export const C_BYTES_IN = 0;
export const C_BYTES_OUT = 1;
export const C_MSGS_IN = 2;
export const C_MSGS_OUT = 3;
/** Outbound connections past the HELLO exchange: N - 1 in a healthy full mesh. */
export const C_NODES_ONLINE = 4;
export const C_RECORDS_IN = 5;
export const C_RECORDS_OUT = 6;
/** Records larger than one zone_sync_buffers size, logged and never sent. */
export const C_RECORDS_TOO_LARGE = 7;
/** Well-formed frames of a zone, module tag, module version or control type unknown here. */
export const C_FRAMES_UNKNOWN = 8;
/** Connections closed for a malformed frame. */
export const C_MALFORMED = 9;
/** Remote records the zone had no memory for. */
export const C_APPLY_NO_MEMORY = 10;
export const C_RECORDS_APPLIED = 11;
/** Remote records older than (or equal to) the local version. */
export const C_RECORDS_IGNORED = 12;
/** Connections closed because nothing arrived for zone_sync_timeout. */
export const C_CLOSED_IDLE = 13;
/** Connections closed because writes made no progress for zone_sync_timeout or overflowed. */
export const C_CLOSED_SLOW = 14;
export const C_CONNECT_FAILURES = 15;
export const C_ROUNDS = 16;
export const C_SNAPSHOTS_SENT = 17;
export const C_SNAPSHOTS_RECEIVED = 18;
/** SYNC_STATE_* below. */
export const C_STATE = 19;
export const C_ZONE_COUNT = 20;
/** Remote records dropped as unusable here: expired on arrival, key or record too long for the zone. */
export const C_RECORDS_SKIPPED = 21;
/** Addresses found to be this node itself (HELLO with our id). */
export const C_SELF_DETECTED = 22;
/** Inbound connections past the HELLO exchange. */
export const C_INBOUND_ONLINE = 23;
/** Connections closed for breaking the protocol's order (data before HELLO, a second HELLO). */
export const C_PROTOCOL_ERRORS = 24;
/** Outbound connections established (HELLO exchanged), ever. */
export const C_CONNECTS = 25;
/** Inbound connections closed at once by the listener's allow/deny rules. */
export const C_ACCESS_DENIED = 26;
/** Connections refused over TLS, either side: handshake failures and verification failures. */
export const C_TLS_FAILURES = 27;
/** Remote records refused because no local write could have made them (an empty key, a malformed address). */
export const C_RECORDS_INVALID = 28;
/** Remote records refused for a stamp beyond the clock guard (the sender's clock runs ahead). */
export const C_RECORDS_FUTURE = 29;
/** Relay walks completed: records of a peer whose link closed, passed on to the other peers (relays.ts). */
export const C_RELAYS = 30;
/** Records those walks passed on (each counted once, however many peers it went to). */
export const C_RECORDS_RELAYED = 31;

export const GLOBAL_WORDS = 32;
export const Z_RECORDS_TOTAL = 0;
export const Z_RECORDS_PENDING = 1;
export const ZONE_WORDS = 2;

export const SYNC_STATE_STARTING = 0;
export const SYNC_STATE_RUNNING = 1;
export const SYNC_STATE_STOPPING = 2;
export const SYNC_STATE_STOPPED = 3;

export function syncCountersBytes(zoneCount: number): number {
  return (GLOBAL_WORDS + ZONE_WORDS * zoneCount) * 8;
}

export function createSyncCountersBuffer(zoneCount: number): SharedArrayBuffer {
  return new SharedArrayBuffer(syncCountersBytes(zoneCount));
}

export function zoneWord(zoneIndex: number, field: number): number {
  return GLOBAL_WORDS + zoneIndex * ZONE_WORDS + field;
}

export interface ZoneSyncZoneCounters {
  records_pending: number;
  records_total: number;
}

/** The NGINX Plus API's `stream/zone_sync` object, plus zonesync's own counters. */
export interface ZoneSyncCounters {
  status: { bytes_in: number; msgs_in: number; msgs_out: number; bytes_out: number; nodes_online: number };
  zones: Record<string, ZoneSyncZoneCounters>;
  extra: {
    records_in: number; records_out: number; records_applied: number; records_ignored: number;
    records_too_large: number; records_skipped: number; frames_unknown: number; malformed: number;
    apply_no_memory: number; closed_idle: number; closed_slow: number; connect_failures: number;
    connects: number; protocol_errors: number; rounds: number; snapshots_sent: number;
    snapshots_received: number; self_detected: number; inbound_online: number; access_denied: number;
    tls_failures: number; records_invalid: number; records_future: number; relays: number; records_relayed: number;
    state: number;
  };
}

/** Reads the counters; `zoneNames` in the order of the engine's descriptors. */
export function readSyncCounters(buffer: SharedArrayBuffer, zoneNames: readonly string[]): ZoneSyncCounters {
  const w = new Float64Array(buffer);
  const zones: Record<string, ZoneSyncZoneCounters> = {};
  zoneNames.forEach((name, i) => {
    zones[name] = { records_pending: w[zoneWord(i, Z_RECORDS_PENDING)]!, records_total: w[zoneWord(i, Z_RECORDS_TOTAL)]! };
  });
  return {
    status: {
      bytes_in: w[C_BYTES_IN]!, msgs_in: w[C_MSGS_IN]!, msgs_out: w[C_MSGS_OUT]!, bytes_out: w[C_BYTES_OUT]!,
      nodes_online: w[C_NODES_ONLINE]!,
    },
    zones,
    extra: {
      records_in: w[C_RECORDS_IN]!, records_out: w[C_RECORDS_OUT]!, records_applied: w[C_RECORDS_APPLIED]!,
      records_ignored: w[C_RECORDS_IGNORED]!, records_too_large: w[C_RECORDS_TOO_LARGE]!,
      records_skipped: w[C_RECORDS_SKIPPED]!, frames_unknown: w[C_FRAMES_UNKNOWN]!, malformed: w[C_MALFORMED]!,
      apply_no_memory: w[C_APPLY_NO_MEMORY]!, closed_idle: w[C_CLOSED_IDLE]!, closed_slow: w[C_CLOSED_SLOW]!,
      connect_failures: w[C_CONNECT_FAILURES]!, connects: w[C_CONNECTS]!, protocol_errors: w[C_PROTOCOL_ERRORS]!,
      rounds: w[C_ROUNDS]!, snapshots_sent: w[C_SNAPSHOTS_SENT]!, snapshots_received: w[C_SNAPSHOTS_RECEIVED]!,
      self_detected: w[C_SELF_DETECTED]!, inbound_online: w[C_INBOUND_ONLINE]!, access_denied: w[C_ACCESS_DENIED]!,
      tls_failures: w[C_TLS_FAILURES]!, records_invalid: w[C_RECORDS_INVALID]!, records_future: w[C_RECORDS_FUTURE]!,
      relays: w[C_RELAYS]!, records_relayed: w[C_RECORDS_RELAYED]!, state: w[C_STATE]!,
    },
  };
}
