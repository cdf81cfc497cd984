import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** The bytes that went through a tunnel, each way. */
export interface TunnelBytes {
  readonly toUpstream: number;
  readonly fromUpstream: number;
}

/**
 * An upgraded connection (101 Switching Protocols), as nginx's ngx_http_upstream_upgrade
 * runs it: the client's connection and the upstream's are joined and bytes pass both ways
 * as they come, each side paused while the other cannot take more. `head`, what the client
 * sent after its request's head, goes first. An end of input on one side is passed on to the
 * other (a half-close); when either connection closes or fails, both are closed. A tunnel
 * with no byte either way for `idleTimeoutMs` (proxy_read_timeout, whose timer nginx renews
 * at every event of the tunnel) is closed. Resolves once both connections are closed.
 */
export function tunnel(client: Duplex, upstream: Socket, head: Buffer, idleTimeoutMs: number): Promise<TunnelBytes> {
  return new Promise((resolve) => {
    let toUpstream = head.length;
    let fromUpstream = 0;
    let open = 2;
    const closed = (): void => {
      client.destroy();
      upstream.destroy();
      if (--open === 0) resolve({ toUpstream, fromUpstream });
    };
    client.once('close', closed);
    upstream.once('close', closed);
    // Errors close both sides through 'close'; listened to so that none is unhandled.
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => { toUpstream += chunk.length; });
    upstream.on('data', (chunk: Buffer) => { fromUpstream += chunk.length; });
    // Every byte is read on one socket and written on the other: the upstream's idle timer sees both directions.
    upstream.setTimeout(idleTimeoutMs, () => upstream.destroy());
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
  });
}
