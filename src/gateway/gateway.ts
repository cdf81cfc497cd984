import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  HttpConfig, HttpLocationConfig, HttpServerConfig, ReturnConfig, StickyZoneConfig, UpstreamConfig, ZonesyncConfig,
} from '../config/types.js';
import type { StickyZone } from '../zones/sticky/sticky-zone.js';
import type { GatewayLogger } from './gateway-logger.js';
import { HostResolver } from './host-resolver.js';
import { ProxyPass, requestFacts, type ClientUpgrade } from './proxy-pass.js';
import { FixedRoute, VariableRoute, implicitTarget, type ProxyRoute, type ProxyTarget } from './proxy-route.js';
import { passesUpgrades } from './proxy-headers.js';
import { ReturnAnswer } from './return-answer.js';
import { RoundRobin, type SharedPeerStates } from './round-robin.js';
import { StickyLearn } from './sticky-learn.js';
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
  private readonly pools: UpstreamPools;
  private readonly targets = new Map<string, ProxyTarget>();
  private readonly resolver: HostResolver;
  private readonly proxies = new WeakMap<HttpLocationConfig, ProxyPass>();
  private readonly returns = new WeakMap<ReturnConfig, ReturnAnswer>();

  /** `pools`: the connections to upstream servers; a reload's gateway keeps its predecessor's (reloaded()). */
  constructor(options: GatewayOptions, pools = new UpstreamPools()) {
    this.options = options;
    this.data = options.data;
    this.variables = options.variables;
    this.resolver = new HostResolver(this.data.http);
    this.pools = pools;
  }

  /**
   * The gateway of a reloaded configuration: balancers, targets, compiled locations and the
   * http resolver of its own, the connections to upstream servers of this one. This one
   * goes on serving the requests that started with it.
   */
  reloaded(data: GatewayData, variables: Variables): Gateway {
    return new Gateway({ ...this.options, data, variables }, this.pools);
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
      proxy = new ProxyPass(location, this.routeOf(location), this.variables, this.pools, this.options.logger);
      this.proxies.set(location, proxy);
    }
    return proxy.serve(req, res, requestFacts(req, remoteAddress), upgrade);
  }

  /** Closes the connections to upstream servers (those its reloaded successors share too). */
  close(): Promise<void> {
    return this.pools.close();
  }

  private routeOf(location: HttpLocationConfig): ProxyRoute {
    const pass = location.proxyPass!;
    const scheme = pass.scheme ?? 'http';
    if (pass.variables === true) {
      return new VariableRoute(pass, this.variables, (name) => this.upstreamNamed(name, scheme), this.resolver, this.options.logger);
    }
    const { host, port } = pass;
    const target = (port === null ? this.upstreamNamed(host, scheme) : null) ?? this.targetFor(`${scheme}://${host}:${port}`, () => (
      implicitTarget(host, port ?? (scheme === 'https' ? 443 : 80), scheme)
    ));
    return new FixedRoute(target, location);
  }

  /** The upstream block of that name (as nginx, without regard to case) reached over `scheme`; null: none. */
  private upstreamNamed(name: string, scheme: 'http' | 'https'): ProxyTarget | null {
    const lower = name.toLowerCase();
    const upstream = this.data.http?.upstreams.find((u) => u.name.toLowerCase() === lower);
    return upstream === undefined ? null : this.targetFor(`${scheme} upstream ${upstream.name}`, () => this.upstreamTarget(upstream, scheme));
  }

  /* One target per key in this thread: its balancer state lives as long as the thread. */
  private targetFor(key: string, make: () => ProxyTarget): ProxyTarget {
    let target = this.targets.get(key);
    if (target === undefined) {
      target = make();
      this.targets.set(key, target);
    }
    return target;
  }

  private upstreamTarget(upstream: UpstreamConfig, scheme: 'http' | 'https'): ProxyTarget {
    const stickyConfig = this.data.stickyZones.find((z) => z.name === upstream.stickyZone);
    const stickyZone = upstream.stickyZone === null ? undefined : this.options.sticky.get(upstream.stickyZone);
    const counters = this.data.counters[upstream.name];
    return {
      counters: counters === undefined ? null : new UpstreamCounters(counters),
      group: new RoundRobin(upstream.name, upstream.servers, this.data.sharedStates[upstream.name] ?? null),
      proxyHost: upstream.name,
      scheme,
      sticky: stickyConfig === undefined || stickyZone === undefined ? null : new StickyLearn(stickyZone, stickyConfig, this.variables),
      keepalive: {
        group: upstream.name, keepalive: upstream.keepalive, keepaliveTimeoutMs: upstream.keepaliveTimeoutMs, keepaliveRequests: upstream.keepaliveRequests,
      },
    };
  }
}
