// Rounds: every zone_sync_interval, each synced zone's output queue is collected into
// frames (SyncZone.collect, into a round buffer) and the same bytes are written to every
// open outbound peer; a peer whose transport would hold more than maxPeerBufferedBytes is
// closed instead (it resyncs by snapshot). With no open outbound peer, a round empties the
// queues without encoding them: a peer that connects later gets a snapshot.
//
// The next round comes at once (deferred, after pending I/O) when a queue held more than
// its round took and no peer is backpressured; else after zone_sync_interval.

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
  private readonly callback = (): void => this.onTimer();

  constructor(private readonly ctx: EngineContext, private readonly zones: SyncedZones, private readonly outbound: OutboundSlots) {}

  /** Rounds every zone_sync_interval from now on, until cancel(). */
  start(): void {
    this.timer = this.ctx.timers.setTimer(this.callback, this.ctx.options.intervalMs);
  }

  /** zone_sync_interval changed: a round waiting out the old one (an hour, say) waits the new one from now. */
  intervalChanged(): void {
    if (this.timer === null || this.deferred) return;
    this.ctx.timers.clearTimer(this.timer);
    this.timer = this.ctx.timers.setTimer(this.callback, this.ctx.options.intervalMs);
  }

  /** No more rounds by timer. */
  cancel(): void {
    if (this.timer === null) return;
    if (this.deferred) this.ctx.timers.cancelDefer(this.timer);
    else this.ctx.timers.clearTimer(this.timer);
    this.timer = null;
  }

  /** One round, now. */
  run(): void {
    const zones = this.zones;
    const tally = zones.tally;
    const peers = this.outbound.openPeers();
    if (peers.length === 0) {
      for (const zone of zones.list) zone.discardQueued(DISCARD_PER_ROUND);
      this.ctx.counters[C_ROUNDS]++;
      zones.updateCounters();
      return;
    }
    const nowMs = this.ctx.timers.wallMs();
    for (const zone of zones.list) {
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
    this.deferred = false;
    this.run();
    this.schedule();
  }

  private schedule(): void {
    const more = this.zones.hasMore && !this.outbound.openPeers().some((p) => p.backpressured);
    if (more) {
      this.deferred = true;
      this.timer = this.ctx.timers.defer(this.callback);
    } else {
      this.timer = this.ctx.timers.setTimer(this.callback, this.ctx.options.intervalMs);
    }
  }

  private closeSlow(peer: PeerConnection): void {
    this.ctx.log.warn({ peer: peer.address, bufferedBytes: peer.bufferedBytes, limit: this.ctx.options.maxPeerBufferedBytes },
      'zone_sync peer cannot keep up, closing connection (it resyncs by snapshot)');
    peer.close('slow', false);
    this.ctx.counters[C_CLOSED_SLOW]++;
  }
}
