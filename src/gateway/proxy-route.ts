import { isIP } from 'node:net';
import { ApiError, ErrorCode } from '../api/errors.js';
import { DEFAULT_UPSTREAM_KEEPALIVE, DEFAULT_UPSTREAM_SERVER } from '../config/defaults.js';
import type { HttpLocationConfig, ProxyPassConfig, UpstreamServerConfig } from '../config/types.js';
import type { GatewayLogger } from './gateway-logger.js';
import { HostNotResolvedError, type HostResolver } from './host-resolver.js';
import { RoundRobin } from './round-robin.js';
import type { StickyLearn } from './sticky-learn.js';
import type { UpstreamCounters } from './upstream-counters.js';
import type { ConnectionPolicy } from './upstream-pools.js';
import type { CompiledTemplate, RequestFacts, Variables } from './variables.js';

/** Where a proxy_pass sends requests: an upstream group (a block, or the servers of the URL's host). */
export interface ProxyTarget {
  readonly group: RoundRobin;
  /** $proxy_host, and the Host field sent by default (and the name TLS checks by default). */
  readonly proxyHost: string;
  readonly scheme: 'http' | 'https';
  readonly sticky: StickyLearn | null;
  readonly keepalive: Omit<ConnectionPolicy, 'connectTimeoutMs' | 'tls'>;
  /** The node's counters of an upstream block (the API's); null for a server named in a URL. */
  readonly counters: UpstreamCounters | null;
}

/** A request's target and the request target (URI) it is sent with. */
export interface RoutedRequest {
  readonly target: ProxyTarget;
  readonly path: string;
  /** The target was made for this request alone (the URL's variables named a server): its connection is not kept. */
  readonly oneShot: boolean;
}

/** Where one location's requests go: fixed by its proxy_pass, or found per request when the URL has variables. */
export interface ProxyRoute {
  /** Rejects (or throws) with an ApiError when the URL leads nowhere. */
  route(facts: RequestFacts, requestTarget: string): RoutedRequest | Promise<RoutedRequest>;
}

const defaultPort = (scheme: 'http' | 'https'): number => (scheme === 'https' ? 443 : 80);

/** proxy_pass without variables: one target; the URI replaces the part of the request's the location matched. */
export class FixedRoute implements ProxyRoute {
  private readonly target: ProxyTarget;
  private readonly location: HttpLocationConfig;

  constructor(target: ProxyTarget, location: HttpLocationConfig) {
    this.target = target;
    this.location = location;
  }

  route(_facts: RequestFacts, requestTarget: string): RoutedRequest {
    return { target: this.target, path: this.upstreamPath(requestTarget), oneShot: false };
  }

  /**
   * The request target sent upstream: the client's as it came when proxy_pass has no URI;
   * otherwise the part the location matched is replaced by the URI.
   */
  private upstreamPath(url: string): string {
    const target = url.startsWith('/') ? url : originForm(url);
    const uri = this.location.proxyPass!.uri;
    if (uri === null) return target;
    const matched = this.location.modifier === 'exact' || this.location.modifier.startsWith('prefix') ? this.location.pattern.length : 0;
    return uri + target.slice(Math.min(matched, target.length));
  }
}

/**
 * proxy_pass with variables, as nginx evaluates it per request: a host (without a port) that
 * names an upstream block goes to that block; an IP address goes to that server; another
 * name is resolved through the http block's `resolver` (without one: 502, "no resolver
 * defined to resolve NAME"). The URI the variables give is sent as it is (no part of the
 * request's is replaced); without one, the request's own goes.
 */
export class VariableRoute implements ProxyRoute {
  private readonly scheme: 'http' | 'https';
  private readonly url: CompiledTemplate;
  private readonly upstreamNamed: (name: string) => ProxyTarget | null;
  private readonly resolver: HostResolver;
  private readonly logger: GatewayLogger;

  constructor(
    pass: ProxyPassConfig, variables: Variables, upstreamNamed: (name: string) => ProxyTarget | null, resolver: HostResolver, logger: GatewayLogger,
  ) {
    this.scheme = pass.scheme ?? 'http';
    this.url = variables.compile(pass.host); // what follows the scheme
    this.upstreamNamed = upstreamNamed;
    this.resolver = resolver;
    this.logger = logger;
  }

  async route(facts: RequestFacts, requestTarget: string): Promise<RoutedRequest> {
    const rest = this.url(facts);
    const slash = rest.indexOf('/');
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? (requestTarget.startsWith('/') ? requestTarget : originForm(requestTarget)) : rest.slice(slash);
    const parsed = parseAuthority(authority);
    if (parsed === null) {
      this.logger.error({ url: `${this.scheme}://${rest}` }, 'invalid host in the URL of "proxy_pass"');
      throw new ApiError(500, ErrorCode.InternalError, 'invalid proxy_pass URL');
    }
    const { host, port } = parsed;
    const upstream = port === null ? this.upstreamNamed(host) : null;
    if (upstream !== null) return { target: upstream, path, oneShot: false };
    let addresses: readonly string[];
    if (isIP(host) !== 0) addresses = [host];
    else {
      try {
        addresses = await this.resolver.resolve(host);
      } catch (error) {
        if (!(error instanceof HostNotResolvedError)) throw error;
        this.logger.error({ host }, error.message);
        throw new ApiError(502, ErrorCode.BadGateway, 'bad gateway');
      }
    }
    return { target: implicitTarget(host, port ?? defaultPort(this.scheme), this.scheme, addresses), path, oneShot: true };
  }
}

/* "host", "host:port", "[v6]" or "[v6]:port"; null when it is none of them. */
function parseAuthority(authority: string): { host: string; port: number | null } | null {
  const match = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(authority) ?? /^([A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/.exec(authority);
  if (match === null) return null;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  return { host: match[1]!, port };
}

/**
 * nginx's implicit upstream of a proxy_pass URL: its host's servers (the one address, or
 * those its name resolved to), max_fails=1 fail_timeout=10s, no keepalive.
 */
export function implicitTarget(host: string, port: number, scheme: 'http' | 'https', addresses: readonly string[] = [host]): ProxyTarget {
  const textOf = (h: string): string => (h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`);
  const text = textOf(host);
  const servers: UpstreamServerConfig[] = addresses.map((address) => ({
    address: { kind: 'tcp', host: address, port }, text: textOf(address), ...DEFAULT_UPSTREAM_SERVER, backup: false, down: false, resolve: false, route: null,
  }));
  return {
    group: new RoundRobin(text, servers),
    proxyHost: port === defaultPort(scheme) ? host : text,
    scheme,
    sticky: null,
    counters: null,
    keepalive: { group: text, ...DEFAULT_UPSTREAM_KEEPALIVE },
  };
}

/** "http://host/path?q" (absolute form) as "/path?q". */
function originForm(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return '/';
  }
}
