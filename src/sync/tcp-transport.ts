// Transport over node:net: TCP ("host:port") and unix-domain sockets ("unix:/path").
// Nagle is off: frames are written whole, once per round, and latency matters more.
// SocketConnection and listenSockets serve the TLS transport too (a TLSSocket is a Socket).

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { formatAddress, parseAddress, type Connection, type ConnectionEvents, type ListenHooks, type Listener, type Transport } from './transport.js';

export class SocketConnection implements Connection {
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

  /** Attaches data, drain, error and close; the owner calls events.onOpen itself when dialling. */
  attach(events: ConnectionEvents): void {
    this.events = events;
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => events.onData(chunk));
    socket.on('drain', () => events.onDrain());
    socket.on('error', (error: Error) => {
      if (this.error === null) this.error = error;
    });
    socket.once('close', () => this.events?.onClose(this.error));
  }

  /** Closes with `error` as the reason onClose reports (the first error wins). */
  fail(error: Error): void {
    if (this.error === null) this.error = error;
    this.socket.destroy();
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

export function describeRemote(socket: Socket, fallback: string): string {
  if (socket.remoteAddress !== undefined && socket.remotePort !== undefined) {
    return formatAddress(socket.remoteAddress, socket.remotePort);
  }
  return fallback;
}

class NetListener implements Listener {
  constructor(readonly address: string, private readonly server: Server) {}

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Listens on `address`; every connection the hooks admit goes to `onSocket` with its remote
 * address. A refused one is destroyed before any byte is read, and so is one beyond
 * hooks.maxConnections (by node:net, which counts every socket of the server until it closes).
 */
export function listenSockets(address: string, hooks: ListenHooks | undefined, onSocket: (socket: Socket, remote: string) => void): Promise<Listener> {
  const target = parseAddress(address);
  const server = createServer((socket) => {
    const remote = describeRemote(socket, address);
    if (hooks !== undefined && !hooks.admit(socket.remoteAddress, remote)) {
      socket.destroy();
      return;
    }
    onSocket(socket, remote);
  });
  if (hooks?.maxConnections !== undefined) {
    server.maxConnections = hooks.maxConnections;
    server.on('drop', (dropped?: { remoteAddress?: string; remotePort?: number }) => {
      const remote = dropped?.remoteAddress !== undefined && dropped.remotePort !== undefined
        ? formatAddress(dropped.remoteAddress, dropped.remotePort) : address;
      hooks.overLimit?.(remote);
    });
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const onListening = (): void => {
      server.off('error', reject);
      const bound = server.address();
      const actual = bound !== null && typeof bound === 'object' ? formatAddress(bound.address, bound.port) : address;
      resolve(new NetListener(actual, server));
    };
    if ('path' in target) server.listen(target.path, onListening);
    else server.listen(target.port, target.host, onListening);
  });
}

export function connectSocket(address: string): Socket {
  const target = parseAddress(address);
  return 'path' in target ? createConnection({ path: target.path }) : createConnection({ host: target.host, port: target.port });
}

export class TcpTransport implements Transport {
  dial(address: string, events: ConnectionEvents): Connection {
    const socket = connectSocket(address);
    const connection = new SocketConnection(socket, address);
    connection.attach(events);
    socket.once('connect', () => events.onOpen());
    return connection;
  }

  listen(address: string, accept: (connection: Connection) => ConnectionEvents, hooks?: ListenHooks): Promise<Listener> {
    return listenSockets(address, hooks, (socket, remote) => {
      const connection = new SocketConnection(socket, remote);
      connection.attach(accept(connection));
    });
  }
}
