import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  HttpConfig, HttpLocationConfig, HttpServerConfig, ReturnConfig, StickyZoneConfig, UpstreamConfig, UpstreamServerConfig, ZonesyncConfig,
} from '../config/types.js';
import type { StickyZone } from '../zones/sticky/sticky-zone.js';
import type { GatewayLogger } from './gateway-logger.js';
import { ProxyPass, requestFacts, type ClientUpgrade, type ProxyTarget } from './proxy-pass.js';
import { passesUpgrades } from './proxy-headers.js';
import { ReturnAnswer } from './return-answer.js';
import { RoundRobin, type SharedPeerStates } from './round-robin.js';
import { StickyLearn } from './sticky-learn.js';
import { DEFAULT_UPSTREAM_KEEPALIVE, DEFAULT_UPSTREAM_SERVER } from '../config/defaults.js';
import { UpstreamCounters } from './upstream-counters.js';
import { UpstreamPools } from './upstream-pools.js';
import type { Variables } from './variables.js';

/**
 * What every serving thread's gateway starts from, made once by the primary (gatewayDataOf):
 * plain and structured-clonable, so that it can go to worker threads.
 */
export interface GatewayData {
  readonly http: HttpConfig | null;
  /** The sticky learn zones' settings (create=, lookup=, header). */
  readonly stickyZones: readonly StickyZoneConfig[];
  /** The balancer state of each upstream with `zone`, shared by every serving thread. */
  readonly sharedStates: Readonly<Record<string, SharedPeerStates>>;
  /** The node's counters of each upstream block, which the API reads. */
  readonly counters: Readonly<Record<string, SharedArrayBuffer>>;
}

export function gatewayDataOf(config: ZonesyncConfig): GatewayData {
  const sharedStates: Record<string, SharedPeerStates> = {};
  const counters: Record<string, SharedArrayBuffer> = {};
  for (const u of config.http?.upstreams ?? []) {
    if (u.zone !== null) sharedStates[u.name] = RoundRobin.createSharedStates(u.servers);
    counters[u.name] = UpstreamCounters.create(u.servers.length);
  }
  const stickyZones = config.zones.filter((z): z is StickyZoneConfig => z.kind === 'sticky');
  return { http: config.http, stickyZones, sharedStates, counters };
}

export interface GatewayOptions {
  readonly data: GatewayData;
  /** This thread's sticky zones. */
  readonly sticky: ReadonlyMap<string, StickyZone>;
  /** This thread's variables (variablesFor), which its limit_req keys and handlers read too. */
  readonly variables: Variables;
  readonly logger: GatewayLogger;
}

/**
 * The gateway of one serving thread: nginx's `return` and `proxy_pass` for the front end.
 * It holds this thread's balancers (one per upstream block, and one per server named
 * directly in a proxy_pass URL), sticky learn, the connections to upstream servers and the
 * variables (keyval ones included), and compiles each location on its first request.
 */
export class Gateway {
  readonly variables: Variables;
  private readonly data: GatewayData;
  private readonly options: GatewayOptions;
  private readonly pools = new UpstreamPools();
  private readonly targets = new Map<string, ProxyTarget>();
  private readonly proxies = new WeakMap<HttpLocationConfig, ProxyPass>();
  private readonly returns = new WeakMap<ReturnConfig, ReturnAnswer>();

  constructor(options: GatewayOptions) {
    this.options = options;
    this.data = options.data;
    this.variables = options.variables;
  }

  /** The `return` that answers a request of this server and location, if any: the server's first (nginx's server rewrite phase). */
  returnFor(server: HttpServerConfig, location: HttpLocationConfig | null): ReturnConfig | null {
    return server.return ?? location?.return ?? null;
  }

  answerReturn(req: IncomingMessage, res: ServerResponse, config: ReturnConfig, remoteAddress: string): void {
    let answer = this.returns.get(config);
    if (answer === undefined) {
      answer = new ReturnAnswer(config, this.variables);
      this.returns.set(config, answer);
    }
    answer.answer(res, requestFacts(req, remoteAddress));
  }

  /** Whether a location's proxy may ask its servers for an upgrade (proxy_set_header Upgrade). */
  passesUpgrades(location: HttpLocationConfig): boolean {
    return location.proxyPass !== null && passesUpgrades(location.settings.proxy.setHeaders);
  }

  /**
   * Proxies the request; rejects with an ApiError only while nothing was written to `res`.
   * `upgrade`: the request asked for an upgrade, which the location passes.
   */
  proxy(req: IncomingMessage, res: ServerResponse, location: HttpLocationConfig, remoteAddress: string, upgrade: ClientUpgrade | null = null): Promise<void> {
    let proxy = this.proxies.get(location);
    if (proxy === undefined) {
      proxy = new ProxyPass(location, this.targetOf(location), this.variables, this.pools, this.options.logger);
      this.proxies.set(location, proxy);
    }
    return proxy.serve(req, res, requestFacts(req, remoteAddress), upgrade);
  }

  /** Closes the connections to upstream servers. */
  close(): Promise<void> {
    return this.pools.close();
  }

  private targetOf(location: HttpLocationConfig): ProxyTarget {
    const { host, port } = location.proxyPass!;
    const upstream = port === null ? this.data.http?.upstreams.find((u) => u.name === host) : undefined;
    const key = upstream !== undefined ? `upstream ${host}` : `${host}:${port ?? 80}`;
    let target = this.targets.get(key);
    if (target === undefined) {
      target = upstream !== undefined ? this.upstreamTarget(upstream) : implicitTarget(host, port ?? 80);
      this.targets.set(key, target);
    }
    return target;
  }

  private upstreamTarget(upstream: UpstreamConfig): ProxyTarget {
    const stickyConfig = this.data.stickyZones.find((z) => z.name === upstream.stickyZone);
    const stickyZone = upstream.stickyZone === null ? undefined : this.options.sticky.get(upstream.stickyZone);
    const counters = this.data.counters[upstream.name];
    return {
      counters: counters === undefined ? null : new UpstreamCounters(counters),
      group: new RoundRobin(upstream.name, upstream.servers, this.data.sharedStates[upstream.name] ?? null),
      proxyHost: upstream.name,
      sticky: stickyConfig === undefined || stickyZone === undefined ? null : new StickyLearn(stickyZone, stickyConfig, this.variables),
      keepalive: {
        group: upstream.name, keepalive: upstream.keepalive, keepaliveTimeoutMs: upstream.keepaliveTimeoutMs, keepaliveRequests: upstream.keepaliveRequests,
      },
    };
  }
}

/* nginx's implicit upstream of a proxy_pass URL: its one server, max_fails=1 fail_timeout=10s, no keepalive. */
function implicitTarget(host: string, port: number): ProxyTarget {
  const text = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const server: UpstreamServerConfig = {
    address: { kind: 'tcp', host, port }, text, ...DEFAULT_UPSTREAM_SERVER, backup: false, down: false, resolve: false, route: null,
  };
  return {
    group: new RoundRobin(text, [server]),
    proxyHost: port === 80 ? host : text,
    sticky: null,
    counters: null,
    keepalive: { group: text, ...DEFAULT_UPSTREAM_KEEPALIVE },
  };
}

