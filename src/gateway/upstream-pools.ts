import { Pool, type Dispatcher } from 'undici';
import type { SocketAddress } from '../config/types.js';

/** How connections to one server are made and kept, as an upstream block says. */
export interface ConnectionPolicy {
  /** `keepalive` in the upstream: connections are kept between requests; else each is closed after its answer. */
  readonly keepalive: boolean;
  readonly keepaliveTimeoutMs: number;
  readonly keepaliveRequests: number;
  /** proxy_connect_timeout of the location. */
  readonly connectTimeoutMs: number;
}

/**
 * The connections of one thread to upstream servers: an undici Pool per server and policy,
 * made on first use and kept for the thread's life. A pool opens connections as requests
 * need them (no bound, as nginx opens one per request when all are busy) and, with
 * keepalive, keeps the idle ones for keepalive_timeout and up to keepalive_requests requests.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  pool(address: SocketAddress, policy: ConnectionPolicy): Dispatcher {
    const key = `${origin(address)}|${policy.keepalive}|${policy.keepaliveTimeoutMs}|${policy.keepaliveRequests}|${policy.connectTimeoutMs}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new Pool(origin(address), {
        connect: { timeout: policy.connectTimeoutMs, ...(address.kind === 'unix' ? { socketPath: address.path } : {}) },
        // pipelining 0: a connection per request, closed after its answer (nginx without keepalive).
        pipelining: policy.keepalive ? 1 : 0,
        keepAliveTimeout: policy.keepaliveTimeoutMs,
        keepAliveMaxTimeout: policy.keepaliveTimeoutMs,
        keepAliveTimeoutThreshold: 0,
        maxRequestsPerClient: policy.keepaliveRequests,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Closes every connection (the thread stops). */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }
}

function origin(address: SocketAddress): string {
  if (address.kind === 'unix') return 'http://localhost';
  return address.host.includes(':') ? `http://[${address.host}]:${address.port}` : `http://${address.host}:${address.port}`;
}
