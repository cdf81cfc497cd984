// allow / deny, as ngx_http_access_module (and ngx_stream_access_module) apply them: the
// rules are checked in order and the first that matches the client decides; a client no
// rule matches is allowed. An IPv4-mapped IPv6 client ("::ffff:10.1.2.3", how a dual-stack
// socket reports an IPv4 peer) is checked against the IPv4 rules, as nginx does. A client
// without an IP address (a unix-domain socket) matches only "unix:" and "all".
//
// A leaf, pure (no I/O): the configuration parses rules with parseAccessRule, and the HTTP
// API (api/request-guard.ts) and the sync listener (sync/inbound-listener.ts) apply them
// with AccessList. Addresses and blocks are read by ip.ts, the one IP parser.

import { IPV4_PREFIX_MAX, IPV6_PREFIX_MAX, canonicalPrefixKey, ipv4Unmapped, parseIpAddress, parseIpKey, prefixMatches } from './ip.js';

export type AccessAction = 'allow' | 'deny';

/** allow / deny: first match wins, as ngx_http_access_module. */
export interface AccessRule {
  readonly action: AccessAction;
  /** 'all' matches everyone, 'unix' every unix-socket client, else an address block. */
  readonly match: 'all' | 'unix' | 'ipv4' | 'ipv6';
  /** The network address with the host bits cleared (ip.ts's canonical text); '' for 'all' and 'unix'. */
  readonly address: string;
  /** 32 or 128 for a single address; 0 for 'all' and 'unix'. */
  readonly prefixLength: number;
}

/**
 * A rule as written in the configuration: allow/deny ADDRESS | CIDR | unix: | all; null
 * when the text is none of these. Host bits set past the prefix are cleared, as nginx does.
 */
export function parseAccessRule(action: AccessAction, text: string): AccessRule | null {
  if (text === 'all') return { action, match: 'all', address: '', prefixLength: 0 };
  if (text === 'unix:') return { action, match: 'unix', address: '', prefixLength: 0 };
  const block = parseIpKey(text);
  if (block === null) return null;
  const address = canonicalPrefixKey(block, block.family === 4 ? IPV4_PREFIX_MAX : IPV6_PREFIX_MAX);
  return { action, match: block.family === 4 ? 'ipv4' : 'ipv6', address, prefixLength: block.prefixLength };
}

interface CompiledRule {
  readonly action: AccessAction;
  /** 0: all, 4 or 6: an address block, -1: unix-domain clients. */
  readonly family: 0 | 4 | 6 | -1;
  readonly bytes: Uint8Array;
  readonly prefixLength: number;
}

export class AccessList {
  private readonly rules: readonly CompiledRule[];

  constructor(rules: readonly AccessRule[]) {
    this.rules = rules.map(compileRule);
  }

  /** `remoteAddress` as Node gives it (socket.remoteAddress); undefined for a unix-domain client. */
  check(remoteAddress: string | undefined): AccessAction {
    if (this.rules.length === 0) return 'allow';
    const client = clientAddress(remoteAddress);
    for (const rule of this.rules) {
      if (matches(rule, client)) return rule.action;
    }
    return 'allow';
  }

  allows(remoteAddress: string | undefined): boolean {
    return this.check(remoteAddress) === 'allow';
  }
}

/** A rule built in code is checked as the configuration's are: a bad one throws a RangeError naming it. */
function compileRule(rule: AccessRule): CompiledRule {
  if (rule.match === 'all') return { action: rule.action, family: 0, bytes: new Uint8Array(0), prefixLength: 0 };
  if (rule.match === 'unix') return { action: rule.action, family: -1, bytes: new Uint8Array(0), prefixLength: 0 };
  const parsed = parseIpAddress(rule.address);
  const family = rule.match === 'ipv4' ? 4 : 6;
  if (parsed === null || parsed.family !== family) throw new RangeError(`invalid ${rule.match} address "${rule.address}" in a ${rule.action} rule`);
  const maxLength = family === 4 ? IPV4_PREFIX_MAX : IPV6_PREFIX_MAX;
  if (!(Number.isInteger(rule.prefixLength) && rule.prefixLength >= 0 && rule.prefixLength <= maxLength)) {
    throw new RangeError(`invalid prefix length ${rule.prefixLength} in a ${rule.action} rule`);
  }
  return { action: rule.action, family, bytes: parsed.bytes, prefixLength: rule.prefixLength };
}

interface Client {
  /** 4 or 6; -1: no IP address (unix-domain socket); 0: unparseable (matches only "all"). */
  readonly family: 4 | 6 | -1 | 0;
  readonly bytes: Uint8Array;
}

function clientAddress(remoteAddress: string | undefined): Client {
  if (remoteAddress === undefined) return { family: -1, bytes: new Uint8Array(0) };
  // A link-local client's zone id ("fe80::1%eth0") is not part of its address.
  const percent = remoteAddress.indexOf('%');
  const parsed = parseIpAddress(percent < 0 ? remoteAddress : remoteAddress.slice(0, percent));
  if (parsed === null) return { family: 0, bytes: new Uint8Array(0) };
  return ipv4Unmapped(parsed);
}

function matches(rule: CompiledRule, client: Client): boolean {
  if (rule.family === 0) return true;
  if (rule.family !== client.family) return false;
  return rule.family === -1 || prefixMatches(rule.bytes, client.bytes, rule.prefixLength);
}
