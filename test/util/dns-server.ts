// A small authoritative DNS server on loopback (UDP, node:dgram, packets by dns-packet) whose
// answers a test changes while nodes resolve through it: A and AAAA records per name, with
// a TTL; NXDOMAIN for unknown names, an empty NOERROR answer for a known name without
// records of the asked type. Counts the queries it answered, per name and type.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
// dns-packet is CommonJS without types: its default export is the codec.
import dnsPacket from 'dns-packet';

interface Question { type: string; name: string }
interface Packet { id?: number; flags?: number; questions?: Question[] }

const codec = dnsPacket as unknown as {
  decode(buffer: Buffer): Packet;
  encode(packet: unknown): Buffer;
  AUTHORITATIVE_ANSWER: number;
};

const RCODE_NXDOMAIN = 3;

export class TestDnsServer {
  private readonly socket: Socket;
  private readonly records = new Map<string, { a: string[]; aaaa: string[]; ttl: number }>();
  readonly queries = new Map<string, number>();
  port = 0;

  private constructor() {
    this.socket = createSocket('udp4');
    this.socket.on('message', (message: Buffer, from: RemoteInfo) => this.answer(message, from));
  }

  /** On a port the system chooses, or on `port` (a server restarted where resolvers expect it). */
  static async start(): Promise<TestDnsServer> {
    return TestDnsServer.startOn(0);
  }

  static async startOn(port: number): Promise<TestDnsServer> {
    const server = new TestDnsServer();
    await new Promise<void>((resolve, reject) => {
      server.socket.once('error', reject);
      server.socket.bind(port, '127.0.0.1', () => resolve());
    });
    server.port = server.socket.address().port;
    return server;
  }

  /** "127.0.0.1:PORT", as the resolver directive and node:dns take it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Replaces the records of `name` (an empty list: the name exists without addresses). */
  set(name: string, a: string[], aaaa: string[] = [], ttl = 1): void {
    this.records.set(name.toLowerCase(), { a: [...a], aaaa: [...aaaa], ttl });
  }

  remove(name: string): void {
    this.records.delete(name.toLowerCase());
  }

  queryCount(name: string, type: 'A' | 'AAAA'): number {
    return this.queries.get(`${name.toLowerCase()} ${type}`) ?? 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(message: Buffer, from: RemoteInfo): void {
    let query: Packet;
    try {
      query = codec.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (question === undefined) return;
    const name = question.name.toLowerCase();
    const key = `${name} ${question.type}`;
    this.queries.set(key, (this.queries.get(key) ?? 0) + 1);
    const entry = this.records.get(name);
    const data = entry === undefined ? [] : question.type === 'A' ? entry.a : question.type === 'AAAA' ? entry.aaaa : [];
    const reply = codec.encode({
      id: query.id,
      type: 'response',
      flags: codec.AUTHORITATIVE_ANSWER | (entry === undefined ? RCODE_NXDOMAIN : 0),
      questions: [question],
      answers: data.map((address) => ({ type: question.type, class: 'IN', name: question.name, ttl: entry!.ttl, data: address })),
    });
    this.socket.send(reply, from.port, from.address);
  }
}
