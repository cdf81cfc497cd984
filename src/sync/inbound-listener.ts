// The listening side: the zone_sync listener, and the connections it accepts. Allow/deny
// (options.access, net/access.ts) is applied before anything else, TLS included; a denied
// or TLS-refused client goes to the refusal log. Accepted connections merge what their
// peers push; at most MAX_INBOUND_CONNECTIONS are held, and none while the engine is not
// running (before start completes, or once stopping). The transport applies the limit from
// the TCP accept on (TLS handshakes included, transport.ts ListenHooks.maxConnections); the
// listener applies it again to what is handed to it, before it gives a connection anything.

import { AccessList } from '../net/access.js';
import type { EngineContext } from './engine-context.js';
import { PeerConnection, type PeerHost } from './peer.js';
import type { RefusalLog } from './refusal-log.js';
import type { Connection, ConnectionEvents, ListenHooks, Listener, Transport } from './transport.js';
import type { PeerStatus } from './types.js';

/** More inbound connections than this are refused: a bound on what strangers can make us hold. */
export const MAX_INBOUND_CONNECTIONS = 1024;

export class InboundListener {
  private readonly peers = new Set<PeerConnection>();
  private readonly access: AccessList;
  private readonly hooks: ListenHooks;
  private listener: Listener | null = null;

  constructor(
    private readonly ctx: EngineContext,
    private readonly host: PeerHost,
    private readonly transport: Transport,
    private readonly refusals: RefusalLog,
    /** Whether the engine takes connections now. */
    private readonly running: () => boolean,
  ) {
    this.access = new AccessList(ctx.options.access);
    this.hooks = {
      admit: (remoteIp, remoteAddress) => {
        if (this.access.allows(remoteIp)) return true;
        refusals.denied(remoteAddress);
        return false;
      },
      refused: (remoteAddress, error) => refusals.refusedInbound(remoteAddress, error),
      maxConnections: MAX_INBOUND_CONNECTIONS,
      overLimit: (remoteAddress) => refusals.overLimit(remoteAddress, MAX_INBOUND_CONNECTIONS),
    };
  }

  /** The bound address (with the real port when the option said port 0), or null before listen. */
  get address(): string | null {
    return this.listener?.address ?? null;
  }

  async listen(address: string): Promise<void> {
    this.listener = await this.transport.listen(address, (connection) => this.accept(connection), this.hooks);
    this.ctx.info({ listen: this.listener.address }, 'zone_sync listening');
  }

  /** Stops listening; the accepted connections are the engine's to close. */
  close(): Promise<void> {
    return this.listener?.close() ?? Promise.resolve();
  }

  housekeeping(nowMs: number): void {
    for (const peer of this.peers) peer.housekeeping(nowMs);
  }

  /** The peer's connection closed: it is forgotten. */
  closed(peer: PeerConnection): void {
    this.peers.delete(peer);
  }

  openCount(): number {
    let open = 0;
    for (const peer of this.peers) if (peer.isOpen) open++;
    return open;
  }

  /** Every accepted peer not yet closed, appended to `out`. */
  livePeers(out: PeerConnection[]): PeerConnection[] {
    for (const peer of this.peers) out.push(peer);
    return out;
  }

  statuses(nowMs: number, out: PeerStatus[]): PeerStatus[] {
    for (const peer of this.peers) out.push(peer.status(nowMs, null));
    return out;
  }

  /** A new connection: a peer of its own, or, when the engine is not running or the listener is full, closed at once. */
  private accept(connection: Connection): ConnectionEvents {
    const running = this.running();
    if (!running || this.peers.size >= MAX_INBOUND_CONNECTIONS) {
      if (running) this.refusals.overLimit(connection.remoteAddress, MAX_INBOUND_CONNECTIONS);
      connection.destroy();
      return CLOSED_AT_ONCE;
    }
    const peer = new PeerConnection(this.host, 'inbound', connection.remoteAddress);
    peer.attach(connection);
    this.peers.add(peer);
    return peer;
  }
}

/** The events of a connection closed as it was accepted: nothing to do. */
const CLOSED_AT_ONCE: ConnectionEvents = {
  onOpen() {},
  onData() {},
  onDrain() {},
  onClose() {},
};
