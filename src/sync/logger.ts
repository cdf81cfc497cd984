// The sync thread's logging seam: the one every thread of the node uses
// (src/thread-logger.ts: pino's shape, fields first), and the sessions of its listener for
// the access log.

import { noopLogger as noopThreadLogger, type ThreadLogger } from '../thread-logger.js';

export type { LogFields } from '../thread-logger.js';

/**
 * One session of the listener, when it ends: what nginx's stream access log has of a
 * session, for a node's `access_log`.
 */
export interface SyncSession {
  /** The client's address as accepted: "ip:port", or "unix:…". */
  readonly remoteAddress: string;
  /** The listen address that accepted it. */
  readonly serverAddress: string;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Wall-clock ms of the accept and of the close. */
  readonly startMs: number;
  readonly endMs: number;
  /** nginx's stream $status: 200, or 400 when the peer broke the protocol. */
  readonly status: number;
  /** The peer's node id and name from its HELLO; -1 and "" when it sent none. */
  readonly peerNodeId: number;
  readonly peerNodeName: string;
}

export interface SyncLogger extends ThreadLogger {
  /** A session of the listener ended (the access log); absent: not logged. */
  session?(session: SyncSession): void;
}

export const noopLogger: SyncLogger = noopThreadLogger;
