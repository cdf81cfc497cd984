// Log lines about refused and failed connections, at most one per peer and reason: a client
// an access rule denies, a peer with a bad certificate, a server that is down, all retry
// every zone_sync_connect_retry_interval and must not write a line every time. Every TLS
// refusal and denial is counted.
//
//  - inbound (an access rule denied the client, its TLS handshake or client certificate
//    failed, or the listener was full): logged once per client host and reason every
//    REFUSAL_LOG_INTERVAL_MS; the port is left out, as a client dials from a new port each
//    time;
//  - outbound (any dial that fails before its HELLO exchange: refused, timed out, the peer's
//    certificate refused, our TLS or HELLO refused by the peer, which closes): logged when
//    the reason is new for that address, i.e. differs from the address's previous failure
//    (outbound-slots.ts keeps it, and forgets it when a HELLO exchange completes).
//
// Levels are nginx's: a failed connect to a server is an error ("connect() failed … while
// connecting to upstream", "upstream timed out"), and so is a TLS failure on a connection
// it dialled; a client hanging up in the TLS handshake (a dialer that refused our
// certificate) is logged at info, as nginx logs "peer closed connection in SSL handshake";
// other inbound TLS refusals at error, denials at warn.

import { C_ACCESS_DENIED, C_TLS_FAILURES } from './counters.js';
import type { EngineContext } from './engine-context.js';
import { HANDSHAKE_HANGUP } from './tls-transport.js';
import { ConnectionRefusedError } from './transport.js';

/** An inbound refusal is logged once per client host and reason in this period. */
export const REFUSAL_LOG_INTERVAL_MS = 60_000;
/** Hosts and reasons remembered at most; past this the memory starts over (a few lines more, never unbounded). */
export const MAX_REFUSALS_REMEMBERED = 256;

export class RefusalLog {
  /** "host reason" → monotonic ms of the last line about it. */
  private readonly lastLogged = new Map<string, number>();

  constructor(private readonly ctx: EngineContext) {}

  /** An access rule denied an inbound connection from `remoteAddress` ("ip:port" or "unix:…"). */
  denied(remoteAddress: string): void {
    this.ctx.counters[C_ACCESS_DENIED]++;
    if (!this.firstInInterval(remoteAddress, 'denied')) return;
    this.ctx.log.warn({ node: this.ctx.nodeName, peer: remoteAddress }, 'zone_sync connection denied by an access rule, closed');
  }

  /** An inbound connection was closed at once: the listener holds `limit` connections already. */
  overLimit(remoteAddress: string, limit: number): void {
    if (!this.firstInInterval(remoteAddress, 'over limit')) return;
    this.ctx.log.warn({ node: this.ctx.nodeName, peer: remoteAddress, limit }, 'zone_sync too many inbound connections');
  }

  /** An inbound connection failed its TLS handshake or client certificate check. */
  refusedInbound(remoteAddress: string, error: Error): void {
    this.ctx.counters[C_TLS_FAILURES]++;
    const reason = error instanceof ConnectionRefusedError ? error.reason : 'TLS handshake failed';
    if (!this.firstInInterval(remoteAddress, reason)) return;
    const fields = { node: this.ctx.nodeName, peer: remoteAddress, direction: 'inbound', reason, error: error.message };
    const message = `zone_sync TLS connection from ${remoteAddress} refused: ${reason}`;
    if (reason === HANDSHAKE_HANGUP) this.ctx.log.info(fields, message);
    else this.ctx.log.error(fields, message);
  }

  /**
   * Our connection to `address` failed before its HELLO exchange: `reason` in words, `error`
   * the transport's (a ConnectionRefusedError when we refused the peer's certificate), if
   * any. Logged when `newReason`: the address's previous failure was another.
   */
  outboundFailed(address: string, reason: string, error: Error | null, newReason: boolean): void {
    const refused = error instanceof ConnectionRefusedError;
    if (refused) this.ctx.counters[C_TLS_FAILURES]++;
    if (!newReason) return;
    const fields = { node: this.ctx.nodeName, peer: address, direction: 'outbound', reason: refused ? error.reason : reason };
    if (refused) this.ctx.log.error({ ...fields, error: error.message }, `zone_sync TLS connection to ${address} refused: ${error.reason}`);
    else this.ctx.log.error(fields, `zone_sync connection to ${address} failed: ${reason}`);
  }

  /** True when no refusal of this client host for this reason was logged in REFUSAL_LOG_INTERVAL_MS; notes it. */
  private firstInInterval(remoteAddress: string, reason: string): boolean {
    const portAt = remoteAddress.lastIndexOf(':');
    const host = remoteAddress.startsWith('unix:') || portAt < 0 ? remoteAddress : remoteAddress.slice(0, portAt);
    const key = `${host} ${reason}`;
    const now = this.ctx.timers.monotonicMs();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last < REFUSAL_LOG_INTERVAL_MS) return false;
    if (this.lastLogged.size >= MAX_REFUSALS_REMEMBERED) this.lastLogged.clear();
    this.lastLogged.set(key, now);
    return true;
  }
}
