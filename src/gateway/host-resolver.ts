import type { HttpConfig } from '../config/types.js';
import { MAX_ADDRESSES_PER_NAME, MAX_TTL_MS, MIN_TTL_MS, nodeDnsClient, type DnsClient } from '../sync/discovery.js';
import { resolverOptionsOf } from '../sync/options.js';

/** A name that could not be resolved for a request (nginx answers 502); the message is nginx's log line. */
export class HostNotResolvedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostNotResolvedError';
  }
}

/* A bound on the names a thread remembers: requests choose them ($host), so they must not grow memory without end. */
const MAX_NAMES = 1024;

interface Answer {
  readonly addresses: readonly string[];
  readonly expiresAt: number;
}

/**
 * The `resolver` of the http block, for the host names a proxy_pass with variables evaluates
 * to, as nginx resolves them per request: A and AAAA records (as ipv4=/ipv6= allow) through
 * the configured name servers, with the DNS client zone_sync's discovery uses; an answer is
 * kept for valid=, else for its TTL (MIN_TTL_MS to MAX_TTL_MS). Without a resolver
 * directive, a name cannot be resolved: "no resolver defined to resolve NAME".
 */
export class HostResolver {
  private readonly dns: DnsClient | null;
  private readonly validMs: number | null;
  private readonly families: ReadonlyArray<4 | 6>;
  private readonly answers = new Map<string, Answer>();
  private readonly pending = new Map<string, Promise<readonly string[]>>();

  constructor(http: HttpConfig | null, dns?: DnsClient) {
    const resolver = http?.resolver ?? null;
    const options = resolver === null ? null : resolverOptionsOf(resolver, http?.resolverTimeoutMs ?? 30_000);
    this.dns = options === null ? null : dns ?? nodeDnsClient(options);
    this.validMs = options?.validMs ?? null;
    this.families = [...(options?.ipv4 === false ? [] : [4 as const]), ...(options?.ipv6 === false ? [] : [6 as const])];
  }

  /** The addresses of `name`; rejects with a HostNotResolvedError. */
  resolve(name: string): Promise<readonly string[]> {
    const known = this.answers.get(name);
    if (known !== undefined && known.expiresAt > Date.now()) return Promise.resolve(known.addresses);
    if (this.dns === null) return Promise.reject(new HostNotResolvedError(`no resolver defined to resolve ${name}`));
    let asked = this.pending.get(name);
    if (asked === undefined) {
      asked = this.ask(this.dns, name).finally(() => this.pending.delete(name));
      this.pending.set(name, asked);
    }
    return asked;
  }

  private async ask(dns: DnsClient, name: string): Promise<readonly string[]> {
    let records: Array<{ address: string; ttl: number }>;
    try {
      records = (await Promise.all(this.families.map((family) => dns.resolve(name, family)))).flat();
    } catch (error) {
      throw new HostNotResolvedError(`${name} could not be resolved (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (records.length === 0) throw new HostNotResolvedError(`${name} could not be resolved (Host not found)`);
    const ttlMs = Math.min(...records.map((r) => r.ttl * 1000));
    const keepMs = this.validMs ?? Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, ttlMs));
    const addresses = records.slice(0, MAX_ADDRESSES_PER_NAME).map((r) => r.address);
    if (this.answers.size >= MAX_NAMES) this.answers.delete(this.answers.keys().next().value!);
    this.answers.set(name, { addresses, expiresAt: Date.now() + keepMs });
    return addresses;
  }
}
