// A TCP proxy between two nodes that injects faults: delay, cut, partition (refuse or
// blackhole), and a receiver that stops reading. One proxy carries one direction of dialling
// (dialer → proxy → listener); a test puts one in front of every pair it wants to break.
import { connect, createServer, type Server, type Socket } from 'node:net';

export type PartitionMode = 'cut' | 'blackhole';

interface Pair {
  client: Socket;
  upstream: Socket | null;
}

export class FaultProxy {
  readonly address: string;
  /** Added to every chunk, both directions (order is kept: equal delays fire in order). */
  delayMs = 0;
  /** Connections accepted, ever. */
  accepted = 0;
  private mode: 'pass' | PartitionMode = 'pass';
  private stalled = false;
  private readonly pairs = new Set<Pair>();

  private constructor(private readonly server: Server, address: string, private readonly target: string) {
    this.address = address;
  }

  static async start(target: string): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const proxy = new FaultProxy(server, `127.0.0.1:${port}`, target);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  get connections(): number {
    return this.pairs.size;
  }

  /**
   * cut: drop every connection and refuse new ones; blackhole: keep them, deliver nothing,
   * not even a close (an end that closes is not seen closing by the other).
   */
  partition(mode: PartitionMode = 'cut'): void {
    this.mode = mode;
    if (mode === 'cut') this.cutAll();
  }

  /** Ends the partition; blackholed connections are cut (their bytes are lost). */
  heal(): void {
    const wasBlackhole = this.mode === 'blackhole';
    this.mode = 'pass';
    if (wasBlackhole) this.cutAll();
  }

  /** The receiving side stops reading what the dialer sends: its writes back up. */
  stopReading(): void {
    this.stalled = true;
    for (const pair of this.pairs) pair.client.pause();
  }

  resumeReading(): void {
    this.stalled = false;
    for (const pair of this.pairs) pair.client.resume();
  }

  cutAll(): void {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    client.on('error', () => {});
    if (this.mode === 'cut') {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: null };
    this.pairs.add(pair);
    const drop = () => {
      // A partition carries no FIN or RST either: while blackholed, one side closing leaves
      // the other open (heal() or close() cuts it); each end notices only by its own timeouts.
      const upstreamGone = pair.upstream === null || pair.upstream.destroyed;
      if (this.mode === 'blackhole' && !(client.destroyed && upstreamGone)) return;
      client.destroy();
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    };
    client.on('close', drop);
    if (this.mode === 'blackhole') {
      client.on('data', () => {});
      return;
    }
    const colon = this.target.lastIndexOf(':');
    const upstream = connect({ host: this.target.slice(0, colon), port: Number(this.target.slice(colon + 1)) });
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    upstream.on('error', () => {});
    upstream.on('close', drop);
    client.on('data', (chunk: Buffer) => this.forward(pair, upstream, chunk));
    upstream.on('data', (chunk: Buffer) => this.forward(pair, client, chunk));
    if (this.stalled) client.pause();
  }

  private forward(pair: Pair, to: Socket, chunk: Buffer): void {
    if (this.mode === 'blackhole' || !this.pairs.has(pair)) return;
    if (this.delayMs === 0) {
      to.write(chunk);
      return;
    }
    setTimeout(() => {
      if (this.mode !== 'blackhole' && this.pairs.has(pair)) to.write(chunk);
    }, this.delayMs);
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
