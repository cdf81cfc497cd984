// Password checks for auth_basic_user_file, the schemes nginx's ngx_crypt() accepts:
//   {PLAIN}text            the password itself
//   {SHA}base64            SHA-1 of the password (htpasswd -s)
//   {SSHA}base64           SHA-1 of password + salt, then the salt (LDAP style)
//   $apr1$salt$…           Apache's MD5 (htpasswd -m, the default of htpasswd)
//   and, through the system's crypt(3) on Linux:
//   $1$salt$…              MD5-crypt
//   $5$…, $6$…             SHA-256-crypt, SHA-512-crypt
//   13 characters          traditional DES crypt (htpasswd -d)
// bcrypt ($2y$) and yescrypt ($y$) are not supported: checkPassword says no.
//
// Passwords are bytes (what the Authorization header carried); hashes are the file's
// bytes as latin1 text. MD5 and DES come from the apache-md5 and apache-crypt packages,
// which take JavaScript strings: a latin1 string of the password's bytes hands them the
// bytes unchanged.

import { createHash, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { isShaCryptHash, shaCrypt } from './sha-crypt.js';

const require = createRequire(import.meta.url);
const apacheMd5 = require('apache-md5') as (password: string, salt: string) => string;
const apacheCrypt = require('apache-crypt') as (password: string, salt: string) => string;

export type PasswordScheme = 'plain' | 'sha' | 'ssha' | 'apr1' | 'md5-crypt' | 'sha256-crypt' | 'sha512-crypt' | 'des-crypt';

const DES_HASH = /^[./0-9A-Za-z]{13}$/;
const MD5_SALT_MAX_CHARS = 8;
const SHA1_BYTES = 20;

export function passwordScheme(hash: string): PasswordScheme | null {
  if (hash.startsWith('{PLAIN}')) return 'plain';
  if (hash.startsWith('{SHA}')) return 'sha';
  if (hash.startsWith('{SSHA}')) return 'ssha';
  if (hash.startsWith('$apr1$')) return 'apr1';
  if (hash.startsWith('$1$')) return 'md5-crypt';
  if (hash.startsWith('$5$')) return 'sha256-crypt';
  if (hash.startsWith('$6$')) return 'sha512-crypt';
  if (DES_HASH.test(hash)) return 'des-crypt';
  return null;
}

/** Whether `password` matches `hash` (a line's second field); false for unknown schemes. */
export function checkPassword(password: Uint8Array, hash: string): boolean {
  switch (passwordScheme(hash)) {
    case 'plain':
      return bytesEqual(Buffer.from(password), Buffer.from(hash.slice('{PLAIN}'.length), 'latin1'));
    case 'sha':
      return bytesEqual(sha1(password), Buffer.from(hash.slice('{SHA}'.length), 'base64'));
    case 'ssha':
      return checkSsha(password, Buffer.from(hash.slice('{SSHA}'.length), 'base64'));
    case 'apr1':
    case 'md5-crypt':
      return textEqual(md5Crypt(password, hash), hash);
    case 'sha256-crypt':
    case 'sha512-crypt':
      return isShaCryptHash(hash) && textEqual(shaCrypt(password, hash) ?? '', hash);
    case 'des-crypt':
      return textEqual(apacheCrypt(latin1(password), hash.slice(0, 2)), hash);
    case null:
      return false;
  }
}

function checkSsha(password: Uint8Array, decoded: Buffer): boolean {
  if (decoded.length <= SHA1_BYTES) return false;
  const salt = decoded.subarray(SHA1_BYTES);
  return bytesEqual(sha1(Buffer.concat([password, salt])), decoded.subarray(0, SHA1_BYTES));
}

/* "$apr1$salt$hash" or "$1$salt$hash": the salt is at most 8 characters, as crypt(3) reads it. */
function md5Crypt(password: Uint8Array, hash: string): string {
  const parts = hash.split('$');
  const magic = parts[1]!;
  const salt = (parts[2] ?? '').slice(0, MD5_SALT_MAX_CHARS);
  return apacheMd5(latin1(password), `$${magic}$${salt}$`);
}

function sha1(data: Uint8Array): Buffer {
  return createHash('sha1').update(data).digest();
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function textEqual(a: string, b: string): boolean {
  return bytesEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}
