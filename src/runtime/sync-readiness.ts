import type { PeerStatus } from '../sync/types.js';

/** The zone_sync timings readiness waits by (zone_sync_connect_timeout, _connect_retry_interval, _timeout). */
export interface ReadinessTimings {
  readonly connectTimeoutMs: number;
  readonly connectRetryIntervalMs: number;
  readonly timeoutMs: number;
}

export type SyncReadiness = { readonly ready: true } | { readonly ready: false; readonly waitingFor: readonly string[] };

/**
 * How long a node waits at most for its peers' snapshots before it says it is ready anyway:
 * a peer that is up but sends no snapshot (another zone set, a link that stalls) must not keep
 * the node out of service. One connect attempt, two redials of the peer towards this node,
 * and one zone_sync_timeout for the snapshot to flow: 12 s with nginx's defaults.
 */
export function readinessGraceMs(t: ReadinessTimings): number {
  return t.connectTimeoutMs + 2 * t.connectRetryIntervalMs + t.timeoutMs;
}

/**
 * Whether a node that syncs `syncedZones` zones holds what its peers hold, from the sync
 * thread's peer status. Data flows from dialer to listener, so a peer's snapshot arrives on
 * the connection the peer dialed (inbound here). For every configured peer:
 *  - reached (this node's own link to it is open): waited for until the inbound link from
 *    the same node (by node id) has ended a snapshot of every synced zone;
 *  - unreachable (its last connection attempt failed): not waited for, it has nothing newer
 *    than what the others hold or will send when it returns;
 *  - not tried yet (the first attempt still under way): waited for.
 * A node with no peer is ready. Past `graceMs` after the start, a node is ready whatever it
 * still waits for.
 */
export function syncReadiness(peers: readonly PeerStatus[], syncedZones: number, sinceStartMs: number, graceMs: number): SyncReadiness {
  const waitingFor: string[] = [];
  for (const peer of peers) {
    if (peer.direction !== 'outbound' || peer.state === 'self') continue;
    if (peer.state === 'open') {
      const inbound = peers.find((p) => p.direction === 'inbound' && p.state === 'open' && p.nodeId === peer.nodeId);
      const snapshotDone = inbound !== undefined && inbound.snapshot.state === 'done' && inbound.snapshot.zonesDone >= syncedZones;
      if (!snapshotDone) waitingFor.push(`the snapshot of ${peer.address}`);
    } else if (peer.lastError === null) {
      waitingFor.push(`the first connection to ${peer.address}`);
    }
  }
  return waitingFor.length === 0 || sinceStartMs >= graceMs ? { ready: true } : { ready: false, waitingFor };
}

/**
 * A thread's readiness: once ready, ready until the process ends (a peer lost later, or a
 * new one, does not take a serving node out of service).
 */
export class ReadinessLatch {
  private isReady = false;
  private readonly check: () => Promise<SyncReadiness>;

  constructor(check: () => Promise<SyncReadiness>) {
    this.check = check;
  }

  async current(): Promise<SyncReadiness> {
    if (this.isReady) return { ready: true };
    const answer = await this.check();
    if (answer.ready) this.isReady = true;
    return answer;
  }
}
