// IP addresses and blocks (net/ip.ts: keyval type=ip keys, allow/deny rules): parsing,
// masking, RFC 5952 text, per-length probe keys, prefix matching.
import fc from 'fast-check';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  IP_BIT_COUNT,
  canonicalIpKey,
  canonicalPrefixKey,
  ipBitIndex,
  ipv4Unmapped,
  parseIpAddress,
  parseIpKey,
  prefixMatches,
} from '../../dist/net/ip.js';
import type { IpKey } from '../../dist/net/ip.js';

function canonical(text: string): string | null {
  const key = parseIpKey(text);
  return key === null ? null : canonicalIpKey(key);
}

function bytesOf(text: string): number[] {
  const key = parseIpKey(text);
  if (key === null) throw new Error(`not a key: ${text}`);
  return Array.from(key.bytes);
}

/** Uncompressed, unpadded IPv6 text of 16 bytes: eight groups, no "::". */
function fullIpv6(bytes: Uint8Array, upper: boolean, pad: boolean): string {
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) {
    let hex = ((bytes[g * 2]! << 8) | bytes[g * 2 + 1]!).toString(16);
    if (pad) hex = hex.padStart(4, '0');
    groups.push(upper ? hex.toUpperCase() : hex);
  }
  return groups.join(':');
}

function isMapped(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/** The WHATWG URL serializer compresses IPv6 per RFC 5952 (without mixed notation). */
function urlIpv6(text: string): string {
  const host = new URL(`http://[${text}]/`).hostname;
  return host.slice(1, -1);
}

const v4Bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });
// Zero-heavy bytes, so that runs of zero groups and ties are common.
const v6Bytes = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 255 })), {
  minLength: 16,
  maxLength: 16,
}).map((a) => Uint8Array.from(a));
const v6Groups = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map((groups) => {
    const bytes = new Uint8Array(16);
    groups.forEach((g, i) => {
      bytes[i * 2] = g >>> 8;
      bytes[i * 2 + 1] = g & 0xff;
    });
    return bytes;
  });

describe('parseIpKey: IPv4', () => {
  it.each([
    ['0.0.0.0', [0, 0, 0, 0], 32],
    ['10.1.2.3', [10, 1, 2, 3], 32],
    ['255.255.255.255', [255, 255, 255, 255], 32],
    ['10.0.0.0/8', [10, 0, 0, 0], 8],
    ['10.1.2.3/8', [10, 0, 0, 0], 8],
    ['10.1.2.3/32', [10, 1, 2, 3], 32],
    ['10.1.2.3/0', [0, 0, 0, 0], 0],
    ['192.168.255.255/17', [192, 168, 128, 0], 17],
    ['192.168.1.255/31', [192, 168, 1, 254], 31],
  ])('%s', (text, bytes, prefixLength) => {
    const key = parseIpKey(text);
    expect(key).not.toBeNull();
    expect(key!.family).toBe(4);
    expect(Array.from(key!.bytes)).toEqual(bytes);
    expect(key!.bytes.length).toBe(4);
    expect(key!.prefixLength).toBe(prefixLength);
  });

  it.each([
    '',
    '1',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.2.3.256',
    '1.2.3.1000',
    '01.2.3.4',
    '1.2.3.04',
    '1.2.3.00',
    '-1.2.3.4',
    '+1.2.3.4',
    ' 1.2.3.4',
    '1.2.3.4 ',
    'x1.2.3.4',
    '1.2.3.4x',
    '1..2.3',
    '.1.2.3.4',
    '1.2.3.4.',
    '0x1.2.3.4',
    '1.2.3.4/',
    '1.2.3.4/33',
    '1.2.3.4/-1',
    '1.2.3.4/+8',
    '1.2.3.4/08',
    '1.2.3.4/8/8',
    '1.2.3.4/1000',
    '1.2.3.4/ 8',
    '/8',
    '１.2.3.4',
  ])('rejects %j', (text) => {
    expect(parseIpKey(text)).toBeNull();
  });
});

describe('parseIpKey: IPv6', () => {
  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['1::8', '1::8'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::FFFF:1.2.3.4', '::ffff:1.2.3.4'],
    ['0:0:0:0:0:ffff:0102:0304', '::ffff:1.2.3.4'],
    ['::1.2.3.4', '::102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:db8:ffff::1/32', '2001:db8::/32'],
    ['2001:db8::1/128', '2001:db8::1'],
    ['::/0', '::/0'],
    ['ffff::1/1', '8000::/1'],
    ['::ffff:1.2.3.4/96', '::ffff:0.0.0.0/96'],
    ['::ffff:1.2.3.4/104', '::ffff:1.0.0.0/104'],
    ['::ffff:1.2.3.4/80', '::/80'],
    ['FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:255.255.255.255/128', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['0000:0000:0000:0000:0000:ffff:255.255.255.255/128', '::ffff:255.255.255.255'],
  ])('%s -> %s', (text, expected) => {
    const key = parseIpKey(text);
    expect(key).not.toBeNull();
    expect(key!.family).toBe(6);
    expect(key!.bytes.length).toBe(16);
    expect(canonicalIpKey(key!)).toBe(expected);
  });

  it.each([
    ':',
    ':::',
    ':1',
    '1:',
    '1::2::3',
    '::1::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7::8',
    '12345::',
    '::g',
    '::1%eth0',
    'fe80::1%1',
    '[::1]',
    '::ffff:1.2.3',
    '::ffff:1.2.3.4.5',
    '::ffff:01.2.3.4',
    '::ffff:1.2.3.4:1',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3.4/129',
    '::/129',
    '::/01',
    ' ::1',
    '::1 ',
    '2001:db8::1/',
    '1.2.3.4::',
    'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/1280',
    '0ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128',
  ])('rejects %j', (text) => {
    expect(parseIpKey(text)).toBeNull();
  });
});

describe('parseIpAddress', () => {
  it('accepts plain addresses only', () => {
    expect(parseIpAddress('10.1.2.3')).toEqual({ family: 4, bytes: Uint8Array.from([10, 1, 2, 3]), prefixLength: 32 });
    expect(parseIpAddress('2001:db8::1')?.prefixLength).toBe(128);
    expect(parseIpAddress('::ffff:127.0.0.1')?.family).toBe(6);
    expect(parseIpAddress('10.1.2.3/32')).toBeNull();
    expect(parseIpAddress('10.0.0.0/8')).toBeNull();
    expect(parseIpAddress('::/0')).toBeNull();
    expect(parseIpAddress('')).toBeNull();
    expect(parseIpAddress('localhost')).toBeNull();
    expect(parseIpAddress('x'.repeat(10_000))).toBeNull();
  });

  it('agrees with net.isIP on random strings (zone ids aside)', () => {
    const text = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'.split('')), maxLength: 45 });
    fc.assert(
      fc.property(text, (s) => {
        expect(parseIpAddress(s) !== null).toBe(isIP(s) !== 0);
        if (isIP(s) !== 0) expect(parseIpAddress(s)!.family).toBe(isIP(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with net.isIP on near-valid strings', () => {
    // Valid addresses with one character changed, inserted or removed.
    const edited = fc
      .tuple(fc.oneof(v4Bytes, v6Bytes), fc.nat(), fc.constantFrom(...'0:.1fF9'.split('')), fc.integer({ min: 0, max: 2 }))
      .map(([bytes, at, ch, op]) => {
        const base = canonicalIpKey(
          parseIpAddress(bytes.length === 4 ? Array.from(bytes).join('.') : fullIpv6(bytes, false, false))!,
        );
        const i = at % (base.length + 1);
        if (op === 0) return base.slice(0, i) + ch + base.slice(i);
        if (op === 1) return base.slice(0, i) + ch + base.slice(i + 1);
        return base.slice(0, i) + base.slice(i + 1);
      });
    fc.assert(
      fc.property(edited, (s) => {
        expect(parseIpAddress(s) !== null).toBe(isIP(s) !== 0);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('round trips', () => {
  it('any 4 bytes, formatted, parse back', () => {
    fc.assert(
      fc.property(v4Bytes, (bytes) => {
        const text = Array.from(bytes).join('.');
        const key = parseIpKey(text);
        expect(key).not.toBeNull();
        expect(key!.bytes).toEqual(bytes);
        expect(canonicalIpKey(key!)).toBe(text);
      }),
    );
  });

  it('any 16 bytes, formatted in full, padded or not, any case, parse back', () => {
    fc.assert(
      fc.property(fc.oneof(v6Bytes, v6Groups), fc.boolean(), fc.boolean(), (bytes, upper, pad) => {
        const key = parseIpKey(fullIpv6(bytes, upper, pad));
        expect(key).not.toBeNull();
        expect(key!.family).toBe(6);
        expect(key!.bytes).toEqual(bytes);
        const text = canonicalIpKey(key!);
        expect(parseIpKey(text)!.bytes).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('canonical IPv6 text is RFC 5952 (compared with the WHATWG URL serializer)', () => {
    fc.assert(
      fc.property(fc.oneof(v6Bytes, v6Groups), (bytes) => {
        fc.pre(!isMapped(bytes));
        const text = canonicalIpKey(parseIpKey(fullIpv6(bytes, true, true))!);
        expect(text).toBe(urlIpv6(fullIpv6(bytes, false, false)));
      }),
      { numRuns: 2000 },
    );
  });

  it('canonical form is a fixpoint, for addresses and blocks', () => {
    const keyText = fc.oneof(
      fc.tuple(v4Bytes, fc.integer({ min: 0, max: 40 })).map(([b, p]) => `${Array.from(b).join('.')}/${p}`),
      fc.tuple(v4Bytes).map(([b]) => Array.from(b).join('.')),
      fc.tuple(fc.oneof(v6Bytes, v6Groups), fc.integer({ min: 0, max: 130 })).map(([b, p]) => `${fullIpv6(b, false, true)}/${p}`),
      fc.tuple(fc.oneof(v6Bytes, v6Groups)).map(([b]) => fullIpv6(b, true, false)),
    );
    fc.assert(
      fc.property(keyText, (text) => {
        const once = canonical(text);
        if (once === null) return;
        expect(canonical(once)).toBe(once);
        const key = parseIpKey(once)!;
        expect(key).toEqual(parseIpKey(text));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('masking', () => {
  it('clears every bit past the prefix and keeps the ones before', () => {
    expect(bytesOf('255.255.255.255/0')).toEqual([0, 0, 0, 0]);
    expect(bytesOf('255.255.255.255/1')).toEqual([128, 0, 0, 0]);
    expect(bytesOf('255.255.255.255/9')).toEqual([255, 128, 0, 0]);
    expect(bytesOf('255.255.255.255/23')).toEqual([255, 255, 254, 0]);
    expect(bytesOf('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/65')).toEqual([...Array(8).fill(255), 128, ...Array(7).fill(0)]);
    expect(bytesOf('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127')).toEqual([...Array(15).fill(255), 254]);
  });

  it('the canonical text of a block keeps the suffix; of a host, drops it', () => {
    expect(canonical('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(canonical('10.1.2.3/32')).toBe('10.1.2.3');
    expect(canonical('0.0.0.0/0')).toBe('0.0.0.0/0');
    expect(canonical('2001:db8::1/128')).toBe('2001:db8::1');
    expect(canonical('2001:db8::1/127')).toBe('2001:db8::/127');
    expect(canonical('2001:db8::3/127')).toBe('2001:db8::2/127');
  });

  it('matches a bitwise reference for random addresses and lengths', () => {
    fc.assert(
      fc.property(fc.oneof(v4Bytes, v6Bytes), fc.nat(), (bytes, n) => {
        const family = bytes.length === 4 ? 4 : 6;
        const prefixLength = n % (bytes.length * 8 + 1);
        const text = family === 4 ? Array.from(bytes).join('.') : fullIpv6(bytes, false, false);
        const key = parseIpKey(`${text}/${prefixLength}`)!;
        for (let bit = 0; bit < bytes.length * 8; bit++) {
          const original = (bytes[bit >> 3]! >> (7 - (bit & 7))) & 1;
          const masked = (key.bytes[bit >> 3]! >> (7 - (bit & 7))) & 1;
          expect(masked).toBe(bit < prefixLength ? original : 0);
        }
      }),
    );
  });
});

describe('RFC 5952', () => {
  it.each([
    // §4.1 no leading zeros; §4.3 lowercase.
    ['2001:0DB8:00AA:000A:0000:0000:0000:0001', '2001:db8:aa:a::1'],
    // §4.2.1 shorten as much as possible.
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    // §4.2.2 one 16-bit 0 field is not shortened.
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    // §4.2.3 the longest run; the first one on a tie.
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
    ['0:0:1:0:0:1:0:0', '::1:0:0:1:0:0'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0:1:0:1:0:1:0:1', '0:1:0:1:0:1:0:1'],
    ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'],
    ['0:1:2:3:4:5:6:0', '0:1:2:3:4:5:6:0'],
    // §5 IPv4-mapped addresses in mixed notation.
    ['::ffff:c000:0280', '::ffff:192.0.2.128'],
    ['::ffff:0:0', '::ffff:0.0.0.0'],
    ['::fffe:c000:0280', '::fffe:c000:280'],
    ['0:0:0:0:1:ffff:c000:0280', '::1:ffff:c000:280'],
  ])('%s -> %s', (text, expected) => {
    expect(canonical(text)).toBe(expected);
  });
});

describe('canonicalPrefixKey', () => {
  it('equals canonicalIpKey(parseIpKey(block)) for random addresses and every length', () => {
    const scratch = new Uint8Array(16);
    fc.assert(
      fc.property(fc.oneof(v4Bytes, v6Bytes, v6Groups), (bytes) => {
        const text = bytes.length === 4 ? Array.from(bytes).join('.') : fullIpv6(bytes, false, false);
        const address = parseIpAddress(text)!;
        const before = Array.from(address.bytes);
        for (let length = 0; length <= bytes.length * 8; length++) {
          const probe = canonicalPrefixKey(address, length, scratch);
          expect(probe).toBe(canonicalIpKey(parseIpKey(`${text}/${length}`)!));
          expect(canonicalPrefixKey(address, length)).toBe(probe);
        }
        expect(Array.from(address.bytes)).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });

  it('the probe at full length is the address itself, and at 0 the whole family', () => {
    const v4 = parseIpAddress('192.0.2.7')!;
    expect(canonicalPrefixKey(v4, 32)).toBe('192.0.2.7');
    expect(canonicalPrefixKey(v4, 24)).toBe('192.0.2.0/24');
    expect(canonicalPrefixKey(v4, 0)).toBe('0.0.0.0/0');
    const v6 = parseIpAddress('2001:db8:1:2::7')!;
    expect(canonicalPrefixKey(v6, 128)).toBe('2001:db8:1:2::7');
    expect(canonicalPrefixKey(v6, 48)).toBe('2001:db8:1::/48');
    expect(canonicalPrefixKey(v6, 0)).toBe('::/0');
  });

  it('refuses lengths out of range and short buffers', () => {
    const v4 = parseIpAddress('192.0.2.7')!;
    expect(() => canonicalPrefixKey(v4, 33)).toThrow(RangeError);
    expect(() => canonicalPrefixKey(v4, -1)).toThrow(RangeError);
    expect(() => canonicalPrefixKey(v4, 1.5)).toThrow(RangeError);
    expect(() => canonicalPrefixKey(parseIpAddress('::1')!, 129)).toThrow(RangeError);
    expect(() => canonicalPrefixKey(parseIpAddress('::1')!, 64, new Uint8Array(4))).toThrow(RangeError);
    const wrong: IpKey = { family: 6, bytes: new Uint8Array(4), prefixLength: 128 };
    expect(() => canonicalPrefixKey(wrong, 64)).toThrow(RangeError);
  });
});

describe('ipBitIndex', () => {
  it('maps IPv4 lengths to 0..32 and IPv6 lengths to 33..161, one to one', () => {
    const seen = new Set<number>();
    for (let length = 0; length <= 32; length++) seen.add(ipBitIndex(4, length));
    for (let length = 0; length <= 128; length++) seen.add(ipBitIndex(6, length));
    expect(seen.size).toBe(IP_BIT_COUNT);
    expect(IP_BIT_COUNT).toBe(162);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(161);
    expect(ipBitIndex(4, 32)).toBe(32);
    expect(ipBitIndex(6, 0)).toBe(33);
  });

  it('refuses lengths out of range', () => {
    expect(() => ipBitIndex(4, 33)).toThrow(RangeError);
    expect(() => ipBitIndex(6, 129)).toThrow(RangeError);
    expect(() => ipBitIndex(6, -1)).toThrow(RangeError);
  });
});

describe('prefixMatches', () => {
  it('is true exactly when both addresses fall in the same block of that length', () => {
    const pair = fc.oneof(
      fc.tuple(v4Bytes, v4Bytes, fc.integer({ min: 0, max: 32 })),
      fc.tuple(v6Bytes, v6Bytes, fc.integer({ min: 0, max: 128 })),
      // Addresses that share a long prefix, so that the bits near the length decide.
      fc.tuple(v6Bytes, fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 128 })).map(([a, flip, len]) => {
        const b = a.slice();
        b[flip >>> 3] ^= 0x80 >>> (flip & 7);
        return [a, b, len] as const;
      }),
    );
    fc.assert(fc.property(pair, ([a, b, len]) => {
      const family = a.length === 4 ? 4 : 6;
      const key = (bytes: Uint8Array): IpKey => ({ family, bytes, prefixLength: family === 4 ? 32 : 128 });
      expect(prefixMatches(a, b, len)).toBe(canonicalPrefixKey(key(a), len) === canonicalPrefixKey(key(b), len));
    }), { numRuns: 3000 });
  });
});

describe('ipv4Unmapped', () => {
  it('gives the IPv4 address of an IPv4-mapped one and leaves every other address alone', () => {
    expect(ipv4Unmapped(parseIpAddress('::ffff:10.1.2.3')!)).toEqual({ family: 4, bytes: Uint8Array.from([10, 1, 2, 3]), prefixLength: 32 });
    expect(ipv4Unmapped(parseIpKey('::ffff:10.1.0.0/112')!)).toEqual({ family: 4, bytes: Uint8Array.from([10, 1, 0, 0]), prefixLength: 16 });
    for (const text of ['10.1.2.3', '::1', '2001:db8::1', '::10.1.2.3', '::fffe:10.1.2.3', '0:0:0:0:0:1:ffff:1']) {
      const address = parseIpAddress(text)!;
      expect(ipv4Unmapped(address)).toBe(address);
    }
  });
});
