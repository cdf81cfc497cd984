import { Client, Pool, type Dispatcher } from 'undici';
import type { SocketAddress } from '../config/types.js';
import { KeepaliveCache } from './keepalive-cache.js';
import { tlsConnector, type UpstreamTls } from './upstream-tls.js';

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
  /** proxy_pass https://: the location's TLS, and the proxy_pass host it checks by default; null: plain HTTP. */
  readonly tls: { readonly settings: UpstreamTls; readonly proxyHost: string } | null;
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
  /* A number per TLS settings object, for the keys of the pools made with it. */
  private readonly tlsIds = new WeakMap<UpstreamTls, number>();
  private nextTlsId = 0;

  dispatcher(address: SocketAddress, policy: ConnectionPolicy): UpstreamDispatcher {
    const tls = policy.tls;
    const scheme = tls === null ? 'http' : 'https';
    // Connections made with one TLS context and name only serve requests of the same.
    const key = `${origin(address, scheme)}|${policy.keepaliveTimeoutMs}|${policy.connectTimeoutMs}${tls === null ? '' : `|${this.tlsIdOf(tls.settings)}|${tls.proxyHost}`}`;
    const connect = tls !== null ? tlsConnector(tls.settings, tls.proxyHost, policy.connectTimeoutMs)
      : { timeout: policy.connectTimeoutMs, ...(address.kind === 'unix' ? { socketPath: address.path } : {}) };
    if (policy.keepalive !== null) {
      const cache = this.cacheOf(policy.group, policy.keepalive);
      const open = (): Client => new Client(origin(address, scheme), {
        connect, pipelining: 1,
        keepAliveTimeout: policy.keepaliveTimeoutMs, keepAliveMaxTimeout: policy.keepaliveTimeoutMs, keepAliveTimeoutThreshold: 0,
      });
      return cache.dispatcher(key, open, policy.keepaliveRequests);
    }
    let pool = this.pools.get(key);
    if (pool === undefined) {
      // pipelining 0: a connection per request, closed after its answer (nginx without keepalive).
      pool = new Pool(origin(address, scheme), { connect, pipelining: 0 });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /**
   * A dispatcher for one request to a server the URL's variables named (nginx makes such an
   * upstream per request): a connection of its own, closed after the answer.
   */
  oneShot(address: SocketAddress, policy: ConnectionPolicy): UpstreamDispatcher {
    const tls = policy.tls;
    const connect = tls !== null ? tlsConnector(tls.settings, tls.proxyHost, policy.connectTimeoutMs) : { timeout: policy.connectTimeoutMs };
    return {
      dispatch: (options, handler) => {
        const client = new Client(origin(address, tls === null ? 'http' : 'https'), { connect, pipelining: 1 });
        const accepted = client.dispatch({ ...options, reset: true }, handler);
        void client.close().catch(() => undefined); // once its one request is over
        return accepted;
      },
    };
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

  private tlsIdOf(tls: UpstreamTls): number {
    let id = this.tlsIds.get(tls);
    if (id === undefined) {
      id = ++this.nextTlsId;
      this.tlsIds.set(tls, id);
    }
    return id;
  }

  private cacheOf(group: string, capacity: number): KeepaliveCache {
    let cache = this.caches.get(group);
    if (cache === undefined) {
      cache = new KeepaliveCache(capacity);
      this.caches.set(group, cache);
    } else {
      cache.resize(capacity); // the block's keepalive N as the configuration in force says (a reload may change it)
    }
    return cache;
  }
}

function origin(address: SocketAddress, scheme: 'http' | 'https'): string {
  if (address.kind === 'unix') return 'http://localhost';
  return address.host.includes(':') ? `${scheme}://[${address.host}]:${address.port}` : `${scheme}://${address.host}:${address.port}`;
}
