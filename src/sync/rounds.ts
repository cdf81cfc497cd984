// Rounds: every zone_sync_interval, each synced zone's output queue is collected into
// frames (SyncZone.collect, into a round buffer) and the same bytes are written to every
// open outbound peer; a peer whose transport would hold more than maxPeerBufferedBytes is
// closed instead (it resyncs by snapshot). With no open outbound peer, a round empties the
// queues without encoding them: a peer that connects later gets a snapshot.
//
// limit_req zones are collected more often (zones/limit-req/share-rounds.ts): with one
// synced, the timer ticks a whole fraction of zone_sync_interval, at most 100 ms apart; a
// tick collects the limit_req zones only, and every interval's last tick every zone. The
// next round comes at once (deferred, after pending I/O, every zone) when a queue held more
// than its round took and no peer is backpressured; else at the next tick.

import { MODULE_LIMIT_REQ } from '../zones/descriptor.js';
import { shareRoundsPerInterval } from '../zones/limit-req/share-rounds.js';
import { C_CLOSED_SLOW, C_ROUNDS } from './counters.js';
import type { EngineContext } from './engine-context.js';
import type { OutboundSlots } from './outbound-slots.js';
import type { PeerConnection } from './peer.js';
import type { SyncedZones } from './synced-zones.js';
import type { TimerHandle } from './timers.js';

/** Records a round with no open outbound peer takes off each zone's queues (more: the next round, at once). */
const DISCARD_PER_ROUND = 65_536;
/** Rounds a stop runs at most to empty the output queues. */
const STOP_FLUSH_ROUNDS = 64;

export class Rounds {
  private timer: TimerHandle | null = null;
  /** The timer is a defer (the next round at once), not a wait of zone_sync_interval. */
  private deferred = false;
  /** Ticks since the last round of every zone; the one that makes it ticksPerInterval collects every zone. */
  private ticks = 0;
  private readonly hasLimitReq: boolean;
  private readonly callback = (): void => this.onTimer();

  constructor(private readonly ctx: EngineContext, private readonly zones: SyncedZones, private readonly outbound: OutboundSlots) {
    this.hasLimitReq = zones.list.some((z) => z.descriptor.moduleTag === MODULE_LIMIT_REQ);
  }

  /** Rounds every tick from now on, until cancel(). */
  start(): void {
    this.ticks = 0;
    this.timer = this.ctx.timers.setTimer(this.callback, this.tickMs());
  }

  /** zone_sync_interval changed: a round waiting out the old one (an hour, say) waits the new one from now. */
  intervalChanged(): void {
    if (this.timer === null || this.deferred) return;
    this.ctx.timers.clearTimer(this.timer);
    this.start();
  }

  /** No more rounds by timer. */
  cancel(): void {
    if (this.timer === null) return;
    if (this.deferred) this.ctx.timers.cancelDefer(this.timer);
    else this.ctx.timers.clearTimer(this.timer);
    this.timer = null;
  }

  /** One round, now: of every zone, or (`limitReqOnly`) of the limit_req zones. */
  run(limitReqOnly = false): void {
    const zones = this.zones;
    const tally = zones.tally;
    const peers = this.outbound.openPeers();
    if (peers.length === 0) {
      for (const zone of zones.list) if (!limitReqOnly || zone.descriptor.moduleTag === MODULE_LIMIT_REQ) zone.discardQueued(DISCARD_PER_ROUND);
      this.ctx.counters[C_ROUNDS]++;
      zones.updateCounters();
      return;
    }
    const nowMs = this.ctx.timers.wallMs();
    for (const zone of zones.list) {
      if (limitReqOnly && zone.descriptor.moduleTag !== MODULE_LIMIT_REQ) continue;
      const framesBefore = tally.framesOut;
      const bytes = zone.collect(nowMs, tally, zones.reportSkip);
      if (bytes === null) continue;
      const frames = tally.framesOut - framesBefore;
      for (const peer of peers) {
        if (!peer.isOpen) continue;
        if (peer.wouldOverflow(bytes.length)) {
          this.closeSlow(peer);
          continue;
        }
        peer.send(bytes, frames);
        zone.heldBy(peer);
      }
    }
    this.ctx.counters[C_ROUNDS]++;
    zones.flushTally();
    zones.updateCounters();
  }

  /** A graceful stop's last rounds: until the queues are empty, every open peer is backpressured, or STOP_FLUSH_ROUNDS. */
  flushForStop(): void {
    for (let i = 0; i < STOP_FLUSH_ROUNDS; i++) {
      this.run();
      if (!this.zones.hasMore) return;
      if (this.outbound.openPeers().every((p) => p.backpressured)) return;
    }
  }

  /**
   * The peer that just completed its HELLO is the only open outbound one, and its snapshot
   * starts now: every record queued at this instant is live (the snapshot carries it, or a
   * newer version, which is queued again) or gone (nothing to send). No other peer reads
   * the queues, so they are emptied here, synchronously, before the snapshot's first step,
   * rather than sent twice. Records written from now on are queued and sent as usual.
   */
  dropQueuedForSnapshot(): void {
    for (const zone of this.zones.list) {
      do zone.discardQueued(DISCARD_PER_ROUND);
      while (zone.hasMore);
    }
  }

  private onTimer(): void {
    this.timer = null;
    let every = true;
    if (!this.deferred) {
      this.ticks++;
      every = this.ticks >= this.ticksPerInterval();
      if (every) this.ticks = 0;
    }
    this.deferred = false;
    this.run(!every);
    this.schedule();
  }

  /** Timer ticks per zone_sync_interval: 1 without a synced limit_req zone. */
  private ticksPerInterval(): number {
    return this.hasLimitReq ? shareRoundsPerInterval(this.ctx.options.intervalMs) : 1;
  }

  private tickMs(): number {
    return this.ctx.options.intervalMs / this.ticksPerInterval();
  }

  private schedule(): void {
    const more = this.zones.hasMore && !this.outbound.openPeers().some((p) => p.backpressured);
    if (more) {
      this.deferred = true;
      this.timer = this.ctx.timers.defer(this.callback);
    } else {
      this.timer = this.ctx.timers.setTimer(this.callback, this.tickMs());
    }
  }

  private closeSlow(peer: PeerConnection): void {
    this.ctx.log.warn({ peer: peer.address, bufferedBytes: peer.bufferedBytes, limit: this.ctx.options.maxPeerBufferedBytes },
      'zone_sync peer cannot keep up, closing connection (it resyncs by snapshot)');
    peer.close('slow', false);
    this.ctx.counters[C_CLOSED_SLOW]++;
  }
}
