// The sync engine: one node's side of the zone_sync full mesh (docs/ARCHITECTURE.md "Threads
// of one node", docs/PROTOCOL.md "Connection life cycle").
// It runs in whatever thread owns it (the sync thread in production, the test process or
// the simulator in tests); time and connections come through SyncTimers and Transport.
//
//   start() ──▶ running: every zone_sync_interval a round (output queues → frames → every
//               open outbound peer); every tick, housekeeping (dial, deadlines, PING, idle,
//               stuck writes); inbound connections merge what peers push.
//   stop()  ──▶ stopping: last rounds flush the queues, connections end cleanly ──▶ stopped
//
// Outbound addresses are "slots": each holds at most one connection and redials
// zone_sync_connect_retry_interval after it closes, unless the address proved to be this
// node itself. A slot remembers why its last connection failed (peer status `lastError`);
// a TLS refusal is logged when its reason differs from the slot's previous one, so that a
// peer with a bad certificate does not write a line every retry interval.
//
// The listener applies allow/deny (options.access) before anything else, TLS included.

import { threadId } from 'node:worker_threads';
import { AccessList } from '../net/access.js';
import type { ZoneDescriptor } from '../zones/descriptor.js';
import { SharedHybridClock } from '../shared-clock.js';
import {
  C_APPLY_NO_MEMORY, C_CONNECTS, C_CONNECT_FAILURES, C_INBOUND_ONLINE, C_NODES_ONLINE, C_RECORDS_APPLIED,
  C_RECORDS_IGNORED, C_RECORDS_IN, C_ACCESS_DENIED, C_TLS_FAILURES, C_RECORDS_OUT, C_RECORDS_SKIPPED, C_RECORDS_TOO_LARGE, C_ROUNDS,
  C_SELF_DETECTED, C_STATE, C_ZONE_COUNT, C_CLOSED_SLOW, SYNC_STATE_RUNNING, SYNC_STATE_STARTING, SYNC_STATE_STOPPED,
  SYNC_STATE_STOPPING, Z_RECORDS_PENDING, Z_RECORDS_TOTAL, createSyncCountersBuffer, readSyncCounters,
  syncCountersBytes, zoneWord, type ZoneSyncCounters,
} from './counters.js';
import { noopLogger, type LogFields, type SyncLogger } from './logger.js';
import { resolveSyncOptions, type ServerSpec, type SyncOptions, type SyncOptionsInput, type SyncTimings } from './options.js';
import { PeerConnection, type PeerHost } from './peer.js';
import { FrameWriter, helloFrameLength, type FrameReader, type HelloZone } from './protocol/index.js';
import { SnapshotSender } from './snapshot.js';
import { RecordTally, SyncZone, type SkippedRecord } from './sync-zone.js';
import { HANDSHAKE_HANGUP, transportFor } from './tls-transport.js';
import { realTimers, type SyncTimers, type TimerHandle } from './timers.js';
import { ConnectionRefusedError, type Connection, type ListenHooks, type Listener, type Transport } from './transport.js';
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

/** More inbound connections than this are refused: a bound on what strangers can make us hold. */
export const MAX_INBOUND_CONNECTIONS = 1024;
/** Records a round with no open outbound peer takes off each zone's queues (more: the next round, at once). */
const DISCARD_PER_ROUND = 65_536;
/** Rounds stop() runs at most to empty the output queues. */
const STOP_FLUSH_ROUNDS = 64;
const MIN_TICK_MS = 5;
const MAX_TICK_MS = 1000;
/** An inbound refusal (TLS, access rule) is logged once per client host and reason in this period. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;
const MAX_REFUSALS_REMEMBERED = 256;

interface OutboundSlot {
  readonly address: string;
  /** The host name the address came from (the default TLS name), or null. */
  readonly hostName: string | null;
  peer: PeerConnection | null;
  /** Why the last connection failed or ended, or null. */
  lastError: string | null;
  /** The address is this node: never dialled again. */
  self: boolean;
  /** Monotonic ms of the next dial. */
  nextDialMs: number;
}

type EngineState = typeof SYNC_STATE_STARTING | typeof SYNC_STATE_RUNNING | typeof SYNC_STATE_STOPPING | typeof SYNC_STATE_STOPPED;

export class SyncEngine implements PeerHost {
  readonly nodeId: number;
  readonly nodeName: string;
  readonly options: SyncOptions;
  readonly timers: SyncTimers;
  readonly log: SyncLogger;
  readonly counters: Float64Array;
  readonly countersBuffer: SharedArrayBuffer;
  readonly tally = new RecordTally();
  readonly zones: readonly SyncZone[];
  readonly clock: SharedHybridClock;
  private readonly transport: Transport;
  private readonly access: AccessList;
  private readonly listenHooks: ListenHooks;
  /** "host reason" → monotonic ms of the last log line about it. */
  private readonly refusalsLogged = new Map<string, number>();
  private readonly helloZones: HelloZone[];
  private readonly controlWriter: FrameWriter;
  private readonly slots = new Map<string, OutboundSlot>();
  private readonly inbound = new Set<PeerConnection>();
  private listener: Listener | null = null;
  private state: EngineState = SYNC_STATE_STARTING;
  private roundTimer: TimerHandle | null = null;
  private roundDeferred = false;
  private tickTimer: TimerHandle | null = null;
  private readonly tickMs: number;
  private stopPromise: Promise<void> | null = null;
  private allClosed: (() => void) | null = null;
  private readonly onSkip: (skipped: SkippedRecord) => void;
  private readonly roundCallback: () => void;
  private readonly tickCallback: () => void;

  constructor(config: SyncEngineConfig) {
    if (!(Number.isInteger(config.nodeId) && config.nodeId >= 0 && config.nodeId <= 0xffffffff)) {
      throw new RangeError(`node id must be a u32, got ${config.nodeId}`);
    }
    this.nodeId = config.nodeId;
    this.nodeName = config.nodeName;
    this.options = resolveSyncOptions(config.options);
    this.timers = config.timers ?? realTimers;
    this.log = config.logger ?? noopLogger;
    this.transport = config.transport ?? transportFor(this.options);
    this.access = new AccessList(this.options.access);
    this.listenHooks = {
      admit: (remoteIp, remoteAddress) => this.admit(remoteIp, remoteAddress),
      refused: (remoteAddress, error) => this.refused(remoteAddress, error),
    };
    const ownerId = config.ownerId ?? threadId + 1;
    this.clock = new SharedHybridClock(config.clockBuffer, ownerId, this.timers.wallMs);
    const synced = config.descriptors.filter((d) => d.sync);
    const names = new Set<string>();
    for (const d of synced) {
      if (names.has(d.name)) throw new RangeError(`zone "${d.name}" is listed twice`);
      names.add(d.name);
    }
    const { count, sizeBytes } = this.options.buffers;
    this.zones = synced.map((d, i) => new SyncZone(i, d, ownerId, this.timers.wallMs, count, sizeBytes));
    this.countersBuffer = config.countersBuffer ?? createSyncCountersBuffer(this.zones.length);
    if (this.countersBuffer.byteLength < syncCountersBytes(this.zones.length)) throw new RangeError('counters buffer is too small');
    this.counters = new Float64Array(this.countersBuffer);
    this.counters[C_ZONE_COUNT] = this.zones.length;
    this.counters[C_STATE] = SYNC_STATE_STARTING;
    this.helloZones = this.zones.map((z) => ({ name: z.name, moduleTag: z.descriptor.moduleTag, moduleVersion: z.descriptor.moduleVersion }));
    this.controlWriter = new FrameWriter(new Uint8Array(Math.max(256, helloFrameLength(this.nodeName, this.helloZones))));
    const o = this.options;
    this.tickMs = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, Math.min(o.intervalMs, o.timeoutMs / 4, o.connectTimeoutMs / 4, o.connectRetryIntervalMs / 2)));
    this.onSkip = (skipped) => this.log.error({ ...skipped }, `zone_sync record of zone "${skipped.zone}" with a ${skipped.keyLength}-byte key does not fit zone_sync_buffers, not synced`);
    this.roundCallback = () => this.onRoundTimer();
    this.tickCallback = () => this.onTick();
  }

  get zoneNames(): string[] {
    return this.zones.map((z) => z.name);
  }

  /** The bound listen address (with the real port when the option said port 0), or null. */
  get listenAddress(): string | null {
    return this.listener?.address ?? null;
  }

  get running(): boolean {
    return this.state === SYNC_STATE_RUNNING;
  }

  /** Listens, dials every server, starts rounds and housekeeping. */
  async start(): Promise<void> {
    if (this.state !== SYNC_STATE_STARTING) throw new Error('SyncEngine.start() called twice');
    if (this.options.listen !== null) {
      this.listener = await this.transport.listen(this.options.listen, (connection) => this.accept(connection), this.listenHooks);
      this.info({ listen: this.listener.address }, 'zone_sync listening');
    }
    this.setState(SYNC_STATE_RUNNING);
    this.setServers(this.options.servers);
    this.roundTimer = this.timers.setTimer(this.roundCallback, this.options.intervalMs);
    this.tickTimer = this.timers.setTimer(this.tickCallback, this.tickMs);
  }

  /**
   * Replaces the list of addresses to dial (zone_sync_server; a reload, or DNS discovery):
   * new ones are dialled now, vanished ones are closed and forgotten. Addresses are dialled
   * as written (names are not resolved here, `resolve` is ignored: see discovery.ts); the
   * first spec of an address sets its host name, and an address whose host name changed
   * is redialled.
   */
  /**
   * New zone_sync timings, applied at once: the next round, the next dial and every idle
   * check read them (a HUP changes them without a restart).
   */
  setTimings(timings: SyncTimings): void {
    const intervalChanged = timings.intervalMs !== this.options.intervalMs;
    Object.assign(this.options, timings);
    // A round waiting out the old interval would keep it once more (an hour, say): restart its wait.
    if (intervalChanged && this.roundTimer !== null && !this.roundDeferred) {
      this.timers.clearTimer(this.roundTimer);
      this.roundTimer = this.timers.setTimer(this.roundCallback, this.options.intervalMs);
    }
    this.info({ ...timings }, 'zone_sync timings changed');
  }

  setServers(specs: readonly ServerSpec[]): void {
    const wanted = new Map<string, string | null>();
    for (const spec of specs) {
      const address = typeof spec === 'string' ? spec : spec.address;
      if (!wanted.has(address)) wanted.set(address, typeof spec === 'string' ? null : spec.name ?? null);
    }
    for (const [address, slot] of this.slots) {
      if (wanted.get(address) === slot.hostName) continue;
      this.slots.delete(address);
      slot.peer?.close('removed', true);
      this.info({ peer: address }, 'zone_sync server removed');
    }
    for (const [address, hostName] of wanted) {
      if (this.slots.has(address)) continue;
      const slot: OutboundSlot = { address, hostName, peer: null, lastError: null, self: false, nextDialMs: this.timers.monotonicMs() };
      this.slots.set(address, slot);
      if (this.state === SYNC_STATE_RUNNING) this.dial(slot);
    }
    this.updateOnline();
  }

  /** Runs one round now (tests, benchmarks); false when stopped. */
  roundNow(): boolean {
    if (this.state !== SYNC_STATE_RUNNING) return false;
    this.runRound();
    return true;
  }

  peers(): PeerStatus[] {
    const now = this.timers.monotonicMs();
    const out: PeerStatus[] = [];
    for (const slot of this.slots.values()) {
      if (slot.peer !== null) out.push(slot.peer.status(now, slot.lastError));
      else out.push(idleStatus(slot));
    }
    for (const peer of this.inbound) out.push(peer.status(now, null));
    return out;
  }

  readCounters(): ZoneSyncCounters {
    this.updateZoneCounters();
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
    this.cancelRound();
    if (this.tickTimer !== null) this.timers.clearTimer(this.tickTimer);
    this.tickTimer = null;
    const listenerClosed = this.listener?.close() ?? Promise.resolve();
    if (wasRunning) this.flushForStop();
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
    this.updateZoneCounters();
    this.setState(SYNC_STATE_STOPPED);
    this.info({}, 'zone_sync stopped');
  }

  private flushForStop(): void {
    for (let i = 0; i < STOP_FLUSH_ROUNDS; i++) {
      this.runRound();
      if (!this.zones.some((z) => z.hasMore)) return;
      if (this.openOutbound().every((p) => p.backpressured)) return;
    }
  }

  // --- rounds ----------------------------------------------------------------------------

  private onRoundTimer(): void {
    this.roundTimer = null;
    this.roundDeferred = false;
    if (this.state !== SYNC_STATE_RUNNING) return;
    this.runRound();
    this.scheduleRound();
  }

  /** Next round: at once when a queue had more than the buffers held and peers keep up. */
  private scheduleRound(): void {
    const more = this.zones.some((z) => z.hasMore) && !this.openOutbound().some((p) => p.backpressured);
    if (more) {
      this.roundDeferred = true;
      this.roundTimer = this.timers.defer(this.roundCallback);
    } else {
      this.roundTimer = this.timers.setTimer(this.roundCallback, this.options.intervalMs);
    }
  }

  private cancelRound(): void {
    if (this.roundTimer === null) return;
    if (this.roundDeferred) this.timers.cancelDefer(this.roundTimer);
    else this.timers.clearTimer(this.roundTimer);
    this.roundTimer = null;
  }

  private runRound(): void {
    const nowMs = this.timers.wallMs();
    const tally = this.tally;
    const peers = this.openOutbound();
    if (peers.length === 0) {
      // Nobody to send to: empty the queues without encoding (a peer that connects gets a snapshot).
      for (const zone of this.zones) zone.discardQueued(DISCARD_PER_ROUND);
      this.counters[C_ROUNDS]++;
      this.updateZoneCounters();
      return;
    }
    for (const zone of this.zones) {
      const framesBefore = tally.framesOut;
      const bytes = zone.collect(nowMs, tally, this.onSkip);
      if (bytes === null) continue;
      const frames = tally.framesOut - framesBefore;
      for (const peer of peers) {
        if (!peer.isOpen) continue;
        if (peer.wouldOverflow(bytes.length)) {
          this.slowPeer(peer);
          continue;
        }
        peer.send(bytes, frames);
        zone.heldBy(peer);
      }
    }
    this.counters[C_ROUNDS]++;
    this.flushTally();
    this.updateZoneCounters();
  }

  private slowPeer(peer: PeerConnection): void {
    this.log.warn({ peer: peer.address, bufferedBytes: peer.bufferedBytes, limit: this.options.maxPeerBufferedBytes },
      'zone_sync peer cannot keep up, closing connection (it resyncs by snapshot)');
    peer.close('slow', false);
    this.counters[C_CLOSED_SLOW]++;
  }

  // --- housekeeping ----------------------------------------------------------------------

  private onTick(): void {
    this.tickTimer = null;
    if (this.state !== SYNC_STATE_RUNNING) return;
    const now = this.timers.monotonicMs();
    for (const slot of this.slots.values()) {
      if (slot.peer !== null) slot.peer.housekeeping(now);
      else if (!slot.self && now >= slot.nextDialMs) this.dial(slot);
    }
    for (const peer of this.inbound) peer.housekeeping(now);
    this.tickTimer = this.timers.setTimer(this.tickCallback, this.tickMs);
  }

  private dial(slot: OutboundSlot): void {
    const peer = new PeerConnection(this, 'outbound', slot.address);
    slot.peer = peer;
    try {
      peer.attach(this.transport.dial(slot.address, peer, slot.hostName));
    } catch (error) {
      slot.peer = null;
      slot.nextDialMs = this.timers.monotonicMs() + this.options.connectRetryIntervalMs;
      slot.lastError = (error as Error).message;
      this.counters[C_CONNECT_FAILURES]++;
      this.log.error({ peer: slot.address, error: (error as Error).message }, 'zone_sync cannot dial');
    }
  }

  /** The listener's first question about a new connection: allow / deny (logged as refusals are). */
  private admit(remoteIp: string | undefined, remoteAddress: string): boolean {
    if (this.access.allows(remoteIp)) return true;
    this.counters[C_ACCESS_DENIED]++;
    if (this.logRefusal(remoteAddress, 'denied')) {
      this.log.warn({ node: this.nodeName, peer: remoteAddress }, 'zone_sync connection denied by an access rule, closed');
    }
    return false;
  }

  /** True when a refusal of this host for this reason was not logged in REFUSAL_LOG_INTERVAL_MS. */
  private logRefusal(remoteAddress: string, reason: string): boolean {
    const host = remoteAddress.startsWith('unix:') ? remoteAddress : remoteAddress.slice(0, remoteAddress.lastIndexOf(':'));
    const key = `${host} ${reason}`;
    const now = this.timers.monotonicMs();
    const last = this.refusalsLogged.get(key);
    if (last !== undefined && now - last < REFUSAL_LOG_INTERVAL_MS) return false;
    if (this.refusalsLogged.size >= MAX_REFUSALS_REMEMBERED) this.refusalsLogged.clear();
    this.refusalsLogged.set(key, now);
    return true;
  }

  /**
   * An inbound connection failed its TLS handshake or client certificate check. Logged once
   * per client host and reason every REFUSAL_LOG_INTERVAL_MS (a client retries every
   * zone_sync_connect_retry_interval, from a new port each time); counted every time. A
   * client hanging up in the handshake (a dialer that refused our certificate) is logged at
   * info, as nginx logs "peer closed connection in SSL handshake".
   */
  private refused(remoteAddress: string, error: Error): void {
    this.counters[C_TLS_FAILURES]++;
    const reason = error instanceof ConnectionRefusedError ? error.reason : 'TLS handshake failed';
    if (!this.logRefusal(remoteAddress, reason)) return;
    const fields = { node: this.nodeName, peer: remoteAddress, direction: 'inbound', reason, error: error.message };
    const message = `zone_sync TLS connection from ${remoteAddress} refused: ${reason}`;
    if (reason === HANDSHAKE_HANGUP) this.log.info(fields, message);
    else this.log.error(fields, message);
  }

  /** Records why an outbound connection ended; logs a TLS refusal when its reason is new. */
  private noteOutboundFailure(slot: OutboundSlot, peer: PeerConnection): void {
    const error = peer.closeError;
    let text: string | null = null;
    if (error instanceof ConnectionRefusedError) text = `TLS: ${error.message}`;
    else if (error !== null) text = error.message;
    else if (peer.connectedSinceMs === 0 && peer.closeReason === 'peer') text = 'closed by the peer before the HELLO exchange';
    if (text === null) return;
    const previous = slot.lastError;
    slot.lastError = text;
    if (!(error instanceof ConnectionRefusedError)) return;
    this.counters[C_TLS_FAILURES]++;
    if (previous !== text) {
      this.log.error({ node: this.nodeName, peer: slot.address, direction: 'outbound', reason: error.reason, error: error.message },
        `zone_sync TLS connection to ${slot.address} refused: ${error.reason}`);
    }
  }

  private accept(connection: Connection): PeerConnection {
    const peer = new PeerConnection(this, 'inbound', connection.remoteAddress);
    peer.attach(connection);
    if (this.state !== SYNC_STATE_RUNNING || this.inbound.size >= MAX_INBOUND_CONNECTIONS) {
      if (this.state === SYNC_STATE_RUNNING) this.log.warn({ peer: peer.address, limit: MAX_INBOUND_CONNECTIONS }, 'zone_sync too many inbound connections');
      peer.close('protocol', false);
      return peer;
    }
    this.inbound.add(peer);
    return peer;
  }

  // --- PeerHost ------------------------------------------------------------------------

  zoneForFrame(reader: FrameReader): SyncZone | null {
    for (const zone of this.zones) {
      if (!reader.zoneNameEquals(zone.header.nameBytes)) continue;
      const d = zone.descriptor;
      return reader.moduleTag === d.moduleTag && reader.moduleVersion === d.moduleVersion ? zone : null;
    }
    return null;
  }

  helloFrame(): Uint8Array {
    const w = this.controlWriter;
    w.reset();
    const stamp = this.clock.now();
    w.writeHello(this.nodeId, stamp.ms, stamp.logical, this.nodeName, this.helloZones);
    return w.written().slice();
  }

  pingFrame(): Uint8Array {
    const w = this.controlWriter;
    w.reset();
    const stamp = this.clock.now();
    w.writePing(stamp.ms, stamp.logical);
    return w.written().slice();
  }

  pongFrame(stampMs: number, stampLogical: number): Uint8Array {
    const w = this.controlWriter;
    w.reset();
    w.writePong(stampMs, stampLogical);
    return w.written().slice();
  }

  observe(stampMs: number, stampLogical: number): void {
    this.clock.observe(stampMs, stampLogical);
  }

  flushTally(): void {
    const t = this.tally;
    const c = this.counters;
    if (t.maxStampMs >= 0) this.observe(t.maxStampMs, t.maxStampLogical);
    t.resetStamp();
    c[C_RECORDS_IN] += t.recordsIn;
    c[C_RECORDS_APPLIED] += t.applied;
    c[C_RECORDS_IGNORED] += t.ignored;
    c[C_APPLY_NO_MEMORY] += t.noMemory;
    c[C_RECORDS_SKIPPED] += t.skipped;
    c[C_RECORDS_OUT] += t.recordsOut;
    c[C_RECORDS_TOO_LARGE] += t.tooLarge;
    t.recordsIn = t.applied = t.ignored = t.noMemory = t.skipped = t.recordsOut = t.tooLarge = t.framesOut = 0;
  }

  newSnapshot(): SnapshotSender {
    return new SnapshotSender(this.zones, this.options.buffers.sizeBytes, this.options.snapshotStepRecords, (skipped) => {
      this.counters[C_RECORDS_TOO_LARGE]++;
      this.onSkip(skipped);
    });
  }

  onHandshake(peer: PeerConnection): void {
    if (peer.direction === 'outbound') {
      this.counters[C_CONNECTS]++;
      const slot = this.slots.get(peer.address);
      if (slot !== undefined) slot.lastError = null;
      if (this.openOutbound().length === 1) this.dropQueuedForSnapshot();
    }
    this.info({ peer: peer.address, direction: peer.direction, nodeId: peer.nodeId, nodeName: peer.nodeName }, 'zone_sync connected');
    this.updateOnline();
  }

  onSelf(peer: PeerConnection): void {
    if (peer.direction === 'inbound') {
      // Tell the dialer (ourselves, or a node with our id) so that it stops dialling.
      peer.send(this.helloFrame(), 1);
      return;
    }
    const slot = this.slots.get(peer.address);
    if (slot !== undefined) slot.self = true;
    this.counters[C_SELF_DETECTED]++;
    this.info({ peer: peer.address }, 'zone_sync server is this node, skipped');
  }

  onPeerClosed(peer: PeerConnection): void {
    if (peer.direction === 'inbound') {
      this.inbound.delete(peer);
    } else {
      const slot = this.slots.get(peer.address);
      if (slot !== undefined && slot.peer === peer) {
        slot.peer = null;
        slot.nextDialMs = this.timers.monotonicMs() + this.options.connectRetryIntervalMs;
        this.noteOutboundFailure(slot, peer);
      }
      if (peer.connectedSinceMs === 0 && peer.closeReason !== 'self' && peer.closeReason !== 'stop' && peer.closeReason !== 'removed') {
        this.counters[C_CONNECT_FAILURES]++;
      }
    }
    if (peer.connectedSinceMs !== 0) this.logSession(peer);
    this.updateOnline();
    if (this.allClosed !== null && this.livePeers().length === 0) this.allClosed();
  }

  /**
   * The peer that just completed its HELLO is the only open outbound one, and its snapshot
   * starts now: every record queued at this instant is live (the snapshot carries it, or a
   * newer version, which is queued again) or gone (nothing to send). No other peer reads
   * the queues, so they are emptied here, synchronously, before the snapshot's first step,
   * rather than sent twice. Records written from now on are queued and sent as usual.
   */
  private dropQueuedForSnapshot(): void {
    for (const zone of this.zones) {
      do zone.discardQueued(DISCARD_PER_ROUND);
      while (zone.hasMore);
    }
  }

  /** The access line of a sync session that completed its HELLO, when it ends (as nginx's stream access log). */
  private logSession(peer: PeerConnection): void {
    this.info({
      peer: peer.address, direction: peer.direction, nodeId: peer.nodeId, nodeName: peer.nodeName,
      bytesIn: peer.bytesIn, bytesOut: peer.bytesOut, durationMs: Math.max(0, this.timers.wallMs() - peer.connectedSinceMs),
      reason: peer.closeReason,
    }, 'zone_sync session closed');
  }

  // --- helpers ---------------------------------------------------------------------------

  private openOutbound(): PeerConnection[] {
    const out: PeerConnection[] = [];
    for (const slot of this.slots.values()) if (slot.peer !== null && slot.peer.isOpen) out.push(slot.peer);
    return out;
  }

  private livePeers(): PeerConnection[] {
    const out: PeerConnection[] = [];
    for (const slot of this.slots.values()) if (slot.peer !== null) out.push(slot.peer);
    for (const peer of this.inbound) out.push(peer);
    return out;
  }

  private updateOnline(): void {
    let online = 0;
    for (const slot of this.slots.values()) if (slot.peer?.isOpen) online++;
    let inbound = 0;
    for (const peer of this.inbound) if (peer.isOpen) inbound++;
    this.counters[C_NODES_ONLINE] = online;
    this.counters[C_INBOUND_ONLINE] = inbound;
  }

  private updateZoneCounters(): void {
    for (const zone of this.zones) {
      const stats = zone.zone.stats();
      this.counters[zoneWord(zone.index, Z_RECORDS_TOTAL)] = stats.records;
      this.counters[zoneWord(zone.index, Z_RECORDS_PENDING)] = stats.pending;
    }
  }

  private setState(state: EngineState): void {
    this.state = state;
    this.counters[C_STATE] = state;
  }

  private info(fields: LogFields, message: string): void {
    this.log.info({ node: this.nodeName, ...fields }, message);
  }
}

function idleStatus(slot: OutboundSlot): PeerStatus {
  return {
    address: slot.address, direction: 'outbound', state: slot.self ? 'self' : 'idle', nodeId: -1, nodeName: '',
    connectedSinceMs: 0, rttMs: -1, lastMessageAgeMs: -1, bytesIn: 0, bytesOut: 0, lastError: slot.lastError,
    snapshot: { state: 'none', zonesDone: 0, zonesTotal: 0, records: 0, zone: null },
  };
}

