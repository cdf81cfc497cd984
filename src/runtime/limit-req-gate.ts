import { errorPage, errorPageHeaders } from '../api/error-page.js';
import type { HttpLocationConfig, LimitReqLogLevel, ZoneConfig } from '../config/types.js';
import type { CompiledTemplate, RequestFacts, Variables } from '../gateway/variables.js';
import { noopLogger, repeatedLineOf, type RepeatedLine, type ThreadLogger } from '../thread-logger.js';
import type { LimitReqZone, TakeOptions } from '../zones/limit-req/limit-req-zone.js';
import { serverField } from './answer-headers.js';
import type { LimitReqOutcome, NodeCounters } from './node-counters.js';

/** take()'s verdict when a rule refuses the request; otherwise the delay in ms (0: serve now). */
export const REFUSED = -1;

/**
 * An answer written the same way every time: built once per location, never per request.
 * Its body is a latin1 string, which Node writes in one piece with the head (a Buffer body
 * would be a write of its own).
 */
export interface FixedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

interface CompiledRule {
  readonly zone: LimitReqZone;
  readonly key: CompiledTemplate;
  readonly options: TakeOptions;
}

/** The counter words of a rule's zone, found once per location: [passed, delayed, rejected] as told, -1 where not counted. */
type OutcomeWords = readonly [passed: number, delayed: number, rejected: number];
const PASSED = 0;
const DELAYED = 1;
const REJECTED = 2;

/** How a location's refusals and delays are told: limit_req_dry_run and limit_req_log_level. */
interface LimitPolicy {
  readonly dryRun: boolean;
  readonly logLevel: LimitReqLogLevel;
}

/* nginx logs a delay one level below limit_req_log_level (info stays info); the thread logger's lowest is info. */
const REFUSAL_LEVEL: Readonly<Record<LimitReqLogLevel, 'info' | 'warn' | 'error'>> = { error: 'error', warn: 'warn', notice: 'info', info: 'info' };
const DELAY_LEVEL: Readonly<Record<LimitReqLogLevel, 'info' | 'warn' | 'error'>> = { error: 'warn', warn: 'info', notice: 'info', info: 'info' };

/** One location's `limit_req` rules, compiled: zones found, key templates parsed, take options and the refusal built. */
export class LocationLimits {
  readonly refusal: FixedResponse;
  private readonly rules: readonly CompiledRule[];
  /** Per rule, where its outcomes are counted (with limit_req_dry_run, delays and refusals as *_dry_run). */
  private readonly words: readonly OutcomeWords[];
  private readonly counters: NodeCounters | null;
  private readonly policy: LimitPolicy;
  /** Per rule, its refusal's and its delay's log line (the zone's name written once). */
  private readonly lines: readonly { readonly delayed: RepeatedLine; readonly rejected: RepeatedLine }[];

  /** `server`: the Server field of the location's answers, which its refusal page names (nginx's error page). */
  constructor(rules: readonly CompiledRule[], status: number, counters: NodeCounters | null, policy: LimitPolicy, logger: ThreadLogger, server: string) {
    this.rules = rules;
    this.counters = counters;
    this.policy = policy;
    const dry = policy.dryRun ? ', dry run' : '';
    this.lines = rules.map(({ zone }) => ({
      delayed: repeatedLineOf(logger, DELAY_LEVEL[policy.logLevel], `delaying request${dry}`, { zone: zone.name }),
      rejected: repeatedLineOf(logger, REFUSAL_LEVEL[policy.logLevel], `limiting requests${dry}`, { zone: zone.name }),
    }));
    const suffix = policy.dryRun ? '_dry_run' : '';
    this.words = rules.map((rule) => {
      const word = (outcome: LimitReqOutcome): number => counters?.limitReqWord(rule.zone.name, outcome) ?? -1;
      return [word('passed'), word(`delayed${suffix}`), word(`rejected${suffix}`)];
    });
    const body = errorPage(status, server);
    // The Server field among the others: the front end writes them at once (front-end-response.ts).
    this.refusal = { status, headers: { Server: server, ...errorPageHeaders(body) }, body: body.toString('latin1') };
  }

  /**
   * Accounts the request in every rule's zone, as nginx's limit_req does: REFUSED as soon as
   * one rule refuses (the rules after it are not accounted), else the longest delay any rule
   * asks for. A rule whose key is empty does not account the request (nginx). Each zone
   * that judges the request counts what it decided (/api/9/http/limit_reqs/). A refusal is
   * logged at limit_req_log_level, a delay one level lower. With limit_req_dry_run the zones
   * judge and count as usual (as *_dry_run) and the request is neither refused nor delayed.
   */
  take(req: RequestFacts): number {
    let delayMs = 0;
    const dryRun = this.policy.dryRun;
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const key = rule.key(req);
      if (key === '') continue;
      const r = rule.zone.take(key, rule.options);
      const outcome = !r.allowed ? REJECTED : r.delayMs > 0 ? DELAYED : PASSED;
      const word = this.words[i]![outcome];
      if (word >= 0) this.counters!.add(word);
      if (outcome === PASSED) continue;
      const line = outcome === REJECTED ? this.lines[i]!.rejected : this.lines[i]!.delayed;
      line({ excess: r.excess, client: req.remoteAddress, request: `${req.method ?? ''} ${req.url}` });
      if (!r.allowed) return dryRun ? 0 : REFUSED;
      if (r.delayMs > delayMs) delayMs = r.delayMs;
    }
    return dryRun ? 0 : delayMs;
  }
}

/**
 * limit_req for the front end of one thread: each location's rules compiled on its first
 * request (a location's configuration never changes), against the zones this thread is
 * attached to. A location without rules costs one map lookup.
 */
export class LimitReqGate {
  private readonly zones: ReadonlyMap<string, LimitReqZone>;
  private readonly keys: Readonly<Record<string, string>>;
  private readonly counters: NodeCounters | null;
  private readonly variables: Variables;
  private readonly logger: ThreadLogger;
  private readonly compiled = new WeakMap<HttpLocationConfig, LocationLimits | null>();

  /**
   * `keys`: each limit_req_zone's KEY template by zone name ("$binary_remote_addr"), read
   * with the thread's `variables` (those of keyval directives included); `counters`: where
   * each zone's decisions are counted (null: nowhere); `logger`: where refusals and delays
   * are told.
   */
  constructor(
    zones: ReadonlyMap<string, LimitReqZone>, keys: Readonly<Record<string, string>>, variables: Variables,
    counters: NodeCounters | null = null, logger: ThreadLogger = noopLogger,
  ) {
    this.zones = zones;
    this.keys = keys;
    this.variables = variables;
    this.counters = counters;
    this.logger = logger;
  }

  /** The location's compiled rules, or null when it has none that apply. */
  limitsOf(location: HttpLocationConfig): LocationLimits | null {
    let limits = this.compiled.get(location);
    if (limits === undefined) {
      limits = this.compile(location);
      this.compiled.set(location, limits);
    }
    return limits;
  }

  private compile(location: HttpLocationConfig): LocationLimits | null {
    const rules: CompiledRule[] = [];
    for (const l of location.settings.limitReqs) {
      const zone = this.zones.get(l.zone);
      const template = this.keys[l.zone];
      // The configuration checks that every limit_req names a limit_req_zone.
      if (zone === undefined || template === undefined) throw new Error(`limit_req zone "${l.zone}" is not a limit_req_zone of this node`);
      const options: TakeOptions = Number.isFinite(l.delay) ? { burst: l.burst, delay: l.delay } : { burst: l.burst, nodelay: true };
      rules.push({ zone, key: this.variables.compile(template), options });
    }
    const { limitReqStatus, limitReqDryRun, limitReqLogLevel, serverTokens } = location.settings;
    return rules.length === 0 ? null : new LocationLimits(
      rules, limitReqStatus, this.counters, { dryRun: limitReqDryRun, logLevel: limitReqLogLevel }, this.logger, serverField(serverTokens),
    );
  }
}

/** Each limit_req_zone's KEY template by zone name (a zone without one is taken from code only). */
export function limitReqKeysOf(zones: readonly ZoneConfig[]): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const z of zones) if (z.kind === 'limit_req' && z.key !== null) keys[z.name] = z.key;
  return keys;
}
