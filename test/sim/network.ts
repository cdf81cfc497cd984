// A simulated network implementing the engine's Transport: ordered byte streams with random
// delay; a lost message cuts the connection (as on TCP); partitions (and links cut between
// two nodes alone) refuse dials and cut connections whose bytes would cross them.
import type { Connection, ConnectionEvents, Listener, Transport } from '../../dist/sync/index.js';
import type { World } from './world.js';

export interface NetworkFaults {
  /** Probability that a write is lost, which cuts its connection. */
  lossRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

class SimEnd implements Connection {
  events: ConnectionEvents | null = null;
  peer: SimEnd | null = null;
  closed = false;
  /** Virtual time the last delivery toward the peer is due: keeps the stream in order. */
  lastDeliveryMs = 0;
  readonly bufferedBytes = 0;

  constructor(private readonly net: SimNetwork, readonly node: string, readonly remoteAddress: string) {}

  write(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    const net = this.net;
    const world = net.world;
    if (world.rng.chance(net.faults.lossRate)) {
      net.cut(this);
      return true;
    }
    const copy = bytes.slice();
    const at = Math.max(this.lastDeliveryMs, world.nowMs + world.rng.int(net.faults.minDelayMs, net.faults.maxDelayMs));
    this.lastDeliveryMs = at;
    world.schedule(at - world.nowMs, () => {
      const peer = this.peer;
      if (this.closed || peer === null || peer.closed) return;
      if (!net.connected(this.node, peer.node)) {
        net.cut(this);
        return;
      }
      peer.events?.onData(copy);
    });
    return true;
  }

  end(): void {
    if (this.closed) return;
    const world = this.net.world;
    // After what is in flight: close both ends.
    world.schedule(Math.max(0, this.lastDeliveryMs - world.nowMs) + 1, () => this.net.cut(this));
  }

  destroy(): void {
    this.net.cut(this);
  }

  closeLocal(): void {
    if (this.closed) return;
    this.closed = true;
    const events = this.events;
    this.net.world.schedule(0, () => events?.onClose(null));
  }
}

export class SimNetwork {
  readonly world: World;
  readonly faults: NetworkFaults;
  private readonly listeners = new Map<string, { node: string; accept: (c: Connection) => ConnectionEvents }>();
  /** Partition group of each node; nodes talk only within a group. */
  private readonly group = new Map<string, number>();
  /** Links cut between two nodes that may still reach others: "a|b" with a < b. */
  private readonly cutLinks = new Set<string>();
  private dialCount = 0;

  constructor(world: World, faults: NetworkFaults) {
    this.world = world;
    this.faults = faults;
  }

  connected(a: string, b: string): boolean {
    return (this.group.get(a) ?? 0) === (this.group.get(b) ?? 0) && !this.cutLinks.has(linkOf(a, b));
  }

  /** Cuts the link between `a` and `b` alone: each still reaches the nodes of its group. */
  cutLink(a: string, b: string): void {
    this.cutLinks.add(linkOf(a, b));
  }

  setGroup(node: string, group: number): void {
    this.group.set(node, group);
  }

  healAll(): void {
    this.group.clear();
    this.cutLinks.clear();
  }

  /** Closes both ends of the connection `end` belongs to. */
  cut(end: SimEnd): void {
    end.closeLocal();
    const peer = end.peer;
    if (peer !== null) this.world.schedule(this.faults.minDelayMs, () => peer.closeLocal());
  }

  /** The transport of node `node` (its address is its name). */
  transport(node: string): Transport {
    return {
      dial: (address, events) => this.dial(node, address, events),
      listen: (address, accept) => {
        this.listeners.set(address, { node, accept });
        const listener: Listener = {
          address,
          close: () => {
            this.listeners.delete(address);
            return Promise.resolve();
          },
        };
        return Promise.resolve(listener);
      },
    };
  }

  private dial(node: string, address: string, events: ConnectionEvents): Connection {
    const client = new SimEnd(this, node, address);
    client.events = events;
    const world = this.world;
    const port = ++this.dialCount;
    world.schedule(world.rng.int(this.faults.minDelayMs, this.faults.maxDelayMs), () => {
      const listener = this.listeners.get(address);
      if (client.closed) return;
      if (listener === undefined || !this.connected(node, listener.node)) {
        client.closeLocal();
        return;
      }
      const server = new SimEnd(this, listener.node, `${node}#${port}`);
      server.peer = client;
      client.peer = server;
      server.events = listener.accept(server);
      events.onOpen();
    });
    return client;
  }
}

function linkOf(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
