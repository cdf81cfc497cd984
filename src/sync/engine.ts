// The sync engine: one node's side of the zone_sync full mesh (docs/ARCHITECTURE.md "Threads
// of one node", docs/PROTOCOL.md "Connection life cycle"). It runs in whatever thread owns
// it (the sync thread in production, the test process or the simulator in tests); time and
// connections come through SyncTimers and Transport.
//
//   start() ──▶ running: every zone_sync_interval a round; every tick, housekeeping (dial,
//               deadlines, PING, idle, stuck writes); inbound connections merge what peers push.
//   stop()  ──▶ stopping: last rounds flush the queues, connections end cleanly ──▶ stopped
//
// This file coordinates; each concern is a part of its own:
//   outbound-slots.ts   the addresses dialled: one connection each, retries, self-detection
//   inbound-listener.ts the listener: allow/deny, accepted connections
//   refusal-log.ts      refused connections, logged once per peer and reason
//   rounds.ts           rounds: collect the queues, write to every open outbound peer
//   relays.ts           a closed inbound peer's records, passed on to the other peers
//   synced-zones.ts     the synced zones, their tally and counters, snapshots
//   control-frames.ts   this node's HELLO, PING and PONG
// The engine is every peer's PeerHost and the context (engine-context.ts) of every part.

import { threadId } from 'node:worker_threads';
import type { ZoneDescriptor } from '../zones/descriptor.js';
import { SharedHybridClock } from '../shared-clock.js';
import { ControlFrames } from './control-frames.js';
import {
  C_CONNECTS, C_INBOUND_ONLINE, C_NODES_ONLINE, C_STATE, C_ZONE_COUNT, SYNC_STATE_RUNNING, SYNC_STATE_STARTING,
  SYNC_STATE_STOPPED, SYNC_STATE_STOPPING, createSyncCountersBuffer, readSyncCounters, syncCountersBytes, type ZoneSyncCounters,
} from './counters.js';
import type { EngineContext } from './engine-context.js';
import { InboundListener } from './inbound-listener.js';
import { noopLogger, type LogFields, type SyncLogger } from './logger.js';
import { resolveSyncOptions, type ServerSpec, type SyncOptions, type SyncOptionsInput, type SyncTimings } from './options.js';
import { OutboundSlots } from './outbound-slots.js';
import type { PeerConnection, PeerHost } from './peer.js';
import { RefusalLog } from './refusal-log.js';
import { Relays } from './relays.js';
import { Rounds } from './rounds.js';
import { SyncedZones } from './synced-zones.js';
import { transportFor } from './tls-transport.js';
import { realTimers, type SyncTimers, type TimerHandle } from './timers.js';
import type { Transport } from './transport.js';
import type { PeerStatus } from './types.js';

export interface SyncEngineConfig {
  /** This node's id (u32, unique in the cluster); HELLO carries it. */
  nodeId: number;
  /** This node's name in HELLO, e.g. its listen address. */
  nodeName: string;
  /** Every zone of the node; those with `sync` are synced. */
  descriptors: readonly ZoneDescriptor[];
  /** The node's SharedHybridClock buffer. */
  clockBuffer: SharedArrayBuffer;
  options?: SyncOptionsInput;
  /** Default: TCP and unix sockets (node:net), with TLS where options.tls / listenTls ask. */
  transport?: Transport;
  /** Default: real time. */
  timers?: SyncTimers;
  logger?: SyncLogger;
  /** Where counters go (createSyncCountersBuffer); default: a new buffer. */
  countersBuffer?: SharedArrayBuffer;
  /** Id in lock words; default threadId + 1. Unique per thread. */
  ownerId?: number;
}

const MIN_TICK_MS = 5;
const MAX_TICK_MS = 1000;

type EngineState = typeof SYNC_STATE_STARTING | typeof SYNC_STATE_RUNNING | typeof SYNC_STATE_STOPPING | typeof SYNC_STATE_STOPPED;

export class SyncEngine implements PeerHost, EngineContext {
  readonly nodeId: number;
  readonly nodeName: string;
  readonly options: SyncOptions;
  readonly timers: SyncTimers;
  readonly log: SyncLogger;
  readonly counters: Float64Array;
  readonly countersBuffer: SharedArrayBuffer;
  readonly clock: SharedHybridClock;
  readonly zones: SyncedZones;
  readonly frames: ControlFrames;
  private readonly outbound: OutboundSlots;
  private readonly inbound: InboundListener;
  private readonly rounds: Rounds;
  private readonly relays: Relays;
  private state: EngineState = SYNC_STATE_STARTING;
  private tickTimer: TimerHandle | null = null;
  private readonly tickMs: number;
  private readonly tickCallback = (): void => this.onTick();
  private stopPromise: Promise<void> | null = null;
  /** start()'s listen, while or once under way: a stop() during start() waits for it, then closes the listener. */
  private listening: Promise<void> | null = null;
  private allClosed: (() => void) | null = null;

  constructor(config: SyncEngineConfig) {
    if (!(Number.isInteger(config.nodeId) && config.nodeId >= 0 && config.nodeId <= 0xffffffff)) {
      throw new RangeError(`node id must be a u32, got ${config.nodeId}`);
    }
    this.nodeId = config.nodeId;
    this.nodeName = config.nodeName;
    this.options = resolveSyncOptions(config.options);
    this.timers = config.timers ?? realTimers;
    this.log = config.logger ?? noopLogger;
    const transport = config.transport ?? transportFor(this.options);
    const ownerId = config.ownerId ?? threadId + 1;
    this.clock = new SharedHybridClock(config.clockBuffer, ownerId, this.timers.wallMs);
    this.zones = new SyncedZones(this, config.descriptors.filter((d) => d.sync), ownerId, this.clock);
    const zoneCount = this.zones.list.length;
    this.countersBuffer = config.countersBuffer ?? createSyncCountersBuffer(zoneCount);
    if (this.countersBuffer.byteLength < syncCountersBytes(zoneCount)) throw new RangeError('counters buffer is too small');
    this.counters = new Float64Array(this.countersBuffer);
    this.counters[C_ZONE_COUNT] = zoneCount;
    this.counters[C_STATE] = SYNC_STATE_STARTING;
    this.frames = new ControlFrames(this.nodeId, this.nodeName, this.zones.helloZones(), this.clock);
    const refusals = new RefusalLog(this);
    this.outbound = new OutboundSlots(this, this, transport, refusals);
    this.inbound = new InboundListener(this, this, transport, refusals, () => this.state === SYNC_STATE_RUNNING);
    this.rounds = new Rounds(this, this.zones, this.outbound);
    this.relays = new Relays(this, this.zones, this.outbound);
    const o = this.options;
    this.tickMs = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, Math.min(o.intervalMs, o.timeoutMs / 4, o.connectTimeoutMs / 4, o.connectRetryIntervalMs / 2)));
  }

  get zoneNames(): string[] {
    return this.zones.names;
  }

  /** The bound listen address (with the real port when the option said port 0), or null. */
  get listenAddress(): string | null {
    return this.inbound.address;
  }

  /** Listens, dials every server, starts rounds and housekeeping. */
  async start(): Promise<void> {
    if (this.state !== SYNC_STATE_STARTING) throw new Error('SyncEngine.start() called twice');
    if (this.options.listen !== null) {
      this.listening = this.inbound.listen(this.options.listen);
      await this.listening;
    }
    // stop() was called while the listener was being set up: the engine stays stopped (its
    // rounds would otherwise empty the output queues the node's next engine sends from).
    if (this.state !== SYNC_STATE_STARTING) return;
    this.setState(SYNC_STATE_RUNNING);
    this.setServers(this.options.servers);
    this.rounds.start();
    this.tickTimer = this.timers.setTimer(this.tickCallback, this.tickMs);
  }

  /**
   * New zone_sync timings, applied at once: the next round, the next dial and every idle
   * check read them (a HUP changes them without a restart).
   */
  setTimings(timings: SyncTimings): void {
    const intervalChanged = timings.intervalMs !== this.options.intervalMs;
    Object.assign(this.options, timings);
    if (intervalChanged) this.rounds.intervalChanged();
    this.info({ ...timings }, 'zone_sync timings changed');
  }

  /** Replaces the addresses to dial (zone_sync_server; a reload, or DNS discovery): see OutboundSlots.replace. */
  setServers(specs: readonly ServerSpec[]): void {
    this.outbound.replace(specs, this.state === SYNC_STATE_RUNNING);
    this.updateOnline();
  }

  /** Runs one round now (tests, benchmarks); false when stopped. */
  roundNow(): boolean {
    if (this.state !== SYNC_STATE_RUNNING) return false;
    this.rounds.run();
    return true;
  }

  peers(): PeerStatus[] {
    const now = this.timers.monotonicMs();
    return this.inbound.statuses(now, this.outbound.statuses(now, []));
  }

  readCounters(): ZoneSyncCounters {
    this.zones.updateCounters();
    return readSyncCounters(this.countersBuffer, this.zoneNames);
  }

  /**
   * Graceful stop (SIGQUIT): the round in progress is complete (rounds are synchronous),
   * the output queues are flushed to open peers, connections end cleanly (destroyed after
   * stopGraceMs), the listener closes.
   */
  stop(): Promise<void> {
    if (this.stopPromise === null) this.stopPromise = this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    const wasRunning = this.state === SYNC_STATE_RUNNING;
    this.setState(SYNC_STATE_STOPPING);
    this.rounds.cancel();
    this.relays.cancel();
    if (this.tickTimer !== null) this.timers.clearTimer(this.tickTimer);
    this.tickTimer = null;
    if (!wasRunning && this.listening !== null) await this.listening.catch(() => undefined);
    const listenerClosed = this.inbound.close();
    if (wasRunning) this.rounds.flushForStop();
    const closed = new Promise<void>((resolve) => {
      this.allClosed = resolve;
    });
    for (const peer of this.livePeers()) peer.close('stop', peer.isOpen);
    if (this.livePeers().length > 0) {
      const grace = this.timers.setTimer(() => {
        for (const peer of this.livePeers()) peer.close('stop', false);
      }, this.options.stopGraceMs);
      await closed;
      this.timers.clearTimer(grace);
    }
    this.allClosed = null;
    await listenerClosed;
    this.zones.updateCounters();
    this.setState(SYNC_STATE_STOPPED);
    this.info({}, 'zone_sync stopped');
  }

  /** Housekeeping of every connection, and the dials that are due. */
  private onTick(): void {
    this.tickTimer = null;
    if (this.state !== SYNC_STATE_RUNNING) return;
    const now = this.timers.monotonicMs();
    this.outbound.tick(now);
    this.inbound.housekeeping(now);
    this.relays.tick(now);
    this.tickTimer = this.timers.setTimer(this.tickCallback, this.tickMs);
  }

  // --- PeerHost ------------------------------------------------------------------------

  onHandshake(peer: PeerConnection): void {
    if (peer.direction === 'outbound') {
      this.counters[C_CONNECTS]++;
      this.outbound.connected(peer);
      if (this.outbound.openPeers().length === 1) this.rounds.dropQueuedForSnapshot();
    }
    this.info({ peer: peer.address, direction: peer.direction, nodeId: peer.nodeId, nodeName: peer.nodeName }, 'zone_sync connected');
    this.updateOnline();
  }

  onSelf(peer: PeerConnection): void {
    // Inbound: tell the dialer (ourselves, or a node with our id) so that it stops dialling.
    if (peer.direction === 'inbound') peer.send(this.frames.hello(), 1);
    else this.outbound.dialledSelf(peer);
  }

  onPeerClosed(peer: PeerConnection): void {
    if (peer.direction === 'inbound') this.inbound.closed(peer);
    else this.outbound.closed(peer);
    if (peer.connectedSinceMs !== 0) this.logSession(peer);
    if (peer.direction === 'inbound') this.logAccess(peer);
    // The link that carried the peer's own records: what this node holds of them, the peer's
    // last round included, goes on to the other peers (docs/PROTOCOL.md "Relays").
    if (peer.direction === 'inbound' && peer.connectedSinceMs !== 0 && this.state === SYNC_STATE_RUNNING) this.relays.linkClosed(peer.nodeId);
    this.updateOnline();
    if (this.allClosed !== null && this.livePeers().length === 0) this.allClosed();
  }

  // --- EngineContext ----------------------------------------------------------------------

  info(fields: LogFields, message: string): void {
    this.log.info({ node: this.nodeName, ...fields }, message);
  }

  // --- helpers ---------------------------------------------------------------------------

  /** The access line of a sync session that completed its HELLO, when it ends (as nginx's stream access log). */
  private logSession(peer: PeerConnection): void {
    this.info({
      peer: peer.address, direction: peer.direction, nodeId: peer.nodeId, nodeName: peer.nodeName,
      bytesIn: peer.bytesIn, bytesOut: peer.bytesOut, durationMs: Math.max(0, this.timers.wallMs() - peer.connectedSinceMs),
      reason: peer.closeReason,
    }, 'zone_sync session closed');
  }

  /** An accepted session's end, for the access log (every session the listener accepted, as nginx logs them). */
  private logAccess(peer: PeerConnection): void {
    const reason = peer.closeReason;
    this.log.session?.({
      remoteAddress: peer.address, serverAddress: this.listenAddress ?? '', bytesSent: peer.bytesOut, bytesReceived: peer.bytesIn,
      startMs: peer.startedAtMs, endMs: this.timers.wallMs(), status: reason === 'malformed' || reason === 'protocol' ? 400 : 200,
      peerNodeId: peer.nodeId, peerNodeName: peer.nodeName,
    });
  }

  private livePeers(): PeerConnection[] {
    return this.inbound.livePeers(this.outbound.livePeers([]));
  }

  private updateOnline(): void {
    this.counters[C_NODES_ONLINE] = this.outbound.openPeers().length;
    this.counters[C_INBOUND_ONLINE] = this.inbound.openCount();
  }

  private setState(state: EngineState): void {
    this.state = state;
    this.counters[C_STATE] = state;
  }
}
