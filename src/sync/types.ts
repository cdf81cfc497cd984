// Plain data shared between the sync thread and the thread that started it.

import type { SyncTimings } from './options.js';
import type { ZoneDescriptor } from '../zones/descriptor.js';
import type { LogFields, SyncSession } from './logger.js';
import type { ServerSpec, SyncOptionsInput } from './options.js';

export type PeerDirection = 'outbound' | 'inbound';

/**
 * idle: waiting to redial; connecting: dial in progress; handshake: HELLO sent or awaited;
 * open: HELLO exchanged; closing: being closed; self: the address is this node (never redialled).
 */
export type PeerState = 'idle' | 'connecting' | 'handshake' | 'open' | 'closing' | 'self';

export interface SnapshotProgress {
  /** none: not started; sending/receiving; done. */
  state: 'none' | 'sending' | 'receiving' | 'done';
  zonesDone: number;
  zonesTotal: number;
  records: number;
  /** The zone in progress, if any. */
  zone: string | null;
}

export interface PeerStatus {
  /** The configured address (outbound) or the remote address (inbound). */
  address: string;
  direction: PeerDirection;
  state: PeerState;
  /** The peer's node id from its HELLO, or -1 before it. */
  nodeId: number;
  nodeName: string;
  /** Wall-clock ms since the epoch when the HELLO exchange completed, or 0. */
  connectedSinceMs: number;
  /** Last PING/PONG round trip in ms, or -1 when none was measured yet (outbound only). */
  rttMs: number;
  /** Ms since the last byte arrived on the connection, or -1 when not connected. */
  lastMessageAgeMs: number;
  bytesIn: number;
  bytesOut: number;
  /**
   * Outbound: why the last connection to this address failed or ended ("TLS: expired:
   * certificate verify failed (CERT_HAS_EXPIRED)", "connect ECONNREFUSED …"), kept across
   * redials until a HELLO exchange succeeds; null when none failed since. Inbound: null.
   */
  lastError: string | null;
  /** Outbound: the snapshot this node sends; inbound: the one it receives. */
  snapshot: SnapshotProgress;
  /** Inbound: records this peer sent (0 outbound: data only flows from dialer to listener). */
  recordsIn: number;
  /** Inbound: of those, the ones this node could not store, by reason. */
  recordsRefused: RecordsRefused;
  /**
   * The peer's clock less this node's wall clock, in ms, from the stamp of its last HELLO or
   * PING (a round trip's worth of error); null before one arrived.
   */
  clockOffsetMs: number | null;
}

export interface RecordsRefused {
  /** Stamped beyond this node's clock guard: the peer's clock runs ahead. */
  future: number;
  /** No local write could have made them (an empty key, a malformed address). */
  invalid: number;
  /** The zone had no room (a keyval zone evicts no live record). */
  noRoom: number;
  /** Expired on arrival, or larger than the zone can hold. */
  skipped: number;
}

export function noRecordsRefused(): RecordsRefused {
  return { future: 0, invalid: 0, noRoom: 0, skipped: 0 };
}

/** workerData of the sync thread. */
export interface SyncThreadData {
  nodeId: number;
  nodeName: string;
  descriptors: ZoneDescriptor[];
  clockBuffer: SharedArrayBuffer;
  countersBuffer: SharedArrayBuffer;
  options: SyncOptionsInput;
}

/** Messages to the sync thread. */
export type ToSyncThread =
  | { type: 'stop' }
  | { type: 'status'; id: number }
  | { type: 'set-servers'; servers: ServerSpec[] }
  | { type: 'set-timings'; timings: SyncTimings };

/** Messages from the sync thread. */
export type FromSyncThread =
  | { type: 'ready'; listenAddress: string | null }
  | { type: 'start-failed'; message: string }
  | { type: 'status'; id: number; peers: PeerStatus[] }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; fields: LogFields; message: string }
  | { type: 'session'; session: SyncSession }
  | { type: 'stopped' };
