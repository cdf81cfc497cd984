// SHA-crypt, the "$5$" (SHA-256) and "$6$" (SHA-512) schemes of crypt(3), as U. Drepper
// specified them (https://www.akkadia.org/drepper/SHA-crypt.txt) and glibc implements them;
// nginx accepts them in auth_basic_user_file through the system's crypt(). No maintained npm
// package provides them, so they are here, on node:crypto, checked against `openssl passwd
// -5/-6` in the tests.

import { createHash } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX_CHARS = 16;

interface Variant {
  readonly algorithm: 'sha256' | 'sha512';
  readonly digestBytes: number;
  /** Byte triples of the final digest, in output order; then the tail. */
  readonly order: readonly (readonly [number, number, number])[];
  readonly tail: readonly [number, number, number, number];
}

/* The output permutations of the specification: [b2, b1, b0] per 4 characters. */
const SHA256: Variant = {
  algorithm: 'sha256', digestBytes: 32,
  order: [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]],
  tail: [-1, 31, 30, 3],
};

const SHA512: Variant = {
  algorithm: 'sha512', digestBytes: 64,
  order: [
    [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7],
    [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35],
    [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
  ],
  tail: [-1, -1, 63, 2],
};

export function isShaCryptHash(hash: string): boolean {
  return hash.startsWith('$5$') || hash.startsWith('$6$');
}

/**
 * The crypt(3) string of `password` with the salt (and rounds) of `setting`, which is a
 * whole hash ("$6$rounds=10000$salt$…") or its prefix ("$6$salt"). Returns null when the
 * setting is not SHA-crypt.
 */
export function shaCrypt(password: Uint8Array, setting: string): string | null {
  const variant = setting.startsWith('$5$') ? SHA256 : setting.startsWith('$6$') ? SHA512 : null;
  if (variant === null) return null;
  let rest = setting.slice(3);
  let rounds = ROUNDS_DEFAULT;
  let roundsCustom = false;
  const roundsMatch = /^rounds=([0-9]+)\$/.exec(rest);
  if (roundsMatch !== null) {
    rounds = Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Number(roundsMatch[1])));
    roundsCustom = true;
    rest = rest.slice(roundsMatch[0].length);
  }
  const dollar = rest.indexOf('$');
  const saltText = (dollar < 0 ? rest : rest.slice(0, dollar)).slice(0, SALT_MAX_CHARS);
  const salt = Buffer.from(saltText, 'latin1');
  const digest = shaCryptDigest(variant, Buffer.from(password), salt, rounds);
  const prefix = setting.slice(0, 3) + (roundsCustom ? `rounds=${rounds}$` : '');
  return `${prefix}${saltText}$${encode(variant, digest)}`;
}

function hash(variant: Variant, ...parts: Uint8Array[]): Buffer {
  const h = createHash(variant.algorithm);
  for (const part of parts) h.update(part);
  return h.digest();
}

/** `source` repeated (whole, then a partial copy) to exactly `lengthBytes`. */
function repeatTo(source: Buffer, lengthBytes: number): Buffer {
  const out = Buffer.alloc(lengthBytes);
  for (let at = 0; at < lengthBytes; at += source.length) source.copy(out, at, 0, Math.min(source.length, lengthBytes - at));
  return out;
}

function shaCryptDigest(variant: Variant, p: Buffer, s: Buffer, rounds: number): Buffer {
  const b = hash(variant, p, s, p);
  const a = createHash(variant.algorithm);
  a.update(p);
  a.update(s);
  a.update(repeatTo(b, p.length));
  for (let n = p.length; n > 0; n >>>= 1) a.update((n & 1) !== 0 ? b : p);
  let c = a.digest();

  const dp = createHash(variant.algorithm);
  for (let i = 0; i < p.length; i++) dp.update(p);
  const pBytes = repeatTo(dp.digest(), p.length);

  const ds = createHash(variant.algorithm);
  for (let i = 0; i < 16 + c[0]!; i++) ds.update(s);
  const sBytes = repeatTo(ds.digest(), s.length);

  for (let i = 0; i < rounds; i++) {
    const h = createHash(variant.algorithm);
    h.update((i & 1) !== 0 ? pBytes : c);
    if (i % 3 !== 0) h.update(sBytes);
    if (i % 7 !== 0) h.update(pBytes);
    h.update((i & 1) !== 0 ? c : pBytes);
    c = h.digest();
  }
  return c;
}

function encode(variant: Variant, digest: Buffer): string {
  let out = '';
  for (const [b2, b1, b0] of variant.order) out += base64Triple(digest[b2]!, digest[b1]!, digest[b0]!, 4);
  const [t2, t1, t0, chars] = variant.tail;
  out += base64Triple(t2 < 0 ? 0 : digest[t2]!, t1 < 0 ? 0 : digest[t1]!, digest[t0]!, chars);
  return out;
}

function base64Triple(b2: number, b1: number, b0: number, chars: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < chars; i++) {
    out += ITOA64[w & 0x3f];
    w >>>= 6;
  }
  return out;
}
