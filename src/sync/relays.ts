// Relays: when the connection a peer dialled here closes (the link that carried its own
// records to this node), this node passes on to its other open outbound peers the records
// it holds whose origin is that peer (docs/PROTOCOL.md "Relays"). Rounds carry a node's own
// changes only, so a peer's last round that reached some nodes and not others (a link cut,
// or the peer killed with the frame under way) would otherwise stay missing from the others
// for as long as their connections last. Every node whose link from the peer closes relays,
// so each of the peer's records that reached any of them reaches every node they are
// connected to; a node they are not connected to gets a snapshot when it connects.
//
// A relay is a walk of every synced zone in bounded steps, as a snapshot is (snapshot.ts),
// that carries only the records of the relayed origins, in plain data frames: a receiver
// merges them as any others (an equal or older version is skipped), so relays are
// idempotent and never pass anything on themselves (received records are never queued).
//
// Cost bound: one walk at a time, for every origin due (closes that come meanwhile wait
// for the next walk), and a walk per origin per zone_sync_timeout at most: a link that
// flaps makes one walk at once and one more each zone_sync_timeout while it keeps closing.
// A close during that origin's own walk (records merged since may lie in shards it passed)
// is never dropped: it makes the next walk.
//
//   link of P closes ──▶ P due (now, or its last walk's start + zone_sync_timeout)
//   due and no walk ──▶ walk of the due origins ──step()*──▶ done ──▶ the next due, if any

import { C_RECORDS_RELAYED, C_RELAYS } from './counters.js';
import type { EngineContext } from './engine-context.js';
import type { OutboundSlots } from './outbound-slots.js';
import type { PeerConnection } from './peer.js';
import type { SnapshotSender } from './snapshot.js';
import type { SyncedZones } from './synced-zones.js';
import type { TimerHandle } from './timers.js';

/** Walk steps per turn of the event loop, as a snapshot's (peer.ts). */
const STEPS_PER_TURN = 4;

export class Relays {
  /** Origins whose link closed and whose walk has not started: the monotonic ms it may start at. */
  private readonly due = new Map<number, number>();
  /** Monotonic ms each origin's last walk started; kept for zone_sync_timeout (the bound), then forgotten. */
  private readonly lastStartMs = new Map<number, number>();
  private walk: SnapshotSender | null = null;
  private walkOrigins: ReadonlySet<number> = new Set();
  private task: TimerHandle | null = null;
  /** A target peer was back-pressured: the walk goes on at the next tick. */
  private waitsForPeers = false;
  private readonly pump = (): void => {
    this.task = null;
    this.steps();
  };

  constructor(private readonly ctx: EngineContext, private readonly zones: SyncedZones, private readonly outbound: OutboundSlots) {}

  /** The connection node `origin` dialled here, past its HELLO exchange, closed. */
  linkClosed(origin: number): void {
    const now = this.ctx.timers.monotonicMs();
    if (!this.due.has(origin)) this.due.set(origin, Math.max(now, (this.lastStartMs.get(origin) ?? -Infinity) + this.ctx.options.timeoutMs));
    this.startDue(now);
  }

  /** Housekeeping: starts the walks that came due, resumes one that waited for back-pressured peers. */
  tick(nowMs: number): void {
    const timeoutMs = this.ctx.options.timeoutMs;
    for (const [origin, startMs] of this.lastStartMs) if (nowMs - startMs >= timeoutMs) this.lastStartMs.delete(origin);
    if (this.walk === null) {
      this.startDue(nowMs);
    } else if (this.waitsForPeers) {
      this.waitsForPeers = false;
      this.schedule();
    }
  }

  /** The engine stops: no more walks. */
  cancel(): void {
    if (this.task !== null) this.ctx.timers.cancelDefer(this.task);
    this.task = null;
    this.walk = null;
    this.due.clear();
  }

  /** A walk of every origin due now, unless one is under way. */
  private startDue(nowMs: number): void {
    if (this.walk !== null) return;
    const origins = new Set<number>();
    for (const [origin, atMs] of this.due) if (atMs <= nowMs) origins.add(origin);
    if (origins.size === 0) return;
    for (const origin of origins) {
      this.due.delete(origin);
      this.lastStartMs.set(origin, nowMs);
    }
    this.walkOrigins = origins;
    this.walk = this.zones.newRelay(origins);
    this.schedule();
  }

  private schedule(): void {
    if (this.task === null && this.walk !== null) this.task = this.ctx.timers.defer(this.pump);
  }

  /**
   * A few steps of the walk, each step's bytes to every open outbound peer but the relayed
   * origins' own. With none such, the walk ends: a peer that connects later gets a snapshot,
   * which carries every record. Pauses while a target is back-pressured.
   */
  private steps(): void {
    const walk = this.walk;
    if (walk === null) return;
    for (let step = 0; step < STEPS_PER_TURN && !walk.done; step++) {
      const targets = this.targets();
      if (targets.length === 0) return this.finish(walk, false);
      if (targets.some((p) => p.backpressured)) {
        this.waitsForPeers = true;
        return;
      }
      const framesBefore = walk.frames;
      const chunks = walk.next();
      if (chunks === null) break;
      const frames = walk.frames - framesBefore;
      for (const peer of targets) peer.sendChunks(chunks, frames);
    }
    if (walk.done) this.finish(walk, true);
    else this.schedule();
  }

  private finish(walk: SnapshotSender, complete: boolean): void {
    const counters = this.ctx.counters;
    counters[C_RECORDS_RELAYED] += walk.recordsSent;
    if (complete) {
      counters[C_RELAYS]++;
      this.ctx.info({ origins: [...this.walkOrigins], records: walk.recordsSent }, 'zone_sync records of a closed peer relayed');
    }
    this.walk = null;
    this.startDue(this.ctx.timers.monotonicMs());
  }

  private targets(): PeerConnection[] {
    const origins = this.walkOrigins;
    return this.outbound.openPeers().filter((p) => !origins.has(p.nodeId));
  }
}
