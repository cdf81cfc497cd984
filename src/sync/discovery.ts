// zone_sync_server lines → the addresses the engine dials (engine.setServers), in the sync
// thread. Three kinds of line:
//
//   literal   "10.0.0.1:9000", "[::1]:9000", "unix:/run/zs.sock": dialled as written.
//   name      "node1.example.com:9000": resolved once through the system resolver (as
//             nginx resolves at start), when set (start, HUP); every address is a node.
//             A failed lookup is retried every ERROR_RETRY_MS until it succeeds.
//   resolve   "cluster.example.com:9000 resolve": A/AAAA through the configured `resolver`
//             (node:dns Resolver on its servers, or on the system's name servers from
//             /etc/resolv.conf when it names none), again every `valid=`, or after the
//             records' TTL (MIN_TTL_MS to MAX_TTL_MS) when valid= is not given. An empty
//             answer (NXDOMAIN, no records) means no nodes; an error (timeout, SERVFAIL)
//             keeps the last addresses and retries after valid= or ERROR_RETRY_MS.
//
// The engine is handed the union, in line order, each address once; it closes and forgets
// vanished addresses and recognises itself by node id. The TLS name of an address is the
// host of a literal or name line, the resolved address itself for a resolve line
// (zone_sync_ssl_name, when set, wins over both: tls-transport.ts).

import { Resolver, lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SyncLogger } from './logger.js';
import type { ResolverOptions, ServerSpec } from './options.js';
import type { SyncTimers, TimerHandle } from './timers.js';
import { formatAddress, parseAddress } from './transport.js';

export const MIN_TTL_MS = 1_000;
export const MAX_TTL_MS = 3_600_000;
export const ERROR_RETRY_MS = 5_000;
/** A name may stand for at most this many nodes: a bound on what a DNS answer can make us dial. */
export const MAX_ADDRESSES_PER_NAME = 256;

export interface DialTarget {
  readonly address: string;
  /** The host name the address came from (the default TLS name), or null. */
  readonly name: string | null;
}

export interface DnsAnswer {
  readonly address: string;
  /** Seconds; 0 when unknown. */
  readonly ttl: number;
}

/** DNS behind an interface, for tests that do without a server. */
export interface DnsClient {
  /** Every address of `host` from the system resolver (getaddrinfo, /etc/hosts included). */
  lookup(host: string): Promise<string[]>;
  /** A (family 4) or AAAA (6) records from the configured resolver; [] for NXDOMAIN / no data. */
  resolve(host: string, family: 4 | 6): Promise<DnsAnswer[]>;
}

const EMPTY_ANSWER_CODES = new Set(['ENOTFOUND', 'ENODATA']);

/**
 * The Resolver of `resolve` lines: on the configured servers, or on the system's (c-ares
 * reads /etc/resolv.conf) when the options name none.
 */
export function resolverFor(options: ResolverOptions): Resolver {
  for (const server of options.servers) {
    const target = parseAddress(server);
    if ('path' in target || isIP(target.host) === 0) throw new RangeError(`resolver "${server}": zonesync needs the IP address of a name server`);
  }
  // c-ares doubles the timeout on the second try: 3 × a third of resolver_timeout.
  const resolver = new Resolver({ timeout: Math.max(100, Math.floor(options.timeoutMs / 3)), tries: 2 });
  if (options.servers.length > 0) resolver.setServers(options.servers);
  return resolver;
}

/** node:dns: the system resolver for names, a Resolver (resolverFor) for `resolve`. */
export function nodeDnsClient(options: ResolverOptions | null): DnsClient {
  const resolver = options === null ? null : resolverFor(options);
  return {
    lookup: async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address),
    resolve: async (host, family) => {
      if (resolver === null) throw new Error('no resolver is configured');
      try {
        return family === 4 ? await resolver.resolve4(host, { ttl: true }) : await resolver.resolve6(host, { ttl: true });
      } catch (error) {
        if (EMPTY_ANSWER_CODES.has((error as NodeJS.ErrnoException).code ?? '')) return [];
        throw error;
      }
    },
  };
}

type EntryKind = 'literal' | 'name' | 'resolve';

interface Entry {
  readonly key: string;
  readonly kind: EntryKind;
  /** As written, for logs. */
  readonly text: string;
  readonly host: string;
  readonly port: number;
  /** zone_sync_ssl_name given with the spec (rare: tests), else null. */
  readonly name: string | null;
  targets: DialTarget[];
  timer: TimerHandle | null;
  /** Bumped when the entry is dropped or re-resolved: answers for an older generation are ignored. */
  generation: number;
  live: boolean;
  lastProblem: string | null;
}

export interface DiscoveryConfig {
  resolver: ResolverOptions | null;
  timers: SyncTimers;
  log: SyncLogger;
  /** Receives the whole list of addresses whenever it changes. */
  apply(targets: DialTarget[]): void;
  /** Default: node:dns (nodeDnsClient). */
  dns?: DnsClient;
}

export class Discovery {
  private readonly config: DiscoveryConfig;
  private readonly dns: DnsClient;
  private entries = new Map<string, Entry>();
  private published = '';
  private stopped = false;

  constructor(config: DiscoveryConfig) {
    this.config = config;
    this.dns = config.dns ?? nodeDnsClient(config.resolver);
  }

  /** The addresses last handed to the engine. */
  get targets(): DialTarget[] {
    return this.union();
  }

  /**
   * The zone_sync_server lines (start, HUP). Literals apply at once; names are looked up
   * again; resolve lines already known keep their schedule and addresses.
   */
  setServers(specs: readonly ServerSpec[]): void {
    if (this.stopped) return;
    const next = new Map<string, Entry>();
    for (const spec of specs) {
      const entry = this.entries.get(specKey(spec)) ?? this.newEntry(spec);
      if (!next.has(entry.key)) next.set(entry.key, entry);
    }
    for (const [key, entry] of this.entries) if (!next.has(key)) this.drop(entry);
    this.entries = next;
    for (const entry of next.values()) {
      if (entry.kind === 'name' || (entry.kind === 'resolve' && entry.generation === 0)) this.schedule(entry, 0);
    }
    this.publish();
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) this.drop(entry);
    this.entries.clear();
  }

  private newEntry(spec: ServerSpec): Entry {
    const address = typeof spec === 'string' ? spec : spec.address;
    const target = parseAddress(address);
    const name = typeof spec === 'string' ? null : spec.name ?? null;
    const resolve = typeof spec !== 'string' && spec.resolve === true;
    const base = { key: specKey(spec), text: address, name, timer: null, generation: 0, live: true, lastProblem: null };
    if ('path' in target) return { ...base, kind: 'literal', host: '', port: 0, targets: [{ address, name }] };
    if (isIP(target.host) !== 0) return { ...base, kind: 'literal', host: target.host, port: target.port, targets: [{ address, name }] };
    let kind: EntryKind = resolve ? 'resolve' : 'name';
    if (resolve && this.config.resolver === null) {
      this.config.log.error({ server: address }, `zone_sync_server ${address} has "resolve" but no resolver is configured: resolved once`);
      kind = 'name';
    }
    return { ...base, kind, host: target.host, port: target.port, targets: [] };
  }

  private drop(entry: Entry): void {
    entry.live = false;
    entry.generation++;
    if (entry.timer !== null) this.config.timers.clearTimer(entry.timer);
    entry.timer = null;
  }

  private schedule(entry: Entry, delayMs: number): void {
    if (entry.timer !== null) this.config.timers.clearTimer(entry.timer);
    entry.timer = this.config.timers.setTimer(() => {
      entry.timer = null;
      void this.resolveEntry(entry);
    }, delayMs);
  }

  private async resolveEntry(entry: Entry): Promise<void> {
    const generation = ++entry.generation;
    const current = (): boolean => entry.live && !this.stopped && entry.generation === generation;
    try {
      const answers = entry.kind === 'resolve' ? await this.resolveRecords(entry.host) : (await this.dns.lookup(entry.host)).map((address) => ({ address, ttl: 0 }));
      if (!current()) return;
      this.onAnswers(entry, answers);
    } catch (error) {
      if (!current()) return;
      this.onFailure(entry, error as Error);
    }
  }

  private async resolveRecords(host: string): Promise<DnsAnswer[]> {
    const resolver = this.config.resolver!;
    const families: (4 | 6)[] = [];
    if (resolver.ipv4) families.push(4);
    if (resolver.ipv6) families.push(6);
    const answers = await Promise.all(families.map((family) => this.dns.resolve(host, family)));
    return answers.flat();
  }

  private onAnswers(entry: Entry, answers: readonly DnsAnswer[]): void {
    const addresses = [...new Set(answers.map((a) => a.address))].sort();
    if (addresses.length > MAX_ADDRESSES_PER_NAME) {
      this.config.log.warn({ server: entry.text, addresses: addresses.length, limit: MAX_ADDRESSES_PER_NAME }, 'zone_sync_server name has too many addresses, the rest ignored');
      addresses.length = MAX_ADDRESSES_PER_NAME;
    }
    // The TLS name: the host for a name line, the address itself for a resolve line.
    const name = entry.name ?? (entry.kind === 'name' ? entry.host : null);
    const targets = addresses.map((ip) => ({ address: formatAddress(ip, entry.port), name }));
    const changed = targets.map((t) => t.address).join(' ') !== entry.targets.map((t) => t.address).join(' ');
    entry.targets = targets;
    entry.lastProblem = null;
    if (changed) this.config.log.info({ server: entry.text, addresses: addresses }, `zone_sync_server ${entry.text} resolved`);
    if (entry.kind === 'resolve') this.schedule(entry, this.refreshMs(answers));
    this.publish();
  }

  private onFailure(entry: Entry, error: Error): void {
    const problem = error.message;
    if (problem !== entry.lastProblem) {
      const kept = entry.targets.map((t) => t.address);
      this.config.log.error({ server: entry.text, error: problem, kept }, `zone_sync_server ${entry.text} could not be resolved`);
    }
    entry.lastProblem = problem;
    this.schedule(entry, this.config.resolver?.validMs ?? ERROR_RETRY_MS);
  }

  private refreshMs(answers: readonly DnsAnswer[]): number {
    const valid = this.config.resolver?.validMs ?? null;
    if (valid !== null) return valid;
    if (answers.length === 0) return ERROR_RETRY_MS;
    const ttlMs = Math.min(...answers.map((a) => a.ttl)) * 1000;
    return Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, ttlMs));
  }

  private union(): DialTarget[] {
    const seen = new Set<string>();
    const out: DialTarget[] = [];
    for (const entry of this.entries.values()) {
      for (const target of entry.targets) {
        if (seen.has(target.address)) continue;
        seen.add(target.address);
        out.push(target);
      }
    }
    return out;
  }

  private publish(): void {
    const targets = this.union();
    const signature = targets.map((t) => `${t.address}=${t.name ?? ''}`).join(' ');
    if (signature === this.published) return;
    this.published = signature;
    this.config.apply(targets);
  }
}

function specKey(spec: ServerSpec): string {
  if (typeof spec === 'string') return `${spec}||`;
  return `${spec.address}|${spec.resolve === true ? 'resolve' : ''}|${spec.name ?? ''}`;
}
