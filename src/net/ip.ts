// IP addresses and CIDR blocks as text: the one parser of "a.b.c.d", "a.b.c.d/n", IPv6 and
// IPv6 prefixes in zonesync. A leaf: it reads nothing of zonesync. Its users: keyval
// `type=ip` keys (zones/keyval/match-index.ts: a lookup of an address returns the value of
// the longest stored address or block that contains it) and allow/deny rules (access.ts,
// which the configuration, the HTTP API and the sync listener share).
//
// Canonical text, so that "10.1.2.3/8", "10.0.0.0/8" and "010.0.0.0/8"-style spellings
// cannot become three keys or rules:
//  - a host (prefix 32 for IPv4, 128 for IPv6) is the plain address: "10.1.2.3", "2001:db8::1";
//  - a network is "address/len" with the address masked to len: "10.0.0.0/8";
//  - IPv6 text follows RFC 5952: lowercase hex, no leading zeros in a group, the longest run
//    of two or more zero groups (the first one on a tie) written "::", and IPv4-mapped
//    addresses (::ffff:0:0/96, §5 of the RFC) in mixed notation "::ffff:1.2.3.4", which is
//    also how Node reports a dual-stack socket's remote address.
//
// A keyval lookup probes every prefix length that some stored key has (a bitmap indexed by
// ipBitIndex), longest first, with canonicalPrefixKey: up to 129 probes, so that function
// masks into a caller's scratch buffer and builds the text from precomputed tables.
//
// What is accepted (everything else is null):
//  - IPv4: four decimal octets 0..255, no leading zeros ("010" is octal to inet_aton and
//    decimal to nginx; refusing it avoids the ambiguity), no sign, no spaces;
//  - IPv6: RFC 4291 text, 1..4 hex digits per group, at most one "::" standing for at least
//    one zero group, an optional dotted IPv4 tail; no zone id ("%eth0"), no brackets;
//  - prefix: "/" and a decimal 0..32 (IPv4) or 0..128 (IPv6) without leading zeros.
//    Bits set past the prefix ("10.1.2.3/8") are accepted and cleared, as nginx does.
//
// IPv4 and IPv6 are separate families: "::ffff:1.2.3.4" is family 6 and matches only IPv6
// keys. Whether a caller unmaps such an address (ipv4Unmapped) before a lookup is its decision.

export type IpFamily = 4 | 6;

/** An address (prefixLength = 32 or 128) or a block, its bytes masked to prefixLength. */
export interface IpKey {
  readonly family: IpFamily;
  /** 4 bytes for IPv4, 16 for IPv6, in network order. */
  readonly bytes: Uint8Array;
  readonly prefixLength: number;
}

export const IPV4_BYTES = 4;
export const IPV6_BYTES = 16;
export const IPV4_PREFIX_MAX = 32;
export const IPV6_PREFIX_MAX = 128;
/** Bits of the "prefix lengths present" bitmap: 33 IPv4 lengths, then 129 IPv6 lengths. */
export const IP_BIT_COUNT = IPV4_PREFIX_MAX + 1 + IPV6_PREFIX_MAX + 1;
/** Bytes a scratch buffer for canonicalPrefixKey must have. */
export const IP_SCRATCH_BYTES = IPV6_BYTES;
/** Longest text parseIpKey looks at: a full IPv6 address with an IPv4 tail and "/128". */
const IP_TEXT_MAX = 49;

// Precomputed text pieces, so that formatting concatenates strings and never converts numbers.
const DECIMAL: readonly string[] = Array.from({ length: 256 }, (_, n) => String(n));
const HEX: readonly string[] = Array.from({ length: 256 }, (_, n) => n.toString(16));
const HEX_PADDED: readonly string[] = Array.from({ length: 256 }, (_, n) => n.toString(16).padStart(2, '0'));
const PREFIX_SUFFIX: readonly string[] = Array.from({ length: IPV6_PREFIX_MAX + 1 }, (_, n) => `/${n}`);

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_A_UPPER = 0x41;
const CHAR_F_UPPER = 0x46;
const CHAR_A_LOWER = 0x61;
const CHAR_F_LOWER = 0x66;
const CHAR_DOT = 0x2e;
const CHAR_COLON = 0x3a;

const defaultScratch = new Uint8Array(IP_SCRATCH_BYTES);

if (IP_BIT_COUNT !== 162) throw new Error('ip.ts: IP_BIT_COUNT must be 162');

/** A stored key: an address or a CIDR block, masked. Null if the text is not one. */
export function parseIpKey(text: string): IpKey | null {
  if (text.length === 0 || text.length > IP_TEXT_MAX) return null;
  const slash = text.indexOf('/');
  const addressEnd = slash < 0 ? text.length : slash;
  const address = parseAddressRange(text, 0, addressEnd);
  if (address === null || slash < 0) return address;
  const prefixLength = parsePrefixLength(text, slash + 1, text.length, maxPrefixLength(address.family));
  if (prefixLength < 0) return null;
  maskBytes(address.bytes, address.bytes, prefixLength);
  return { family: address.family, bytes: address.bytes, prefixLength };
}

/** A lookup input: a plain address only (no "/"), prefixLength 32 or 128. */
export function parseIpAddress(text: string): IpKey | null {
  if (text.length === 0 || text.length > IP_TEXT_MAX) return null;
  return parseAddressRange(text, 0, text.length);
}

/** The canonical stored-key text of a key (see the top of this file). */
export function canonicalIpKey(key: IpKey): string {
  return canonicalPrefixKey(key, key.prefixLength);
}

/**
 * The canonical stored-key text of the block of `prefixLength` bits that contains `address`
 * (any IpKey; only its family and bytes are read). `scratch` (IP_SCRATCH_BYTES or more)
 * receives the masked bytes; pass a per-thread buffer, or leave the module's own.
 */
export function canonicalPrefixKey(address: IpKey, prefixLength: number, scratch: Uint8Array = defaultScratch): string {
  const maxLength = maxPrefixLength(address.family);
  if (!(Number.isInteger(prefixLength) && prefixLength >= 0 && prefixLength <= maxLength)) {
    throw new RangeError(`prefix length out of range for IPv${address.family}: ${prefixLength}`);
  }
  const size = address.family === 4 ? IPV4_BYTES : IPV6_BYTES;
  if (address.bytes.length !== size) throw new RangeError(`IPv${address.family} key needs ${size} bytes`);
  if (scratch.length < size) throw new RangeError(`scratch needs ${size} bytes, has ${scratch.length}`);
  maskBytes(address.bytes, scratch, prefixLength);
  const text = address.family === 4 ? formatIpv4(scratch, 0) : formatIpv6(scratch);
  return prefixLength === maxLength ? text : text + PREFIX_SUFFIX[prefixLength];
}

/** True when the first prefixLength bits of `address` equal those of `network` (same family, same byte count). */
export function prefixMatches(network: Uint8Array, address: Uint8Array, prefixLength: number): boolean {
  const whole = prefixLength >>> 3;
  for (let i = 0; i < whole; i++) {
    if (network[i] !== address[i]) return false;
  }
  const bits = prefixLength & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (network[whole]! & mask) === (address[whole]! & mask);
}

/** "::ffff:1.2.3.4" as "1.2.3.4", as nginx's $remote_addr shows an IPv4 client on a dual-stack socket; any other text unchanged. */
export function unmappedText(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The IPv4 address an IPv4-mapped IPv6 address ("::ffff:1.2.3.4") stands for; any other address unchanged. */
export function ipv4Unmapped(address: IpKey): IpKey {
  if (address.family !== 6 || !isIpv4Mapped(address.bytes)) return address;
  const prefixLength = Math.max(0, address.prefixLength - (IPV6_PREFIX_MAX - IPV4_PREFIX_MAX));
  return { family: 4, bytes: address.bytes.slice(IPV6_BYTES - IPV4_BYTES), prefixLength };
}

/** Index of (family, prefixLength) in a bitmap of the prefix lengths present: 0..32, then 33..161. */
export function ipBitIndex(family: IpFamily, prefixLength: number): number {
  const maxLength = maxPrefixLength(family);
  if (!(Number.isInteger(prefixLength) && prefixLength >= 0 && prefixLength <= maxLength)) {
    throw new RangeError(`prefix length out of range for IPv${family}: ${prefixLength}`);
  }
  return family === 4 ? prefixLength : IPV4_PREFIX_MAX + 1 + prefixLength;
}

function maxPrefixLength(family: IpFamily): number {
  return family === 4 ? IPV4_PREFIX_MAX : IPV6_PREFIX_MAX;
}

/** Copies `source` into `target` with every bit past prefixLength cleared. */
function maskBytes(source: Uint8Array, target: Uint8Array, prefixLength: number): void {
  const fullBytes = prefixLength >>> 3;
  const restBits = prefixLength & 7;
  const size = source.length;
  for (let i = 0; i < size; i++) {
    if (i < fullBytes) target[i] = source[i]!;
    else if (i === fullBytes && restBits !== 0) target[i] = source[i]! & ((0xff << (8 - restBits)) & 0xff);
    else target[i] = 0;
  }
}

function parseAddressRange(text: string, start: number, end: number): IpKey | null {
  const colon = text.indexOf(':', start);
  if (colon >= 0 && colon < end) {
    const bytes = new Uint8Array(IPV6_BYTES);
    return parseIpv6(text, start, end, bytes) ? { family: 6, bytes, prefixLength: IPV6_PREFIX_MAX } : null;
  }
  const bytes = new Uint8Array(IPV4_BYTES);
  return parseIpv4(text, start, end, bytes, 0) ? { family: 4, bytes, prefixLength: IPV4_PREFIX_MAX } : null;
}

/** Dotted quad text[start, end) into out[offset..offset+3]. */
function parseIpv4(text: string, start: number, end: number, out: Uint8Array, offset: number): boolean {
  let octets = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= CHAR_0 && c <= CHAR_9) {
      if (digits === 1 && value === 0) return false; // leading zero
      value = value * 10 + (c - CHAR_0);
      digits += 1;
      if (value > 255) return false;
    } else if (c === CHAR_DOT) {
      if (digits === 0 || octets === 3) return false;
      out[offset + octets] = value;
      octets += 1;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (digits === 0 || octets !== 3) return false;
  out[offset + 3] = value;
  return true;
}

function hexDigitValue(c: number): number {
  if (c >= CHAR_0 && c <= CHAR_9) return c - CHAR_0;
  if (c >= CHAR_A_LOWER && c <= CHAR_F_LOWER) return c - CHAR_A_LOWER + 10;
  if (c >= CHAR_A_UPPER && c <= CHAR_F_UPPER) return c - CHAR_A_UPPER + 10;
  return -1;
}

/**
 * RFC 4291 text text[start, end) into out (16 bytes, zeroed here). The scan of BIND's
 * inet_pton6: groups are written left to right; at "::" the position is remembered, and at
 * the end the groups after it are moved to the end of the address.
 */
function parseIpv6(text: string, start: number, end: number, out: Uint8Array): boolean {
  out.fill(0);
  let i = start;
  if (text.charCodeAt(i) === CHAR_COLON) {
    if (i + 1 >= end || text.charCodeAt(i + 1) !== CHAR_COLON) return false; // a lone leading ':'
    i += 1;
  }
  let written = 0; // bytes of out filled so far
  let gapAt = -1; // byte index where "::" stands
  let tokenStart = i;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    const digit = hexDigitValue(c);
    if (digit >= 0) {
      if (digits === 4) return false;
      value = (value << 4) | digit;
      digits += 1;
    } else if (c === CHAR_COLON) {
      tokenStart = i + 1;
      if (digits === 0) {
        if (gapAt >= 0) return false; // a second "::", or ":::"
        gapAt = written;
        continue;
      }
      if (i + 1 >= end) return false; // a trailing single ':'
      if (written + 2 > IPV6_BYTES) return false;
      out[written] = value >>> 8;
      out[written + 1] = value & 0xff;
      written += 2;
      value = 0;
      digits = 0;
    } else if (c === CHAR_DOT) {
      // The IPv4 tail starts at the current token and runs to the end.
      if (written + IPV4_BYTES > IPV6_BYTES || !parseIpv4(text, tokenStart, end, out, written)) return false;
      written += IPV4_BYTES;
      digits = 0;
      break;
    } else {
      return false;
    }
  }
  if (digits > 0) {
    if (written + 2 > IPV6_BYTES) return false;
    out[written] = value >>> 8;
    out[written + 1] = value & 0xff;
    written += 2;
  }
  if (gapAt < 0) return written === IPV6_BYTES;
  if (written === IPV6_BYTES) return false; // "::" must stand for at least one group
  const moved = written - gapAt;
  for (let k = 1; k <= moved; k++) {
    out[IPV6_BYTES - k] = out[written - k]!;
    out[written - k] = 0;
  }
  return true;
}

/** Decimal 0..maxValue at text[start, end) without leading zeros; -1 if it is not one. */
function parsePrefixLength(text: string, start: number, end: number, maxValue: number): number {
  const length = end - start;
  if (length < 1 || length > 3) return -1;
  if (length > 1 && text.charCodeAt(start) === CHAR_0) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < CHAR_0 || c > CHAR_9) return -1;
    value = value * 10 + (c - CHAR_0);
  }
  return value <= maxValue ? value : -1;
}

function formatIpv4(bytes: Uint8Array, offset: number): string {
  return (
    DECIMAL[bytes[offset]!]! +
    '.' +
    DECIMAL[bytes[offset + 1]!]! +
    '.' +
    DECIMAL[bytes[offset + 2]!]! +
    '.' +
    DECIMAL[bytes[offset + 3]!]!
  );
}

function formatGroup(bytes: Uint8Array, group: number): string {
  const high = bytes[group * 2]!;
  const low = bytes[group * 2 + 1]!;
  return high === 0 ? HEX[low]! : HEX[high]! + HEX_PADDED[low]!;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** RFC 5952 text of 16 bytes. */
function formatIpv6(bytes: Uint8Array): string {
  if (isIpv4Mapped(bytes)) return '::ffff:' + formatIpv4(bytes, 12);
  // The longest run of zero groups, the first on a tie; runs of one group stay as "0".
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let group = 0; group <= 8; group++) {
    const zero = group < 8 && bytes[group * 2] === 0 && bytes[group * 2 + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = group;
    } else if (runStart >= 0) {
      if (group - runStart > bestLength) {
        bestStart = runStart;
        bestLength = group - runStart;
      }
      runStart = -1;
    }
  }
  let text = '';
  for (let group = 0; group < 8; group++) {
    if (group === bestStart) {
      text += '::';
      group += bestLength - 1;
      continue;
    }
    if (text.length > 0 && group !== bestStart + bestLength) text += ':';
    text += formatGroup(bytes, group);
  }
  return text;
}
