// allow / deny (net/access.ts): rules as the configuration writes them, and the first-match
// check the HTTP API and the sync listener both apply.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessList, parseAccessRule } from '../../dist/net/access.js';
import { canonicalPrefixKey, parseIpAddress, parseIpKey } from '../../dist/net/ip.js';
import { accessRule } from '../util/access-rules.js';

function list(...rules: [('allow' | 'deny'), string][]): AccessList {
  return new AccessList(rules.map(([action, text]) => accessRule(action, text)));
}

describe('AccessList (allow/deny as ngx_http_access_module)', () => {
  it('no rules, or no matching rule, allows', () => {
    expect(list().check('10.0.0.1')).toBe('allow');
    expect(list(['allow', '127.0.0.1']).check('10.0.0.1')).toBe('allow');
    expect(list(['deny', '10.0.0.0/8']).check('11.0.0.1')).toBe('allow');
  });

  it('the first matching rule wins', () => {
    const l = list(['deny', '10.1.0.0/16'], ['allow', '10.0.0.0/8'], ['deny', 'all']);
    expect(l.check('10.1.2.3')).toBe('deny');
    expect(l.check('10.2.0.1')).toBe('allow');
    expect(l.check('11.0.0.1')).toBe('deny');
    const reversed = list(['allow', '10.0.0.0/8'], ['deny', '10.1.0.0/16'], ['deny', 'all']);
    expect(reversed.check('10.1.2.3')).toBe('allow');
  });

  it('the admin guide rules: allow 127.0.0.1; deny all', () => {
    const l = list(['allow', '127.0.0.1'], ['deny', 'all']);
    expect(l.allows('127.0.0.1')).toBe(true);
    expect(l.allows('127.0.0.2')).toBe(false);
    expect(l.allows('::1')).toBe(false);
    expect(l.allows('::ffff:127.0.0.1')).toBe(true); // an IPv4 client of a dual-stack socket
  });

  it('prefixes that end inside a byte', () => {
    const l = list(['allow', '10.8.0.0/13'], ['deny', 'all']);
    expect(l.allows('10.8.0.0')).toBe(true);
    expect(l.allows('10.15.255.255')).toBe(true);
    expect(l.allows('10.16.0.0')).toBe(false);
    expect(l.allows('10.7.255.255')).toBe(false);
    const all4 = list(['deny', '0.0.0.0/0']);
    expect(all4.allows('1.2.3.4')).toBe(false);
    expect(all4.allows('::1')).toBe(true);
  });

  it('IPv6 blocks, any spelling of the client, and link-local zone ids', () => {
    const l = list(['allow', '2001:db8::/32'], ['allow', 'fe80::/10'], ['deny', 'all']);
    expect(l.allows('2001:db8:1::5')).toBe(true);
    expect(l.allows('2001:DB8:0:0:0:0:0:1')).toBe(true);
    expect(l.allows('2001:db9::1')).toBe(false);
    expect(l.allows('fe80::1%eth0')).toBe(true);
    expect(l.allows('10.0.0.1')).toBe(false);
    const v6only = list(['deny', '::/0']);
    expect(v6only.allows('1.2.3.4')).toBe(true); // an IPv6 rule never matches an IPv4 client
    expect(v6only.allows('2001:db8::1')).toBe(false);
  });

  it('unix: matches clients without an IP address; all matches everyone', () => {
    const l = list(['allow', 'unix:'], ['deny', 'all']);
    expect(l.allows(undefined)).toBe(true);
    expect(l.allows('127.0.0.1')).toBe(false);
    expect(list(['deny', 'all']).allows(undefined)).toBe(false);
    expect(list(['deny', '127.0.0.1']).allows(undefined)).toBe(true);
  });
});

describe('parseAccessRule (allow/deny ADDRESS | CIDR | unix: | all)', () => {
  it.each([
    ['all', 'all', '', 0],
    ['unix:', 'unix', '', 0],
    ['127.0.0.1', 'ipv4', '127.0.0.1', 32],
    ['10.1.2.3/8', 'ipv4', '10.0.0.0', 8],
    ['0.0.0.0/0', 'ipv4', '0.0.0.0', 0],
    ['2001:DB8::1/32', 'ipv6', '2001:db8::', 32],
    ['::1', 'ipv6', '::1', 128],
    ['::ffff:10.1.2.3/120', 'ipv6', '::ffff:10.1.2.0', 120],
    ['::/0', 'ipv6', '::', 0],
  ] as const)('"%s" is %s %s/%d', (text, match, address, prefixLength) => {
    expect(parseAccessRule('deny', text)).toEqual({ action: 'deny', match, address, prefixLength });
  });

  it.each(['', 'localhost', 'unix:/tmp/x', 'ALL', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '010.0.0.1', '1.2.3', '10.0.0.0/8/8', 'fe80::1%eth0', '[::1]'])(
    'refuses "%s"', (text) => {
      expect(parseAccessRule('allow', text)).toBeNull();
    },
  );

  it('a block is its address masked to the prefix, in canonical text, for every address and length', () => {
    const v4 = fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }))
      .map(([b, len]) => `${Array.from(b).join('.')}/${len}`);
    const v6 = fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
      .map(([b, len]) => `${Array.from({ length: 8 }, (_, g) => ((b[2 * g]! << 8) | b[2 * g + 1]!).toString(16)).join(':')}/${len}`);
    fc.assert(fc.property(fc.oneof(v4, v6), (text) => {
      const rule = parseAccessRule('allow', text)!;
      const block = parseIpKey(text)!;
      expect(rule.match).toBe(block.family === 4 ? 'ipv4' : 'ipv6');
      expect(rule.prefixLength).toBe(block.prefixLength);
      expect(rule.address).toBe(canonicalPrefixKey(block, block.family === 4 ? 32 : 128));
      // What the rule keeps reads back as the same network.
      expect(Array.from(parseIpAddress(rule.address)!.bytes)).toEqual(Array.from(block.bytes));
      expect(new AccessList([rule]).check(rule.address)).toBe('allow');
    }), { numRuns: 2000 });
  });

  it('a rule built in code with a bad address or prefix length is refused when compiled', () => {
    expect(() => new AccessList([{ action: 'deny', match: 'ipv4', address: '::1', prefixLength: 32 }])).toThrow(/invalid ipv4 address/);
    expect(() => new AccessList([{ action: 'deny', match: 'ipv6', address: '::1', prefixLength: 129 }])).toThrow(/invalid prefix length/);
  });
});
