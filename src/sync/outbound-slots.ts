// The addresses this node dials (zone_sync_server, or what DNS discovery found), as
// "slots": each holds at most one outbound connection and redials
// zone_sync_connect_retry_interval after it closes, unless the address proved to be this
// node itself (its HELLO carried our node id: never dialled again). A slot remembers why its
// last connection failed (peer status `lastError`), until a HELLO exchange completes; a dial
// that fails before its HELLO exchange (refused, timed out, TLS refused either way, closed
// by the peer) is logged when its reason differs from that (refusal-log.ts), so that an
// unreachable server makes one line per reason, not one per retry.
//
//   idle ──due──▶ dial ──▶ peer (connecting … open) ──closed──▶ idle, next dial in
//   connect_retry_interval;  peer ──HELLO with our id──▶ self (forever)

import { C_CONNECT_FAILURES, C_SELF_DETECTED } from './counters.js';
import { noRecordsRefused } from './types.js';
import type { EngineContext } from './engine-context.js';
import type { ServerSpec } from './options.js';
import { PeerConnection, type PeerHost } from './peer.js';
import type { RefusalLog } from './refusal-log.js';
import { ConnectionRefusedError, type Transport } from './transport.js';
import type { PeerStatus } from './types.js';

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

export class OutboundSlots {
  private readonly slots = new Map<string, OutboundSlot>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly host: PeerHost,
    private readonly transport: Transport,
    private readonly refusals: RefusalLog,
  ) {}

  /**
   * Replaces the list of addresses to dial (zone_sync_server; a reload, or DNS discovery):
   * new ones are dialled now when `dialNow`, else at the next tick; vanished ones are closed
   * and forgotten. Addresses are dialled as written (names are not resolved here, `resolve`
   * is ignored: see discovery.ts); the first spec of an address sets its host name, and an
   * address whose host name changed is redialled.
   */
  replace(specs: readonly ServerSpec[], dialNow: boolean): void {
    const wanted = new Map<string, string | null>();
    for (const spec of specs) {
      const address = typeof spec === 'string' ? spec : spec.address;
      if (!wanted.has(address)) wanted.set(address, typeof spec === 'string' ? null : spec.name ?? null);
    }
    for (const [address, slot] of this.slots) {
      if (wanted.get(address) === slot.hostName) continue;
      this.slots.delete(address);
      slot.peer?.close('removed', true);
      this.ctx.info({ peer: address }, 'zone_sync server removed');
    }
    for (const [address, hostName] of wanted) {
      if (this.slots.has(address)) continue;
      const slot: OutboundSlot = { address, hostName, peer: null, lastError: null, self: false, nextDialMs: this.ctx.timers.monotonicMs() };
      this.slots.set(address, slot);
      if (dialNow) this.dial(slot);
    }
  }

  /** Housekeeping of every open connection; a dial of every idle slot whose retry is due. */
  tick(nowMs: number): void {
    for (const slot of this.slots.values()) {
      if (slot.peer !== null) slot.peer.housekeeping(nowMs);
      else if (!slot.self && nowMs >= slot.nextDialMs) this.dial(slot);
    }
  }

  /** The peer's HELLO exchange completed: its slot's last failure is forgotten. */
  connected(peer: PeerConnection): void {
    const slot = this.slots.get(peer.address);
    if (slot !== undefined) slot.lastError = null;
  }

  /** The peer's HELLO carried our node id: its address is never dialled again. */
  dialledSelf(peer: PeerConnection): void {
    const slot = this.slots.get(peer.address);
    if (slot !== undefined) slot.self = true;
    this.ctx.counters[C_SELF_DETECTED]++;
    this.ctx.info({ peer: peer.address }, 'zone_sync server is this node, skipped');
  }

  /** The peer's connection closed: its slot redials after the retry interval; a failure is noted and counted. */
  closed(peer: PeerConnection): void {
    const slot = this.slots.get(peer.address);
    if (slot !== undefined && slot.peer === peer) {
      slot.peer = null;
      slot.nextDialMs = this.ctx.timers.monotonicMs() + this.ctx.options.connectRetryIntervalMs;
      this.noteFailure(slot, peer);
    }
    const reason = peer.closeReason;
    if (peer.connectedSinceMs === 0 && reason !== 'self' && reason !== 'stop' && reason !== 'removed') {
      this.ctx.counters[C_CONNECT_FAILURES]++;
    }
  }

  /** Every outbound peer whose HELLO exchange completed and that is not closing. */
  openPeers(): PeerConnection[] {
    const out: PeerConnection[] = [];
    for (const slot of this.slots.values()) if (slot.peer !== null && slot.peer.isOpen) out.push(slot.peer);
    return out;
  }

  /** Every outbound peer not yet closed, in any state, appended to `out`. */
  livePeers(out: PeerConnection[]): PeerConnection[] {
    for (const slot of this.slots.values()) if (slot.peer !== null) out.push(slot.peer);
    return out;
  }

  /** The status of every slot, connected or idle, appended to `out`. */
  statuses(nowMs: number, out: PeerStatus[]): PeerStatus[] {
    for (const slot of this.slots.values()) out.push(slot.peer !== null ? slot.peer.status(nowMs, slot.lastError) : idleStatus(slot));
    return out;
  }

  private dial(slot: OutboundSlot): void {
    const peer = new PeerConnection(this.host, 'outbound', slot.address);
    slot.peer = peer;
    try {
      peer.attach(this.transport.dial(slot.address, peer, slot.hostName));
    } catch (error) {
      slot.peer = null;
      slot.nextDialMs = this.ctx.timers.monotonicMs() + this.ctx.options.connectRetryIntervalMs;
      this.ctx.counters[C_CONNECT_FAILURES]++;
      this.failed(slot, (error as Error).message, error as Error);
    }
  }

  /** Records why an outbound connection ended; one that never completed its HELLO exchange goes to the refusal log. */
  private noteFailure(slot: OutboundSlot, peer: PeerConnection): void {
    const text = failureText(peer);
    if (text === null) return;
    if (peer.connectedSinceMs !== 0) slot.lastError = text;
    else this.failed(slot, text, peer.closeError);
  }

  /** A dial failed before its HELLO exchange: remembered, and logged when its reason is new for the slot. */
  private failed(slot: OutboundSlot, text: string, error: Error | null): void {
    const previous = slot.lastError;
    slot.lastError = text;
    this.refusals.outboundFailed(slot.address, text, error, previous !== text);
  }
}

/** Why the peer's connection ended, in words, or null when it ended on purpose or cleanly after its HELLO exchange. */
function failureText(peer: PeerConnection): string | null {
  const error = peer.closeError;
  if (error instanceof ConnectionRefusedError) return `TLS: ${error.message}`;
  if (error !== null) return error.message;
  if (peer.closeDetail !== null) return peer.closeDetail;
  if (peer.connectedSinceMs === 0 && peer.closeReason === 'peer') return 'closed by the peer before the HELLO exchange';
  return null;
}

function idleStatus(slot: OutboundSlot): PeerStatus {
  return {
    address: slot.address, direction: 'outbound', state: slot.self ? 'self' : 'idle', nodeId: -1, nodeName: '',
    connectedSinceMs: 0, rttMs: -1, lastMessageAgeMs: -1, bytesIn: 0, bytesOut: 0, lastError: slot.lastError,
    recordsIn: 0, recordsRefused: noRecordsRefused(), clockOffsetMs: null,
    snapshot: { state: 'none', zonesDone: 0, zonesTotal: 0, records: 0, zone: null },
  };
}
