import type { ShmZone } from 'native-free-shm';
import { IPV4_PREFIX_MAX, IPV6_PREFIX_MAX, IP_BIT_COUNT, canonicalPrefixKey, ipBitIndex, parseIpAddress, parseIpKey, canonicalIpKey } from '../../net/ip.js';

/**
 * Longest-match lookups for keyval `type=ip` and `type=prefix` over a hash table: a bitmap
 * in the zone header says which prefix lengths are stored, and a match probes only those,
 * longest first. Bits are set (Atomics.or) by every thread that stores a key, local or
 * remote, and cleared only when the zone is emptied; a stale bit costs one extra probe.
 *
 * User area of the zone header (u32 words): 0 module tag, 1 key type, 8.. the bitmap.
 */
export const KEY_TYPE_STRING = 0;
export const KEY_TYPE_IP = 1;
export const KEY_TYPE_PREFIX = 2;
export type KeyvalType = 'string' | 'ip' | 'prefix';
export const KEY_TYPE_CODES: Record<KeyvalType, number> = { string: KEY_TYPE_STRING, ip: KEY_TYPE_IP, prefix: KEY_TYPE_PREFIX };

const WORD_KEY_TYPE = 1;
const WORD_BITMAP = 8;
/** Prefix lengths the bitmap covers: byte lengths for type=prefix, bit indexes for type=ip. */
export const MAX_PREFIX_BYTES = 4095;
const BITMAP_WORDS = (MAX_PREFIX_BYTES + 1) / 32;
/** The words holding type=ip's bits (ipBitIndex: 0..IP_BIT_COUNT-1). */
const IP_BITMAP_WORDS = Math.ceil(IP_BIT_COUNT / 32);

function userWords(shm: ShmZone): Int32Array {
  const area = shm.userArea();
  return new Int32Array(area.buffer, area.byteOffset, area.byteLength >>> 2);
}

export function writeKeyType(shm: ShmZone, type: KeyvalType): void {
  userWords(shm)[WORD_KEY_TYPE] = KEY_TYPE_CODES[type];
}

/** A stored key in canonical form, or null when it is not an address or CIDR block. */
export function canonicalStoredIpKey(key: string): string | null {
  const parsed = parseIpKey(key);
  return parsed === null ? null : canonicalIpKey(parsed);
}

export class MatchIndex {
  private readonly words: Int32Array;
  private readonly inputBytes = new Uint8Array(MAX_PREFIX_BYTES);
  private readonly encoder = new TextEncoder();

  constructor(shm: ShmZone) {
    this.words = userWords(shm);
  }

  get keyType(): number {
    return this.words[WORD_KEY_TYPE]!;
  }

  /** Records that a key of this canonical text is stored. */
  /** `keyBytes`: the key's UTF-8 length when the caller knows it (the zone has just encoded it). */
  noteKey(key: string, keyBytes: number = Buffer.byteLength(key)): void {
    const type = this.keyType;
    if (type === KEY_TYPE_PREFIX) this.setBit(Math.min(keyBytes, MAX_PREFIX_BYTES));
    else if (type === KEY_TYPE_IP) {
      const parsed = parseIpKey(key);
      if (parsed !== null) this.setBit(ipBitIndex(parsed.family, parsed.prefixLength));
    }
  }

  clear(): void {
    for (let i = 0; i < BITMAP_WORDS; i++) Atomics.store(this.words, WORD_BITMAP + i, 0);
  }

  private setBit(index: number): void {
    Atomics.or(this.words, WORD_BITMAP + (index >>> 5), 1 << (index & 31));
  }

  private hasBit(index: number): boolean {
    return (Atomics.load(this.words, WORD_BITMAP + (index >>> 5)) & (1 << (index & 31))) !== 0;
  }

  /**
   * type=ip: the stored key (address or block) holding `address` with the longest prefix;
   * `probe(key)` reads a canonical key and returns its value or undefined.
   */
  matchIp(address: string, probe: (key: string) => string | undefined): string | undefined {
    // Nothing stored (an empty deny list): no parse, no probe.
    if (!this.anyIpBit()) return undefined;
    const parsed = parseIpAddress(address);
    if (parsed === null) return undefined;
    const first = ipBitIndex(parsed.family, 0);
    const max = parsed.family === 4 ? IPV4_PREFIX_MAX : IPV6_PREFIX_MAX;
    // Each bitmap word read once, not once per length (a key stored meanwhile may be seen or not, as ever).
    let word = -1;
    let bits = 0;
    for (let len = max; len >= 0; len--) {
      const index = first + len;
      if (index >>> 5 !== word) {
        word = index >>> 5;
        bits = Atomics.load(this.words, WORD_BITMAP + word);
      }
      if ((bits & (1 << (index & 31))) === 0) continue;
      const value = probe(canonicalPrefixKey(parsed, len));
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** Whether an address or block of either family is stored: the bitmap's first IP_BITMAP_WORDS words. */
  private anyIpBit(): boolean {
    for (let i = 0; i < IP_BITMAP_WORDS; i++) if (Atomics.load(this.words, WORD_BITMAP + i) !== 0) return true;
    return false;
  }

  /**
   * type=prefix: the value of the longest stored key that `input` starts with, compared as
   * UTF-8 bytes; `probe(bytes, length)` reads the key made of the first `length` bytes.
   */
  matchPrefix(input: string, probe: (bytes: Uint8Array, length: number) => string | undefined): string | undefined {
    const written = this.encoder.encodeInto(input, this.inputBytes).written;
    for (let len = Math.min(written, MAX_PREFIX_BYTES); len >= 0; len--) {
      if (!this.hasBit(len)) continue;
      const value = probe(this.inputBytes, len);
      if (value !== undefined) return value;
    }
    return undefined;
  }
}
