// One sync connection, dialled (outbound) or accepted (inbound), and the protocol on it.
//
//   outbound: connecting ──onOpen/send HELLO──▶ handshake ──HELLO──▶ open (snapshot, rounds, PING)
//   inbound:              handshake ──HELLO/reply HELLO──▶ open (merge records, answer PING)
//   any state ──close()──▶ closing ──onClose──▶ gone (the engine redials outbound addresses)
//
// A HELLO carrying our own node id means we dialled ourselves: the connection closes and
// the engine never redials that address. Data before the HELLO exchange, or a second HELLO,
// breaks the protocol's order and closes the connection; so does any malformed frame.

import {
  CONTROL_HELLO, CONTROL_PING, CONTROL_PONG, CONTROL_SNAPSHOT_BEGIN, CONTROL_SNAPSHOT_END,
  FRAME_CONTROL, FRAME_DATA, FRAME_MALFORMED, FRAME_NEED_MORE, FRAME_UNKNOWN, FrameReader,
  type ControlMessage,
} from './protocol/index.js';
import {
  C_BYTES_IN, C_BYTES_OUT, C_CLOSED_IDLE, C_CLOSED_SLOW, C_FRAMES_UNKNOWN, C_MALFORMED, C_MSGS_IN, C_MSGS_OUT,
  C_PROTOCOL_ERRORS, C_SNAPSHOTS_RECEIVED, C_SNAPSHOTS_SENT,
} from './counters.js';
import { DEFAULT_MAX_DRIFT_MS } from '../clock.js';
import type { SharedHybridClock } from '../shared-clock.js';
import type { ControlFrames } from './control-frames.js';
import type { LogFields, SyncLogger } from './logger.js';
import type { SyncOptions } from './options.js';
import type { SnapshotSender } from './snapshot.js';
import type { ByteHolder } from './round-buffers.js';
import type { SyncedZones } from './synced-zones.js';
import type { SyncTimers, TimerHandle } from './timers.js';
import type { Connection, ConnectionEvents } from './transport.js';
import { noRecordsRefused, type PeerDirection, type PeerState, type PeerStatus, type RecordsRefused } from './types.js';
import type { SyncZone } from './sync-zone.js';

/** What a peer connection needs from its engine. */
export interface PeerHost {
  readonly nodeId: number;
  readonly options: SyncOptions;
  readonly timers: SyncTimers;
  readonly log: SyncLogger;
  readonly counters: Float64Array;
  /** The node's clock: HLC receive of the stamps of HELLO and PING. */
  readonly clock: SharedHybridClock;
  readonly frames: ControlFrames;
  /** Where data frames merge, and snapshots come from. */
  readonly zones: SyncedZones;
  onHandshake(peer: PeerConnection): void;
  onSelf(peer: PeerConnection): void;
  onPeerClosed(peer: PeerConnection): void;
}

/**
 * A dialer PINGs when it has sent or received nothing for zone_sync_timeout ÷ this, whatever
 * zone_sync_interval is. With the housekeeping tick at most a quarter of the timeout, the
 * listener hears from the dialer, and the dialer gets a PONG, well within the timeout
 * (1/3 + 1/4 of it, plus the round trip): an idle healthy link never times out.
 */
export const KEEPALIVES_PER_TIMEOUT = 3;

export type CloseReason = 'connect-timeout' | 'idle' | 'slow' | 'malformed' | 'protocol' | 'self' | 'removed' | 'stop' | 'peer';

/**
 * Every field is private: the engine's parts read a peer through the getters below and
 * change it only through its methods (attach, send, housekeeping, close) and the
 * transport's events.
 */
export class PeerConnection implements ConnectionEvents, ByteHolder {
  private readonly host: PeerHost;
  readonly direction: PeerDirection;
  /** Configured address (outbound) or remote address (inbound). */
  readonly address: string;
  private connection: Connection | null = null;
  private phase: PeerState;
  private readonly reader: FrameReader;
  private remoteNodeId = -1;
  private remoteNodeName = '';
  private openedAtMs = 0;
  /** Wall-clock ms when the connection was accepted or the dial began. */
  readonly startedAtMs: number;
  private rttMs = -1;
  /** Monotonic ms: connect deadline, last byte in, last write, last PING, last write progress. */
  private readonly deadlineMs: number;
  private lastRecvMs: number;
  private lastSendMs: number;
  private lastPingMs = -Infinity;
  private lastProgressMs: number;
  private flushedMark = 0;
  private received = 0;
  private sent = 0;
  private framesIn = 0;
  private framesOut = 0;
  /**
   * The node's bytes_* and msgs_* count this connection's traffic: from its HELLO exchange on,
   * the exchange included. A connection to this node itself, or one refused or broken before
   * the exchange completes, is no traffic of the cluster's and never counted.
   */
  private counted = false;
  /**
   * A PING that came while earlier bytes still waited in the transport: its stamp, answered
   * by one PONG once they have left (a PING that comes meanwhile replaces it). So a peer that
   * PINGs and never reads makes this end hold one PONG, not one per PING.
   */
  private pongOwed = false;
  private owedPongMs = 0;
  private owedPongLogical = 0;
  private endReason: CloseReason | null = null;
  /** The transport reported the close: it holds none of the bytes written to it any more. */
  private transportClosed = false;
  /** What ended the connection, for logs and peer status: the transport's error, or null. */
  private endError: Error | null = null;
  /** Why this end closed the connection for a fault (a timeout, a bad frame), in words; null otherwise. */
  private endDetail: string | null = null;
  // Snapshot sent (outbound) or received (inbound).
  private snapshot: SnapshotSender | null = null;
  private snapshotDone = false;
  private snapshotTask: TimerHandle | null = null;
  private snapshotWaitsForDrain = false;
  private snapshotInZone: string | null = null;
  private snapshotInZonesDone = 0;
  private snapshotInRecords = 0;
  private readonly pumpSnapshot: () => void;
  /** Records this peer sent, and those refused here by reason; each reason logged once per connection. */
  private recordsIn = 0;
  private readonly refused: RecordsRefused = noRecordsRefused();
  private readonly refusalsLogged = new Set<keyof RecordsRefused>();
  private clockOffsetMs: number | null = null;
  private clockWarned = false;

  constructor(host: PeerHost, direction: PeerDirection, address: string) {
    this.host = host;
    this.direction = direction;
    this.address = address;
    this.startedAtMs = host.timers.wallMs();
    this.phase = direction === 'outbound' ? 'connecting' : 'handshake';
    this.reader = new FrameReader(host.options.recvBufferSizeBytes);
    const now = host.timers.monotonicMs();
    this.deadlineMs = now + host.options.connectTimeoutMs;
    this.lastRecvMs = now;
    this.lastSendMs = now;
    this.lastProgressMs = now;
    this.pumpSnapshot = () => {
      this.snapshotTask = null;
      this.sendSnapshotSteps();
    };
  }

  /**
   * Gives the peer its transport connection: once, right after the dial or the accept (a
   * dial needs the peer, as its events, before the connection exists).
   */
  attach(connection: Connection): void {
    if (this.connection !== null) throw new Error('PeerConnection.attach: a connection is attached already');
    this.connection = connection;
  }

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  /** The node id its HELLO gave, or -1 before it. */
  get nodeId(): number {
    return this.remoteNodeId;
  }

  get nodeName(): string {
    return this.remoteNodeName;
  }

  /** Wall-clock ms when the HELLO exchange completed; 0 while it has not. */
  get connectedSinceMs(): number {
    return this.openedAtMs;
  }

  get bytesIn(): number {
    return this.received;
  }

  /** Bytes written to the transport so far (ByteHolder). */
  get bytesOut(): number {
    return this.sent;
  }

  /** Bytes written and not yet taken by the transport. */
  get bufferedBytes(): number {
    return this.connection?.bufferedBytes ?? 0;
  }

  /** Why the connection was closed, or null while it is not. */
  get closeReason(): CloseReason | null {
    return this.endReason;
  }

  /** The transport's error that ended the connection, or null. */
  get closeError(): Error | null {
    return this.endError;
  }

  /** Why this end closed the connection for a fault, in words ("timed out connecting"), or null. */
  get closeDetail(): string | null {
    return this.endDetail;
  }

  /**
   * An outbound connection that has not completed its HELLO exchange leaves the log line
   * about its failure to its slot, which writes one per address and reason (refusal-log.ts):
   * an unreachable server is redialled every zone_sync_connect_retry_interval.
   */
  private get failureLoggedBySlot(): boolean {
    return this.direction === 'outbound' && this.openedAtMs === 0;
  }

  // --- transport events ------------------------------------------------------------------

  onOpen(): void {
    if (this.phase !== 'connecting') return;
    this.phase = 'handshake';
    this.send(this.host.frames.hello(), 1);
  }

  onData(chunk: Uint8Array): void {
    if (this.phase === 'closing') return;
    const host = this.host;
    this.received += chunk.length;
    if (this.counted) host.counters[C_BYTES_IN] += chunk.length;
    this.lastRecvMs = host.timers.monotonicMs();
    const reader = this.reader;
    let at = 0;
    while (at < chunk.length) {
      at += reader.append(chunk, at);
      if (!this.drainFrames()) return;
    }
    host.zones.flushTally();
  }

  onDrain(): void {
    this.noteProgress(this.host.timers.monotonicMs());
    this.payOwedPong();
    if (this.snapshotWaitsForDrain) {
      this.snapshotWaitsForDrain = false;
      this.scheduleSnapshot();
    }
  }

  onClose(error: Error | null): void {
    this.transportClosed = true;
    this.cancelSnapshot();
    this.phase = 'closing';
    if (this.endReason === null) this.endReason = 'peer';
    this.endError = error;
    if (error !== null && !this.failureLoggedBySlot) {
      this.host.log.info({ peer: this.address, error: error.message }, 'zone_sync connection failed');
    }
    this.host.onPeerClosed(this);
  }

  // --- frames ------------------------------------------------------------------------------

  /** Handles every complete frame; false once the connection is being closed. */
  private drainFrames(): boolean {
    const reader = this.reader;
    const counters = this.host.counters;
    for (let kind = reader.next(); kind !== FRAME_NEED_MORE; kind = reader.next()) {
      if (kind === FRAME_MALFORMED) {
        counters[C_MALFORMED]++;
        const failure = reader.failure!;
        this.fail('malformed', `malformed frame: ${failure.reason}`, { reason: failure.reason, detail: failure.detail }, 'zone_sync malformed frame, closing connection');
        return false;
      }
      this.framesIn++;
      if (this.counted) counters[C_MSGS_IN]++;
      if (kind === FRAME_DATA) {
        if (!this.isOpen) return this.protocolError('data frame before the HELLO exchange');
        const zone = this.host.zones.zoneForFrame(reader);
        if (zone === null) counters[C_FRAMES_UNKNOWN]++;
        else this.merge(zone, reader);
        if (this.snapshotInZone !== null) this.snapshotInRecords += reader.recordCount;
      } else if (kind === FRAME_CONTROL) {
        if (!this.handleControl(reader.control!)) return false;
      } else if (kind === FRAME_UNKNOWN) {
        counters[C_FRAMES_UNKNOWN]++;
      }
      if (this.phase === 'closing') return false;
    }
    return true;
  }

  private handleControl(message: ControlMessage): boolean {
    const host = this.host;
    switch (message.type) {
      case CONTROL_HELLO:
        if (this.phase !== 'handshake') return this.protocolError('unexpected HELLO');
        host.clock.observe(message.stampMs, message.stampLogical);
        this.noteClock(message.stampMs);
        this.remoteNodeId = message.nodeId;
        this.remoteNodeName = message.nodeName;
        if (message.nodeId === host.nodeId) {
          host.onSelf(this);
          // Inbound: our HELLO (just sent) must reach the dialer, so that it stops dialling.
          this.close('self', this.direction === 'inbound');
          return false;
        }
        this.startCounting();
        if (this.direction === 'inbound') this.send(host.frames.hello(), 1);
        this.phase = 'open';
        this.openedAtMs = host.timers.wallMs();
        host.onHandshake(this);
        if (this.direction === 'outbound') this.startSnapshot();
        return true;
      case CONTROL_PING:
        if (!this.isOpen) return this.protocolError('PING before the HELLO exchange');
        host.clock.observe(message.stampMs, message.stampLogical);
        this.noteClock(message.stampMs);
        this.answerPing(message.stampMs, message.stampLogical);
        return true;
      case CONTROL_PONG:
        if (this.lastPingMs !== -Infinity) this.rttMs = host.timers.monotonicMs() - this.lastPingMs;
        return true;
      case CONTROL_SNAPSHOT_BEGIN:
        this.snapshotInZone = message.zoneName;
        return true;
      case CONTROL_SNAPSHOT_END:
        this.snapshotInZone = null;
        this.snapshotInZonesDone++;
        host.counters[C_SNAPSHOTS_RECEIVED]++;
        return true;
    }
  }

  /** Merges a data frame, counting what this peer sent and what was refused of it. */
  private merge(zone: SyncZone, reader: FrameReader): void {
    const t = this.host.zones.tally;
    const recordsIn = t.recordsIn;
    const future = t.future;
    const invalid = t.invalid;
    const noMemory = t.noMemory;
    const skipped = t.skipped;
    zone.merge(reader, this.host.timers.wallMs(), t);
    this.recordsIn += t.recordsIn - recordsIn;
    this.noteRefused('future', t.future - future, zone.name);
    this.noteRefused('invalid', t.invalid - invalid, zone.name);
    this.noteRefused('noRoom', t.noMemory - noMemory, zone.name);
    this.noteRefused('skipped', t.skipped - skipped, zone.name);
  }

  private noteRefused(reason: keyof RecordsRefused, count: number, zone: string): void {
    if (count === 0) return;
    this.refused[reason] += count;
    if (this.refusalsLogged.has(reason)) return;
    this.refusalsLogged.add(reason);
    const why = {
      future: `stamped more than ${DEFAULT_MAX_DRIFT_MS} ms ahead of this node's wall clock (is the peer's clock right?)`,
      invalid: 'that no local write could have made (an empty key, a malformed address)',
      noRoom: 'for which the zone has no room',
      skipped: 'expired on arrival or larger than the zone can hold',
    }[reason];
    this.host.log.warn({ peer: this.address, zone, reason }, `zone_sync peer sent records ${why}: refused (counted in its status; logged once per connection)`);
  }

  /** The peer's clock, from a HELLO or PING stamp: its offset, and a warning once when past the guard. */
  private noteClock(stampMs: number): void {
    const offset = stampMs - this.host.timers.wallMs();
    this.clockOffsetMs = offset;
    if (this.clockWarned || Math.abs(offset) <= DEFAULT_MAX_DRIFT_MS) return;
    this.clockWarned = true;
    this.host.log.warn({ peer: this.address, clockOffsetMs: Math.round(offset) },
      `zone_sync peer's clock is ${Math.round(Math.abs(offset) / 1000)} s ${offset > 0 ? 'ahead of' : 'behind'} this node's wall clock: records stamped more than ${DEFAULT_MAX_DRIFT_MS} ms ahead of it are refused`);
  }

  private protocolError(what: string): boolean {
    this.host.counters[C_PROTOCOL_ERRORS]++;
    this.fail('protocol', what, { state: this.phase }, `zone_sync ${what}, closing connection`);
    return false;
  }

  // --- sending -------------------------------------------------------------------------

  /** Writes bytes holding `frames` frames; the bytes are the transport's from now on. */
  send(bytes: Uint8Array, frames: number): void {
    const connection = this.connection;
    if (connection === null || this.phase === 'closing' || bytes.length === 0) return;
    if (connection.bufferedBytes === 0) this.noteProgress(this.host.timers.monotonicMs());
    connection.write(bytes);
    this.sent += bytes.length;
    this.framesOut += frames;
    if (this.counted) {
      const counters = this.host.counters;
      counters[C_BYTES_OUT] += bytes.length;
      counters[C_MSGS_OUT] += frames;
    }
    this.lastSendMs = this.host.timers.monotonicMs();
  }

  /** Writes buffers in order that together hold `frames` frames (a snapshot's or a relay's step). */
  sendChunks(chunks: readonly Uint8Array[], frames: number): void {
    const last = chunks.length - 1;
    for (let i = 0; i <= last; i++) this.send(chunks[i]!, i === last ? frames : 0);
  }

  /** The HELLO exchange completed with another node: what the connection carried so far, and all it carries from now on, is counted. */
  private startCounting(): void {
    const counters = this.host.counters;
    counters[C_BYTES_IN] += this.received;
    counters[C_MSGS_IN] += this.framesIn;
    counters[C_BYTES_OUT] += this.sent;
    counters[C_MSGS_OUT] += this.framesOut;
    this.counted = true;
  }

  /**
   * Bytes of the stream, from the start, the transport no longer holds: sent, or dropped
   * when it closed. Writes complete in order, so these are the first bytesOut − buffered.
   */
  releasedBytes(): number {
    const connection = this.connection;
    if (connection === null || this.transportClosed) return Number.POSITIVE_INFINITY;
    return this.sent - connection.bufferedBytes;
  }

  /** True when a regular round of `bytes` more would overflow this peer's bound. */
  wouldOverflow(bytes: number): boolean {
    const connection = this.connection;
    return connection !== null && connection.bufferedBytes + bytes > this.host.options.maxPeerBufferedBytes;
  }

  get backpressured(): boolean {
    const connection = this.connection;
    return connection !== null && connection.bufferedBytes >= this.host.options.maxPeerBufferedBytes / 4;
  }

  /** A PONG now, or, while earlier bytes wait in the transport, owed until they have left. */
  private answerPing(stampMs: number, stampLogical: number): void {
    if (this.bufferedBytes === 0) {
      this.send(this.host.frames.pong(stampMs, stampLogical), 1);
      return;
    }
    this.pongOwed = true;
    this.owedPongMs = stampMs;
    this.owedPongLogical = stampLogical;
  }

  /** Sends the owed PONG once the transport holds nothing (on drain, or the next housekeeping). */
  private payOwedPong(): void {
    if (!this.pongOwed || this.bufferedBytes !== 0 || !this.isOpen) return;
    this.pongOwed = false;
    this.send(this.host.frames.pong(this.owedPongMs, this.owedPongLogical), 1);
  }

  private sendPing(): void {
    this.lastPingMs = this.host.timers.monotonicMs();
    this.send(this.host.frames.ping(), 1);
  }

  // --- snapshot --------------------------------------------------------------------------

  private startSnapshot(): void {
    this.snapshot = this.host.zones.newSnapshot();
    this.snapshotDone = false;
    this.sendSnapshotSteps();
  }

  private scheduleSnapshot(): void {
    if (this.snapshotTask === null && this.snapshot !== null && this.isOpen) {
      this.snapshotTask = this.host.timers.defer(this.pumpSnapshot);
    }
  }

  /** A few steps, then yield: reads and rounds run between them. Pauses on back-pressure. */
  private sendSnapshotSteps(): void {
    const snapshot = this.snapshot;
    if (snapshot === null || !this.isOpen) return;
    for (let steps = 0; steps < 4; steps++) {
      if (this.backpressured) {
        this.snapshotWaitsForDrain = true;
        return;
      }
      const framesBefore = snapshot.frames;
      const chunks = snapshot.next();
      if (chunks === null) break;
      this.sendChunks(chunks, snapshot.frames - framesBefore);
      if (this.phase === 'closing') return;
      if (snapshot.done) break;
    }
    if (snapshot.done) {
      this.snapshotDone = true;
      this.host.counters[C_SNAPSHOTS_SENT]++;
      this.host.log.info({ peer: this.address, records: snapshot.recordsSent }, 'zone_sync snapshot sent');
      return;
    }
    this.scheduleSnapshot();
  }

  private cancelSnapshot(): void {
    if (this.snapshotTask !== null) this.host.timers.cancelDefer(this.snapshotTask);
    this.snapshotTask = null;
    this.snapshotWaitsForDrain = false;
  }

  // --- timers ------------------------------------------------------------------------------

  private noteProgress(nowMs: number): void {
    this.lastProgressMs = nowMs;
    const connection = this.connection;
    this.flushedMark = connection === null ? this.sent : this.sent - connection.bufferedBytes;
  }

  /** The engine's periodic check: deadlines, idleness, stuck writes, PING. */
  housekeeping(nowMs: number): void {
    const options = this.host.options;
    if (this.phase === 'connecting' || this.phase === 'handshake') {
      if (nowMs >= this.deadlineMs) {
        const detail = this.phase === 'connecting' ? 'timed out connecting' : 'timed out in the HELLO exchange';
        this.fail('connect-timeout', detail, { state: this.phase }, 'zone_sync connect timed out');
      }
      return;
    }
    if (this.phase !== 'open') return;
    if (nowMs - this.lastRecvMs >= options.timeoutMs) {
      this.host.counters[C_CLOSED_IDLE]++;
      this.fail('idle', 'timed out: nothing received', { idleMs: Math.round(nowMs - this.lastRecvMs) }, 'zone_sync connection timed out');
      return;
    }
    if (this.writesStuck(nowMs)) {
      this.host.counters[C_CLOSED_SLOW]++;
      this.fail('slow', 'the peer does not read', { bufferedBytes: this.bufferedBytes }, 'zone_sync peer does not read, closing connection');
      return;
    }
    this.payOwedPong();
    const keepAliveMs = options.timeoutMs / KEEPALIVES_PER_TIMEOUT;
    if (this.direction === 'outbound' && nowMs - this.lastPingMs >= keepAliveMs
      && (nowMs - this.lastSendMs >= keepAliveMs || nowMs - this.lastRecvMs >= keepAliveMs)) {
      this.sendPing();
    }
  }

  /** Bytes wait in the transport and none has left for zone_sync_timeout. */
  private writesStuck(nowMs: number): boolean {
    const connection = this.connection;
    if (connection === null) return false;
    const buffered = connection.bufferedBytes;
    if (buffered === 0) {
      this.noteProgress(nowMs);
      return false;
    }
    const flushed = this.sent - buffered;
    if (flushed > this.flushedMark) {
      this.flushedMark = flushed;
      this.lastProgressMs = nowMs;
      return false;
    }
    return nowMs - this.lastProgressMs >= this.host.options.timeoutMs;
  }

  /** Closes the connection at once for a fault: `detail` says why (closeDetail), the line is logged unless the slot logs it. */
  private fail(reason: CloseReason, detail: string, fields: LogFields, message: string): void {
    if (this.endDetail === null) this.endDetail = detail;
    if (!this.failureLoggedBySlot) this.host.log.warn({ peer: this.address, ...fields }, message);
    this.close(reason, false);
  }

  /** Closes the connection (gracefully: queued bytes are sent first). onClose follows. */
  close(reason: CloseReason, graceful: boolean): void {
    if (this.endReason === null) this.endReason = reason;
    this.cancelSnapshot();
    const connection = this.connection;
    const wasClosing = this.phase === 'closing';
    this.phase = 'closing';
    if (connection === null || (wasClosing && graceful)) return;
    if (graceful) connection.end();
    else connection.destroy();
  }

  status(nowMs: number, lastError: string | null): PeerStatus {
    const outbound = this.direction === 'outbound';
    const snapshot = this.snapshot;
    const connected = this.phase === 'open' || this.phase === 'handshake';
    return {
      address: this.address,
      direction: this.direction,
      state: this.phase,
      nodeId: this.remoteNodeId,
      nodeName: this.remoteNodeName,
      connectedSinceMs: this.openedAtMs,
      rttMs: this.rttMs,
      lastMessageAgeMs: connected ? Math.max(0, Math.round(nowMs - this.lastRecvMs)) : -1,
      bytesIn: this.received,
      bytesOut: this.sent,
      lastError,
      snapshot: outbound
        ? {
          state: snapshot === null ? 'none' : this.snapshotDone ? 'done' : 'sending',
          zonesDone: snapshot?.zonesDone ?? 0,
          zonesTotal: snapshot?.zonesTotal ?? 0,
          records: snapshot?.recordsSent ?? 0,
          zone: snapshot?.zoneName ?? null,
        }
        : {
          state: this.snapshotInZone !== null ? 'receiving' : this.snapshotInZonesDone > 0 ? 'done' : 'none',
          zonesDone: this.snapshotInZonesDone,
          zonesTotal: -1,
          records: this.snapshotInRecords,
          zone: this.snapshotInZone,
        },
      recordsIn: this.recordsIn,
      recordsRefused: { ...this.refused },
      clockOffsetMs: this.clockOffsetMs === null ? null : Math.round(this.clockOffsetMs),
    };
  }
}
