// A cluster member taking over its sync address. A process manager that reloads without
// downtime (`pm2 reload`) starts a member's new process while the old one, with the same
// index, still runs and holds the address: the new one waits for it to go.

import { existsSync, unlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateFileInUseError } from '../zones/keyval/state-lock.js';
import type { MemberPlace } from './cluster-member.js';
import type { Logger } from './logger.js';
import type { ZonesyncNode } from './node.js';

/** The waits between looks at a held address: doubling from the first to the longest. */
const FIRST_RETRY_MS = 50;
const LONGEST_RETRY_MS = 1_000;

export interface TakeOverOptions {
  /** The member's sync address: host:port or unix:path. */
  readonly address: string;
  readonly place: MemberPlace;
  readonly timeoutMs: number;
  /** The service's logger, if it gave one. */
  readonly logger: Logger | null;
  /** The node's own logger, made when there is something to say and the service gave none. */
  readonly defaultLogger: () => Logger;
  /** Starts the node (listening on `address`), with the logger made here if any. */
  readonly start: (logger: Logger | null) => Promise<ZonesyncNode>;
}

/**
 * Starts the node once the member's address is free. While another process holds it,
 * looks again after 50 ms, then twice as long each time up to 1 s, until `timeoutMs` has
 * passed, then fails naming the address. A state file still locked by the process this
 * one waited for is waited for the same way (it is unlocked when that process exits);
 * one locked with the address free belongs to another member, and fails at once.
 */
export async function takeOver(options: TakeOverOptions): Promise<ZonesyncNode> {
  const { address: own, place, timeoutMs, start } = options;
  const deadline = Date.now() + timeoutMs;
  let logger = options.logger;
  let waited = false;
  let retryMs = FIRST_RETRY_MS;
  for (;;) {
    let held: Error | null = null;
    if (await addressFree(own)) {
      try {
        return await start(logger);
      } catch (error) {
        if (!(addressInUse(error) || (waited && error instanceof StateFileInUseError))) throw error;
        held = error as Error; // taken again between the look and the listen, or the previous member's lock
      }
    }
    if (Date.now() >= deadline) {
      if (held instanceof StateFileInUseError) throw held;
      throw new Error(`cluster member ${place.index} of ${place.members} cannot listen on ${own}: it is in use${waited ? ` after ${timeoutMs} ms of waiting` : ''} (another process runs as member ${place.index}, or another program has the address: choose basePort or socketDir)`, { cause: held ?? undefined });
    }
    if (!waited) {
      logger ??= options.defaultLogger();
      logger.warn({ member: place.index, members: place.members, address: own, timeoutMs }, `cluster member ${place.index} of ${place.members}: ${own} is in use; waiting up to ${timeoutMs} ms for the previous member ${place.index} to exit`);
      waited = true;
    }
    await sleep(Math.min(retryMs, Math.max(0, deadline - Date.now())));
    retryMs = Math.min(retryMs * 2, LONGEST_RETRY_MS);
  }
}

function addressInUse(error: unknown): boolean {
  return error instanceof Error && /EADDRINUSE/.test(error.message);
}

/**
 * Whether `address` (host:port, or unix:path) can be listened on now. A unix socket file
 * that no process accepts on is left by a member that died: it is removed, and the
 * address counts as free. A TCP port is tried by listening on it exclusively (in a
 * node:cluster worker too, where a plain listen would be shared through the primary)
 * and closing at once; an error other than EADDRINUSE counts as free, for the node's own
 * listen to report.
 */
export async function addressFree(address: string): Promise<boolean> {
  if (address.startsWith('unix:')) return unixSocketFree(address.slice('unix:'.length));
  const { host, port } = tcpTarget(address);
  return new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'EADDRINUSE'));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function unixSocketFree(path: string): Promise<boolean> {
  if (!existsSync(path)) return true;
  const live = await new Promise<boolean>((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
  if (live) return false;
  try {
    unlinkSync(path);
  } catch {
    // removed meanwhile (the previous member's own cleanup): free either way
  }
  return true;
}

/** A member's TCP address is memberAddresses' `127.0.0.1:PORT`. */
function tcpTarget(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}
