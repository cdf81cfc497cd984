// The connection seam. The engine sees byte streams with back-pressure, nothing more; the
// TCP transport (tcp-transport.ts) backs them with node:net, the TLS transport
// (tls-transport.ts) with node:tls, and the simulator (test/sim) with a virtual network.

/** What a connection reports to its owner. onClose is called exactly once, last. */
export interface ConnectionEvents {
  /** A dialled connection is established (never called for accepted ones). */
  onOpen(): void;
  onData(chunk: Uint8Array): void;
  /** The transport's buffer, full after a write returned false, has emptied. */
  onDrain(): void;
  onClose(error: Error | null): void;
}

export interface Connection {
  /** The peer's address, for logs ("127.0.0.1:4000", "unix:/run/zs.sock"). */
  readonly remoteAddress: string;
  /**
   * Bytes given to write() and not yet handed to the operating system. Writes complete in
   * order: of all the bytes ever written, the first (total − bufferedBytes) are released.
   */
  readonly bufferedBytes: number;
  /**
   * Queues bytes; false when the transport's buffer is over its mark (onDrain follows).
   * The transport may keep `bytes` until sent: the caller must not change them until
   * bufferedBytes no longer counts them, or onClose.
   */
  write(bytes: Uint8Array): boolean;
  /** Sends what is queued, then closes. */
  end(): void;
  /** Closes at once, dropping what is queued. */
  destroy(): void;
}

export interface Listener {
  /** The bound address; with port 0, the port the system chose. */
  readonly address: string;
  /** Stops accepting; connections already accepted stay open. */
  close(): Promise<void>;
}

/** What a listener asks its owner about connections it has not handed to `accept`. */
export interface ListenHooks {
  /**
   * Called for each new connection before anything else (before a TLS handshake): false
   * closes it at once. `remoteIp` is undefined for a unix-domain client.
   */
  admit(remoteIp: string | undefined, remoteAddress: string): boolean;
  /** A connection failed before it was accepted (TLS handshake or verification): it is closed. */
  refused(remoteAddress: string, error: Error): void;
  /**
   * Connections the listener holds at most, from the TCP accept on (TLS handshakes in
   * progress included); one more is closed at once, before any byte is read or any TLS
   * state is made, and reported to `overLimit`. Undefined: no limit.
   */
  readonly maxConnections?: number;
  overLimit?(remoteAddress: string): void;
}

export interface Transport {
  /**
   * Starts connecting; events arrive on `events`, onOpen first, or onClose on failure.
   * `hostName` is the name the address came from (the default TLS name), if any.
   */
  dial(address: string, events: ConnectionEvents, hostName?: string | null): Connection;
  /** Accepts connections; `accept` returns the events object of each new connection. */
  listen(address: string, accept: (connection: Connection) => ConnectionEvents, hooks?: ListenHooks): Promise<Listener>;
}

/**
 * Why a connection was refused: a TLS verification failure (expired, unknown CA, name
 * mismatch, revoked, chain too deep, no client certificate, …) or an access rule. The
 * transport closes the connection with it; `reason` is short, for logs and peer status.
 */
export class ConnectionRefusedError extends Error {
  readonly reason: string;

  constructor(reason: string, detail: string) {
    super(detail === '' ? reason : `${reason}: ${detail}`);
    this.name = 'ConnectionRefusedError';
    this.reason = reason;
  }
}

export type ParsedAddress = { readonly path: string } | { readonly host: string; readonly port: number };

/** "unix:/path", "host:port" or "[v6]:port"; throws RangeError on anything else. */
export function parseAddress(address: string): ParsedAddress {
  if (address.startsWith('unix:')) {
    const path = address.slice(5);
    if (path.length === 0) throw new RangeError(`empty unix socket path in "${address}"`);
    return { path };
  }
  const colon = address.lastIndexOf(':');
  if (colon <= 0) throw new RangeError(`address "${address}" lacks a port`);
  let host = address.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = address.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) throw new RangeError(`bad port in address "${address}"`);
  if (host.length === 0) throw new RangeError(`address "${address}" lacks a host`);
  return { host, port };
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
