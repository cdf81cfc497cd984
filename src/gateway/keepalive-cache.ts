import { Client, type Dispatcher } from 'undici';

/** One connection to one server: an undici Client that is never given more than one request at a time. */
interface Connection {
  /** The server and settings it was made for; only a request for the same may reuse it. */
  readonly key: string;
  readonly client: Client;
  /** Requests sent on it (keepalive_requests). */
  requests: number;
  /** Its socket is open: set at 'connect', cleared at 'disconnect'. */
  connected: boolean;
  /** In the cache, waiting for a request. */
  idle: boolean;
}

/**
 * nginx's `keepalive N` of an upstream block, in one serving thread (nginx: one worker): at
 * most N idle connections to the block's servers are kept, the most recently used first.
 * A request takes an idle connection to its server if there is one, else opens a new one;
 * when its answer came whole on a connection that may be kept, the connection goes back to
 * the cache, closing the least recently used idle one if N are already there
 * (ngx_http_upstream_free_keepalive_peer). An idle connection the server closes, or that
 * stays idle for keepalive_timeout, leaves the cache; one that served keepalive_requests
 * requests is closed after its last answer ("Connection: close" on that request).
 */
export class KeepaliveCache {
  private capacity: number;
  /* The idle connections, the most recently used first. */
  private readonly idle: Connection[] = [];
  /* Every connection made, idle or busy, to close them all when the thread stops. */
  private readonly all = new Set<Connection>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** A reload changed `keepalive N`: the least recently used idle connections over the new bound are closed. */
  resize(capacity: number): void {
    this.capacity = capacity;
    while (this.idle.length > capacity) this.discard(this.idle[this.idle.length - 1]!);
  }

  /** The connections idle now (the test of the bound reads it too). */
  get idleCount(): number {
    return this.idle.length;
  }

  /** A dispatcher for one server: each request on an idle connection of the cache or a new one. */
  dispatcher(key: string, open: () => Client, keepaliveRequests: number): Pick<Dispatcher, 'dispatch'> {
    return { dispatch: (options, handler) => this.dispatch(key, open, keepaliveRequests, options, handler) };
  }

  async close(): Promise<void> {
    const all = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(all.map((c) => c.client.destroy().catch(() => undefined)));
  }

  private dispatch(
    key: string, open: () => Client, keepaliveRequests: number, options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler,
  ): boolean {
    const connection = this.take(key) ?? this.connect(key, open());
    connection.requests++;
    // The last request a connection may carry asks the server to close it (nginx: keepalive_requests).
    let keep = options.reset !== true && connection.requests < keepaliveRequests;
    const released = (kept: boolean): void => {
      if (kept && connection.connected) this.put(connection);
      else this.discard(connection);
    };
    return connection.client.dispatch({ ...options, reset: !keep }, {
      onRequestStart: (c, context) => handler.onRequestStart?.(c, context),
      // The connection is the tunnel's now; the client that made it has none left to keep.
      onRequestUpgrade: (c, status, headers, socket) => {
        released(false);
        handler.onRequestUpgrade?.(c, status, headers, socket);
      },
      onResponseStart: (c, status, headers, message) => {
        if (status >= 200 && /(^|,)\s*close\s*(,|$)/i.test(String(headers['connection'] ?? ''))) keep = false;
        handler.onResponseStart?.(c, status, headers, message);
      },
      onResponseData: (c, chunk) => handler.onResponseData?.(c, chunk),
      onResponseEnd: (c, trailers) => {
        released(keep);
        handler.onResponseEnd?.(c, trailers);
      },
      onResponseError: (c, error) => {
        released(false);
        handler.onResponseError?.(c, error);
      },
    });
  }

  private connect(key: string, client: Client): Connection {
    const connection: Connection = { key, client, requests: 0, connected: false, idle: false };
    client.on('connect', () => { connection.connected = true; });
    client.on('disconnect', () => {
      connection.connected = false;
      // Closed by the server or by keepalive_timeout while idle: out of the cache.
      if (connection.idle) this.discard(connection);
    });
    this.all.add(connection);
    return connection;
  }

  /** The most recently used idle connection to the server, out of the cache. */
  private take(key: string): Connection | null {
    const i = this.idle.findIndex((c) => c.key === key);
    if (i < 0) return null;
    const [connection] = this.idle.splice(i, 1);
    connection!.idle = false;
    return connection!;
  }

  private put(connection: Connection): void {
    if (this.idle.length >= this.capacity) this.discard(this.idle[this.idle.length - 1]!);
    connection.idle = true;
    this.idle.unshift(connection);
  }

  private discard(connection: Connection): void {
    if (connection.idle) {
      connection.idle = false;
      this.idle.splice(this.idle.indexOf(connection), 1);
    }
    this.all.delete(connection);
    connection.client.close().catch(() => undefined);
  }
}
