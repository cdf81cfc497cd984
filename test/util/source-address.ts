// A TCP transport that dials from a chosen local address: Linux routes all of 127.0.0.0/8
// to loopback, so dialling from 127.0.0.2 stands for another host in access-rule tests.
import { createConnection } from 'node:net';
import { parseAddress, type Connection, type ConnectionEvents } from '../../dist/sync/index.js';
import { SocketConnection, TcpTransport } from '../../dist/sync/tcp-transport.js';

export class SourceAddressTransport extends TcpTransport {
  constructor(private readonly localAddress: string) {
    super();
  }

  override dial(address: string, events: ConnectionEvents): Connection {
    const target = parseAddress(address);
    if ('path' in target) throw new Error('SourceAddressTransport dials TCP only');
    const socket = createConnection({ host: target.host, port: target.port, localAddress: this.localAddress });
    const connection = new SocketConnection(socket, address);
    connection.attach(events);
    socket.once('connect', () => events.onOpen());
    return connection;
  }
}
