import { Client, Pool, type Dispatcher } from 'undici';
import type { SocketAddress } from '../config/types.js';
import { KeepaliveCache } from './keepalive-cache.js';

/** How connections to one server are made and kept, as an upstream block says. */
export interface ConnectionPolicy {
  /** The upstream block: its servers' idle connections share one keepalive cache. */
  readonly group: string;
  /** `keepalive N` in the upstream: at most N idle connections kept; null: each is closed after its answer. */
  readonly keepalive: number | null;
  readonly keepaliveTimeoutMs: number;
  readonly keepaliveRequests: number;
  /** proxy_connect_timeout of the location. */
  readonly connectTimeoutMs: number;
}

/** What a try needs of a server's connections: a request dispatched on one. */
export type UpstreamDispatcher = Pick<Dispatcher, 'dispatch'>;

/**
 * The connections of one thread to upstream servers. A block with `keepalive N` has one
 * KeepaliveCache (nginx: one per worker) that its servers' requests draw idle connections
 * from; a new connection is opened when none is idle (no bound, as nginx opens one per
 * request when all are busy). Without keepalive, an undici Pool per server opens a
 * connection per request and closes it after the answer.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private readonly caches = new Map<string, KeepaliveCache>();

  dispatcher(address: SocketAddress, policy: ConnectionPolicy): UpstreamDispatcher {
    const key = `${origin(address)}|${policy.keepaliveTimeoutMs}|${policy.connectTimeoutMs}`;
    const connect = { timeout: policy.connectTimeoutMs, ...(address.kind === 'unix' ? { socketPath: address.path } : {}) };
    if (policy.keepalive !== null) {
      const cache = this.cacheOf(policy.group, policy.keepalive);
      const open = (): Client => new Client(origin(address), {
        connect, pipelining: 1,
        keepAliveTimeout: policy.keepaliveTimeoutMs, keepAliveMaxTimeout: policy.keepaliveTimeoutMs, keepAliveTimeoutThreshold: 0,
      });
      return cache.dispatcher(key, open, policy.keepaliveRequests);
    }
    let pool = this.pools.get(key);
    if (pool === undefined) {
      // pipelining 0: a connection per request, closed after its answer (nginx without keepalive).
      pool = new Pool(origin(address), { connect, pipelining: 0 });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** The idle connections the block's cache holds now. */
  idleOf(group: string): number {
    return this.caches.get(group)?.idleCount ?? 0;
  }

  /** Closes every connection (the thread stops). */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    const caches = [...this.caches.values()];
    this.pools.clear();
    this.caches.clear();
    await Promise.all([...pools.map((p) => p.destroy()), ...caches.map((c) => c.close())]);
  }

  private cacheOf(group: string, capacity: number): KeepaliveCache {
    let cache = this.caches.get(group);
    if (cache === undefined) {
      cache = new KeepaliveCache(capacity);
      this.caches.set(group, cache);
    }
    return cache;
  }
}

function origin(address: SocketAddress): string {
  if (address.kind === 'unix') return 'http://localhost';
  return address.host.includes(':') ? `http://[${address.host}]:${address.port}` : `http://${address.host}:${address.port}`;
}
