// Transport over node:tls for the sides that have TLS (zone_sync_ssl for dialling, `listen
// … ssl` for accepting), node:net for the others. Verification is done the way nginx does
// it: OpenSSL verifies but never aborts the handshake (rejectUnauthorized: false); the
// result is checked when the handshake is over, so that every refusal has a reason.
//
//   dial:   TCP connect ─▶ TLS handshake ─▶ verify (zone_sync_ssl_verify on: chain, CRL,
//           name, depth) ─▶ onOpen          any failure: onClose(ConnectionRefusedError)
//   accept: TCP accept ─▶ access rules (hooks.admit) ─▶ TLS handshake ─▶ client
//           certificate (ssl_verify_client) ─▶ accept      failure: hooks.refused, closed

import { isIP, type Socket } from 'node:net';
import { Server as TlsServer, checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { ListenTlsOptions, OutgoingTlsOptions, SyncOptions } from './options.js';
import { SocketConnection, TcpTransport, describeRemote, listenSockets } from './tcp-transport.js';
import { clientTls, peerChainDepth, serverTls, verifyReason, type ClientTls, type ServerTls } from './tls-options.js';
import {
  ConnectionRefusedError, parseAddress, type Connection, type ConnectionEvents, type ListenHooks, type Listener, type Transport,
} from './transport.js';

/** The reason given when the client hangs up during the handshake (as a dialer that refused our certificate does). */
export const HANDSHAKE_HANGUP = 'peer closed the connection in the TLS handshake';
const HANGUP_CODES = new Set(['ECONNRESET', 'EPIPE']);

export class TlsTransport implements Transport {
  private readonly client: ClientTls | null;
  private readonly server: ServerTls | null;
  private readonly tcp = new TcpTransport();

  /** Reads certificates and keys now: a bad file throws here, naming the directive. */
  constructor(outgoing: OutgoingTlsOptions | null, listening: ListenTlsOptions | null) {
    this.client = outgoing === null ? null : clientTls(outgoing);
    this.server = listening === null ? null : serverTls(listening);
  }

  dial(address: string, events: ConnectionEvents, hostName?: string | null): Connection {
    const client = this.client;
    if (client === null) return this.tcp.dial(address, events);
    const target = parseAddress(address);
    const name = client.name ?? hostName ?? ('host' in target ? target.host : null);
    // RFC 6066: no IP address as SNI (nginx skips it too).
    const servername = client.serverName && name !== null && isIP(name) === 0 ? name : undefined;
    const socket = tlsConnect({
      ...('path' in target ? { path: target.path } : { host: target.host, port: target.port }),
      secureContext: client.context,
      rejectUnauthorized: false,
      servername,
      checkServerIdentity: (_host: string, certificate: PeerCertificate) => (name === null ? undefined : checkServerIdentity(name, certificate)),
    });
    const connection = new SocketConnection(socket, address);
    connection.attach(events);
    socket.once('secureConnect', () => {
      const refusal = client.verify ? verifyServer(socket, name, client.verifyDepth) : null;
      if (refusal === null) events.onOpen();
      else connection.fail(refusal);
    });
    return connection;
  }

  listen(address: string, accept: (connection: Connection) => ConnectionEvents, hooks?: ListenHooks): Promise<Listener> {
    const server = this.server;
    if (server === null) return this.tcp.listen(address, accept, hooks);
    // Never listens itself: the net listener hands it the connections the hooks admit.
    const tlsServer = new TlsServer({
      ...server.contextOptions,
      requestCert: server.verifyClient !== 'off',
      rejectUnauthorized: false,
      handshakeTimeout: server.handshakeTimeoutMs,
    });
    // The remote address as seen when the connection arrived: a socket that failed its
    // handshake may no longer know its peer.
    const remotes = new WeakMap<Socket, string>();
    const remoteOf = (socket: TLSSocket): string => {
      const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
      return (raw === undefined ? undefined : remotes.get(raw)) ?? describeRemote(socket, address);
    };
    tlsServer.on('secureConnection', (socket: TLSSocket) => {
      const remote = remoteOf(socket);
      const refusal = verifyClient(socket, server);
      if (refusal !== null) {
        hooks?.refused(remote, refusal);
        socket.destroy();
        return;
      }
      const connection = new SocketConnection(socket, remote);
      connection.attach(accept(connection));
    });
    tlsServer.on('tlsClientError', (error: Error, socket: TLSSocket) => {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      const reason = HANGUP_CODES.has(code) ? HANDSHAKE_HANGUP : 'TLS handshake failed';
      hooks?.refused(remoteOf(socket), new ConnectionRefusedError(reason, `${error.message}${code === '' ? '' : ` (${code})`}`));
    });
    return listenSockets(address, hooks, (socket, remote) => {
      remotes.set(socket, remote);
      tlsServer.emit('connection', socket);
    });
  }
}

/** TLS where the options ask for it, else plain TCP / unix sockets. */
export function transportFor(options: Pick<SyncOptions, 'tls' | 'listenTls'>): Transport {
  return options.tls === null && options.listenTls === null ? new TcpTransport() : new TlsTransport(options.tls, options.listenTls);
}

function verifyServer(socket: TLSSocket, name: string | null, maxDepth: number): ConnectionRefusedError | null {
  if (name === null) return new ConnectionRefusedError('name mismatch', 'no zone_sync_ssl_name to check the certificate of a unix-socket peer against');
  return verifyChain(socket, maxDepth, 'zone_sync_ssl_verify_depth');
}

function verifyClient(socket: TLSSocket, server: ServerTls): ConnectionRefusedError | null {
  if (server.verifyClient === 'off') return null;
  const certificate = socket.getPeerCertificate();
  if (certificate === null || Object.keys(certificate).length === 0) {
    return server.verifyClient === 'on' ? new ConnectionRefusedError('no client certificate', 'ssl_verify_client is on') : null;
  }
  if (server.verifyClient === 'optional_no_ca') return null;
  return verifyChain(socket, server.verifyDepth, 'ssl_verify_depth');
}

function verifyChain(socket: TLSSocket, maxDepth: number, depthDirective: string): ConnectionRefusedError | null {
  if (!socket.authorized) {
    const code = String(socket.authorizationError);
    return new ConnectionRefusedError(verifyReason(code), `certificate verify failed (${code})`);
  }
  const depth = peerChainDepth(socket.getPeerCertificate(true));
  // depth -1: this Node does not show the chain (server side, nodejs/node#65579); OpenSSL
  // has verified it, only its length cannot be checked here.
  if (depth > maxDepth) {
    return new ConnectionRefusedError('chain too deep', `${depth} intermediate CAs, ${depthDirective} is ${maxDepth}`);
  }
  return null;
}
