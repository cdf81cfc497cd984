import net from 'node:net';
import type { HttpConfig, ListenAddress } from '../config/types.js';
import { formatSocketAddress } from '../config/address.js';
import { listenSockets } from './listen-sockets.js';

/**
 * Whether every worker thread can listen on the http block's addresses itself, as nginx's
 * workers do: each thread binds the same TCP addresses with SO_REUSEPORT (net's
 * `reusePort`, Node 22.12+ and 23.1+) and the kernel spreads the connections between them.
 * null when it can, else the reason it cannot:
 *  - Node older than 22.12 (20.x, 22.0–22.11, 23.0) has no `reusePort`: a second thread's
 *    bind fails with EADDRINUSE;
 *  - a platform where SO_REUSEPORT does not spread connections (libuv refuses it there:
 *    macOS, Windows) fails the probe below;
 *  - a unix-socket `listen` cannot be bound twice.
 */
export async function sharedListenUnavailable(config: HttpConfig | null): Promise<string | null> {
  if (!nodeHasReusePort(process.versions.node)) {
    return `Node ${process.versions.node} cannot share a listening socket between threads; reusePort needs Node 22.12+ or 23.1+`;
  }
  for (const { address } of config === null ? [] : listenSockets(config)) {
    if (address.kind === 'unix') return `the unix-socket listen ${formatSocketAddress(address)} cannot be shared between threads`;
  }
  const probeFailure = await probeReusePort();
  if (probeFailure !== null) return `${process.platform} does not share a listening port between threads (${probeFailure})`;
  return null;
}

/** Node versions whose net.Server.listen takes `reusePort`: 22.12+, 23.1+, 24 and later. */
export function nodeHasReusePort(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major === 22) return minor >= 12;
  if (major === 23) return minor >= 1;
  return major >= 24;
}

/** Binds one loopback port twice with reusePort: null when both binds hold, else the error's code. */
async function probeReusePort(): Promise<string | null> {
  const servers: net.Server[] = [];
  try {
    const first = await listen({ port: 0, host: '127.0.0.1', reusePort: true } as net.ListenOptions);
    servers.push(first);
    const port = (first.address() as net.AddressInfo).port;
    servers.push(await listen({ port, host: '127.0.0.1', reusePort: true } as net.ListenOptions));
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/**
 * Fails as a plain bind would when another socket holds a TCP address, SO_REUSEPORT or not:
 * threads that bind with reusePort would otherwise share the port with another process of
 * the same user instead of failing, as a node alone on it does.
 */
export async function checkAddressFree(address: ListenAddress): Promise<void> {
  if (address.kind === 'unix') return;
  const server = await listen({ port: address.port, host: address.host ?? undefined });
  await new Promise((r) => server.close(r));
}

function listen(options: net.ListenOptions): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
