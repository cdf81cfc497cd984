// Transport over node:net: TCP ("host:port") and unix-domain sockets ("unix:/path").
// Nagle is off: frames are written whole, once per round, and latency matters more.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { formatAddress, parseAddress, type Connection, type ConnectionEvents, type Listener, type Transport } from './transport.js';

class TcpConnection implements Connection {
  readonly socket: Socket;
  remoteAddress: string;
  private events: ConnectionEvents | null = null;
  private error: Error | null = null;

  constructor(socket: Socket, remoteAddress: string) {
    this.socket = socket;
    this.remoteAddress = remoteAddress;
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  attach(events: ConnectionEvents, dialled: boolean): void {
    this.events = events;
    const socket = this.socket;
    socket.setNoDelay(true);
    if (dialled) socket.once('connect', () => events.onOpen());
    socket.on('data', (chunk: Buffer) => events.onData(chunk));
    socket.on('drain', () => events.onDrain());
    socket.on('error', (error: Error) => {
      this.error = error;
    });
    socket.once('close', () => this.events?.onClose(this.error));
  }

  write(bytes: Uint8Array): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    return this.socket.write(bytes);
  }

  end(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function describeRemote(socket: Socket, fallback: string): string {
  if (socket.remoteAddress !== undefined && socket.remotePort !== undefined) {
    return formatAddress(socket.remoteAddress, socket.remotePort);
  }
  return fallback;
}

class TcpListener implements Listener {
  constructor(readonly address: string, private readonly server: Server) {}

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export class TcpTransport implements Transport {
  dial(address: string, events: ConnectionEvents): Connection {
    const target = parseAddress(address);
    const socket = 'path' in target ? createConnection({ path: target.path }) : createConnection({ host: target.host, port: target.port });
    const connection = new TcpConnection(socket, address);
    connection.attach(events, true);
    return connection;
  }

  listen(address: string, accept: (connection: Connection) => ConnectionEvents): Promise<Listener> {
    const target = parseAddress(address);
    const server = createServer((socket) => {
      const connection = new TcpConnection(socket, describeRemote(socket, address));
      connection.attach(accept(connection), false);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const onListening = (): void => {
        server.off('error', reject);
        const bound = server.address();
        const actual = bound !== null && typeof bound === 'object' ? formatAddress(bound.address, bound.port) : address;
        resolve(new TcpListener(actual, server));
      };
      if ('path' in target) server.listen(target.path, onListening);
      else server.listen(target.port, target.host, onListening);
    });
  }
}
