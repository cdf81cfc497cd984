// allow / deny, as ngx_http_access_module (and ngx_stream_access_module) apply them: the
// rules are checked in order and the first that matches the client decides; a client no
// rule matches is allowed. An IPv4-mapped IPv6 client ("::ffff:10.1.2.3", how a dual-stack
// socket reports an IPv4 peer) is checked against the IPv4 rules, as nginx does. A client
// without an IP address (a unix-domain socket) matches only "unix:" and "all".
//
// Pure: no I/O, no HTTP. The sync listener applies the same rules to its connections.

import { parseCidr } from '../config/values.js';
import type { AccessRule } from '../config/types.js';
import { parseIpAddress } from '../zones/keyval/ip.js';

export type AccessAction = 'allow' | 'deny';

interface CompiledRule {
  readonly action: AccessAction;
  /** 0: all, 4 or 6: an address block, -1: unix-domain clients. */
  readonly family: 0 | 4 | 6 | -1;
  readonly bytes: Uint8Array;
  readonly prefixLength: number;
}

const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

export class AccessList {
  private readonly rules: readonly CompiledRule[];

  constructor(rules: readonly AccessRule[]) {
    this.rules = rules.map(compileRule);
  }

  get empty(): boolean {
    return this.rules.length === 0;
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

/** A rule written as in the configuration: allow/deny ADDRESS | CIDR | unix: | all. */
export function accessRule(action: AccessAction, text: string): AccessRule {
  if (text === 'all') return { action, match: 'all', address: '', prefixLength: 0 };
  if (text === 'unix:') return { action, match: 'unix', address: '', prefixLength: 0 };
  const parsed = parseCidr(text);
  if (parsed === null) throw new RangeError(`invalid ${action} rule "${text}"`);
  return { action, ...parsed };
}

function compileRule(rule: AccessRule): CompiledRule {
  if (rule.match === 'all') return { action: rule.action, family: 0, bytes: new Uint8Array(0), prefixLength: 0 };
  if (rule.match === 'unix') return { action: rule.action, family: -1, bytes: new Uint8Array(0), prefixLength: 0 };
  const parsed = parseIpAddress(rule.address);
  const family = rule.match === 'ipv4' ? 4 : 6;
  if (parsed === null || parsed.family !== family) throw new RangeError(`invalid ${rule.match} address "${rule.address}" in a ${rule.action} rule`);
  const maxLength = family === 4 ? 32 : 128;
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
  const percent = remoteAddress.indexOf('%');
  const parsed = parseIpAddress(percent < 0 ? remoteAddress : remoteAddress.slice(0, percent));
  if (parsed === null) return { family: 0, bytes: new Uint8Array(0) };
  if (parsed.family === 6 && IPV4_MAPPED_PREFIX.every((b, i) => parsed.bytes[i] === b)) {
    return { family: 4, bytes: parsed.bytes.subarray(12, 16) };
  }
  return { family: parsed.family, bytes: parsed.bytes };
}

function matches(rule: CompiledRule, client: Client): boolean {
  if (rule.family === 0) return true;
  if (rule.family !== client.family) return false;
  return rule.family === -1 || prefixEquals(rule.bytes, client.bytes, rule.prefixLength);
}

function prefixEquals(network: Uint8Array, address: Uint8Array, prefixLength: number): boolean {
  const whole = prefixLength >>> 3;
  for (let i = 0; i < whole; i++) {
    if (network[i] !== address[i]) return false;
  }
  const bits = prefixLength & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (network[whole]! & mask) === (address[whole]! & mask);
}
