import type { HttpConfig, HttpServerConfig, ListenAddress } from '../config/types.js';

/** One listening socket of the http block and the servers that share it (nginx picks among them by Host). */
export interface ListenSocket {
  readonly address: ListenAddress;
  readonly servers: readonly HttpServerConfig[];
}

/** The http block's distinct `listen` addresses, in order of first appearance. */
export function listenSockets(config: HttpConfig): ListenSocket[] {
  const bySocket = new Map<string, { address: ListenAddress; servers: HttpServerConfig[] }>();
  for (const server of config.servers) {
    for (const l of server.listen) {
      const key = socketKey(l.address);
      const entry = bySocket.get(key) ?? { address: l.address, servers: [] };
      entry.servers.push(server);
      bySocket.set(key, entry);
    }
  }
  return [...bySocket.values()];
}

/** What names a listening socket: two `listen` of the same key share one. */
export function socketKey(address: ListenAddress): string {
  return address.kind === 'unix' ? `unix:${address.path}` : `${address.host ?? '*'}:${address.port}`;
}
