// zone_sync_ssl_* and the listener's ssl_* turned into node:tls secure contexts, read once
// when the transport is made (files read, keys decrypted): a bad file or value is an error
// at start that names the directive, never a failure on the first connection.
//
// Where node:tls differs from OpenSSL as nginx drives it:
// - protocols become minVersion/maxVersion, a gap inside the range an SSL_OP_NO_* flag;
// - *_ciphers holds TLS 1.2 ciphers only, as in OpenSSL; TLS 1.3 suites come from the
//   Ciphersuites command (node:tls takes both in one list, TLS 1.3 names first);
// - conf commands map onto context options (MinProtocol/MaxProtocol, Groups/Curves →
//   ecdhCurve, SignatureAlgorithms → sigalgs, Ciphersuites, Options → secureOptions);
//   anything else, and an Options flag Node cannot apply, is an error;
// - verification depth is not settable in node:tls: the transport checks the peer's chain
//   (peerChainDepth below) with OpenSSL's count (depth N allows N intermediate CAs).

import { constants, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type PeerCertificate, type SecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import { DEFAULT_LISTENER_SSL, DEFAULT_ZONE_SYNC_SSL } from '../config/defaults.js';
import type { SslConfCommand, TlsProtocol } from '../config/types.js';
import type { ListenTlsOptions, OutgoingTlsOptions } from './options.js';

const PROTOCOL_ORDER: readonly TlsProtocol[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const NO_PROTOCOL_FLAG: Readonly<Record<TlsProtocol, number>> = {
  'TLSv1': constants.SSL_OP_NO_TLSv1, 'TLSv1.1': constants.SSL_OP_NO_TLSv1_1,
  'TLSv1.2': constants.SSL_OP_NO_TLSv1_2, 'TLSv1.3': constants.SSL_OP_NO_TLSv1_3,
};

/** Options (SSL_CONF "Options") Node can apply: the flag set, and whether the name means "set". */
const OPTION_FLAGS: Readonly<Record<string, { flag: number; setsFlag: boolean }>> = {
  Bugs: { flag: constants.SSL_OP_ALL, setsFlag: true },
  Compression: { flag: constants.SSL_OP_NO_COMPRESSION, setsFlag: false },
  SessionTicket: { flag: constants.SSL_OP_NO_TICKET, setsFlag: false },
  EncryptThenMac: { flag: constants.SSL_OP_NO_ENCRYPT_THEN_MAC, setsFlag: false },
  ServerPreference: { flag: constants.SSL_OP_CIPHER_SERVER_PREFERENCE, setsFlag: true },
  NoResumptionOnRenegotiation: { flag: constants.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION, setsFlag: true },
  NoRenegotiation: { flag: constants.SSL_OP_NO_RENEGOTIATION, setsFlag: true },
  UnsafeLegacyRenegotiation: { flag: constants.SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION, setsFlag: true },
  UnsafeLegacyServerConnect: { flag: constants.SSL_OP_LEGACY_SERVER_CONNECT, setsFlag: true },
  AllowNoDHEKEX: { flag: constants.SSL_OP_ALLOW_NO_DHE_KEX, setsFlag: true },
  PrioritizeChaCha: { flag: constants.SSL_OP_PRIORITIZE_CHACHA, setsFlag: true },
};
/* Flags off by default in a Node context: asking for them off is a no-op, not an error. */
const OFF_BY_DEFAULT = constants.SSL_OP_NO_TICKET | constants.SSL_OP_NO_ENCRYPT_THEN_MAC | constants.SSL_OP_CIPHER_SERVER_PREFERENCE
  | constants.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION | constants.SSL_OP_NO_RENEGOTIATION
  | constants.SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION | constants.SSL_OP_LEGACY_SERVER_CONNECT
  | constants.SSL_OP_ALLOW_NO_DHE_KEX | constants.SSL_OP_PRIORITIZE_CHACHA;

/** Outgoing TLS with every zone_sync_ssl_* at its default, changed by `settings`. */
export function outgoingTls(settings: Partial<OutgoingTlsOptions> = {}): OutgoingTlsOptions {
  const { enabled: _enabled, ...defaults } = DEFAULT_ZONE_SYNC_SSL;
  return { ...defaults, ...settings };
}

/** Listener TLS with every ssl_* at its default, changed by `settings`. */
export function listenTls(settings: Partial<ListenTlsOptions> = {}): ListenTlsOptions {
  return { ...DEFAULT_LISTENER_SSL, ...settings };
}

/** What the dialling side needs per connection, beyond the shared context. */
export interface ClientTls {
  readonly context: SecureContext;
  readonly verify: boolean;
  readonly verifyDepth: number;
  /** zone_sync_ssl_name; null: the host of the address (or the name it came from). */
  readonly name: string | null;
  /** zone_sync_ssl_server_name: send the name as SNI (never an IP address, RFC 6066). */
  readonly serverName: boolean;
}

export type VerifyClientMode = ListenTlsOptions['verifyClient'];

export interface ServerTls {
  /** For tls.Server, which makes its own context from options (checked by makeContext already). */
  readonly contextOptions: SecureContextOptions;
  readonly verifyClient: VerifyClientMode;
  readonly verifyDepth: number;
  readonly handshakeTimeoutMs: number;
}

/**
 * The dialling side's context from zone_sync_ssl_* or, with `d` "proxy_ssl", the same
 * settings of proxy_ssl_* (to upstream servers); errors name the directive with that prefix.
 */
export function clientTls(o: OutgoingTlsOptions, d = 'zone_sync_ssl'): ClientTls {
  const options = baseContextOptions(d, o.protocols, o.ciphers, o.confCommands);
  if (o.certificate !== null) {
    if (o.certificateKey === null) throw new RangeError(`no "${d}_certificate_key" is defined for certificate "${o.certificate}"`);
    options.cert = readPem(`${d}_certificate`, o.certificate);
    options.key = [loadKey(`${d}_certificate_key`, o.certificateKey, d, o.passwordFile)];
  }
  if (o.verify && o.trustedCertificate === null) throw new RangeError(`no "${d}_trusted_certificate" is defined for "${d}_verify"`);
  if (o.trustedCertificate !== null) options.ca = readPem(`${d}_trusted_certificate`, o.trustedCertificate);
  if (o.crl !== null) options.crl = readPem(`${d}_crl`, o.crl);
  return { context: makeContext(d, options), verify: o.verify, verifyDepth: o.verifyDepth, name: o.name, serverName: o.serverName };
}

export function serverTls(o: ListenTlsOptions): ServerTls {
  const options = baseContextOptions('ssl', o.protocols, o.ciphers, o.confCommands);
  if (o.certificates.length === 0) throw new RangeError('no "ssl_certificate" is defined for the "listen ... ssl" directive');
  if (o.certificateKeys.length < o.certificates.length) throw new RangeError(`no "ssl_certificate_key" is defined for certificate "${o.certificates[o.certificateKeys.length]}"`);
  options.cert = o.certificates.map((file) => readPem('ssl_certificate', file));
  options.key = o.certificateKeys.map((file) => loadKey('ssl_certificate_key', file, 'ssl', o.passwordFile));
  const verifies = o.verifyClient === 'on' || o.verifyClient === 'optional';
  const cas = [o.clientCertificate, o.trustedCertificate].filter((f): f is string => f !== null);
  if (verifies && cas.length === 0) throw new RangeError('no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client');
  // node:tls both trusts these and names them in the CertificateRequest (nginx names only
  // ssl_client_certificate's): harmless, the names are public.
  if (cas.length > 0) options.ca = cas.map((file, i) => readPem(i === 0 && o.clientCertificate !== null ? 'ssl_client_certificate' : 'ssl_trusted_certificate', file));
  if (o.crl !== null) options.crl = readPem('ssl_crl', o.crl);
  makeContext('ssl', options);
  return { contextOptions: options, verifyClient: o.verifyClient, verifyDepth: o.verifyDepth, handshakeTimeoutMs: o.handshakeTimeoutMs };
}

/** Protocols, ciphers and conf commands of either side (`prefix`: "zone_sync_ssl" or "ssl"). */
function baseContextOptions(prefix: string, protocols: readonly TlsProtocol[], ciphers: string, commands: readonly SslConfCommand[]): SecureContextOptions {
  const range = protocolRange(`${prefix}_protocols`, protocols);
  let minVersion = range.minVersion;
  let maxVersion = range.maxVersion;
  let secureOptions = range.secureOptions;
  let suites: string | null = null;
  const options: SecureContextOptions = {};
  for (const { name, value } of commands) {
    const what = `${prefix}_conf_command ${name}`;
    switch (name) {
      case 'Ciphersuites':
        suites = value;
        break;
      case 'MinProtocol':
        minVersion = protocolName(what, value);
        break;
      case 'MaxProtocol':
        maxVersion = protocolName(what, value);
        break;
      case 'Groups':
      case 'Curves':
        options.ecdhCurve = value;
        break;
      case 'SignatureAlgorithms':
        options.sigalgs = value;
        break;
      case 'Options':
        secureOptions |= optionFlags(what, value);
        break;
      default:
        throw new RangeError(`unsupported command "${name}" in "${prefix}_conf_command" (zonesync supports Ciphersuites, MinProtocol, MaxProtocol, Groups, Curves, SignatureAlgorithms, Options)`);
    }
  }
  if (PROTOCOL_ORDER.indexOf(minVersion) > PROTOCOL_ORDER.indexOf(maxVersion)) {
    throw new RangeError(`"${prefix}" minimum protocol ${minVersion} is above the maximum ${maxVersion}`);
  }
  options.minVersion = minVersion as SecureVersion;
  options.maxVersion = maxVersion as SecureVersion;
  if (secureOptions !== 0) options.secureOptions = secureOptions;
  if (ciphers.split(':').some((c) => c.startsWith('TLS_'))) {
    throw new RangeError(`"${prefix}_ciphers" lists TLS 1.3 suites; set them with "${prefix}_conf_command Ciphersuites"`);
  }
  // TLS 1.3 suites first (node:tls tells them apart by their TLS_ prefix); none: Node's default.
  options.ciphers = suites === null ? ciphers : `${suites}:${ciphers}`;
  return options;
}

function protocolRange(what: string, protocols: readonly string[]): { minVersion: TlsProtocol; maxVersion: TlsProtocol; secureOptions: number } {
  if (protocols.length === 0) throw new RangeError(`"${what}" must name at least one protocol`);
  const indexes = protocols.map((p) => PROTOCOL_ORDER.indexOf(protocolName(what, p))).sort((a, b) => a - b);
  const low = indexes[0]!;
  const high = indexes[indexes.length - 1]!;
  let secureOptions = 0;
  for (let i = low + 1; i < high; i++) if (!indexes.includes(i)) secureOptions |= NO_PROTOCOL_FLAG[PROTOCOL_ORDER[i]!];
  return { minVersion: PROTOCOL_ORDER[low]!, maxVersion: PROTOCOL_ORDER[high]!, secureOptions };
}

function protocolName(what: string, value: string): TlsProtocol {
  if (value === 'SSLv2' || value === 'SSLv3') throw new RangeError(`"${value}" in "${what}" is not supported: it is insecure and Node.js cannot use it`);
  const found = PROTOCOL_ORDER.find((p) => p === value);
  if (found === undefined) throw new RangeError(`unknown protocol "${value}" in "${what}" (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)`);
  return found;
}

/** "ServerPreference,-SessionTicket": the flags to set; turning a default-on flag off is an error. */
function optionFlags(what: string, value: string): number {
  let flags = 0;
  for (const item of value.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const negated = item.startsWith('-');
    const name = negated ? item.slice(1) : item;
    const option = OPTION_FLAGS[name];
    if (option === undefined) throw new RangeError(`"${what}": option "${name}" is not one zonesync can apply (${Object.keys(OPTION_FLAGS).join(', ')})`);
    const set = option.setsFlag !== negated;
    if (set) flags |= option.flag;
    else if ((OFF_BY_DEFAULT & option.flag) !== option.flag) {
      throw new RangeError(`"${what}": "${item}" would clear an OpenSSL option node:tls cannot clear`);
    }
  }
  return flags;
}

function readPem(directive: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new RangeError(`cannot read "${directive}" file "${file}": ${(error as Error).message}`);
  }
}

/** The key with the first passphrase of the password file that opens it (each line is one). */
function loadKey(directive: string, file: string, prefix: string, passwordFile: string | null): { pem: string; passphrase?: string } {
  const pem = readPem(directive, file);
  if (passwordFile === null) {
    tryKey(pem, undefined, directive, file);
    return { pem };
  }
  const passphrases = readPem(`${prefix}_password_file`, passwordFile).split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
  if (passphrases.length === 0) throw new RangeError(`"${prefix}_password_file" "${passwordFile}" holds no passphrase`);
  for (const passphrase of passphrases) {
    if (tryKey(pem, passphrase, directive, file, true)) return { pem, passphrase };
  }
  throw new RangeError(`cannot load "${directive}" "${file}": none of the ${passphrases.length} passphrases in "${passwordFile}" opens it`);
}

function tryKey(pem: string, passphrase: string | undefined, directive: string, file: string, quiet = false): boolean {
  try {
    createPrivateKey({ key: pem, format: 'pem', passphrase });
    return true;
  } catch (error) {
    if (quiet) return false;
    const encrypted = /ENCRYPTED/.test(pem);
    throw new RangeError(`cannot load "${directive}" "${file}": ${encrypted ? 'it is encrypted and no password file is set' : (error as Error).message}`);
  }
}

function makeContext(prefix: string, options: SecureContextOptions): SecureContext {
  try {
    return createSecureContext(options);
  } catch (error) {
    throw new RangeError(`"${prefix}" settings rejected by node:tls: ${(error as Error).message}`);
  }
}

/**
 * The peer's verified chain as OpenSSL counts depth: the number of CAs between the peer's
 * certificate and the trust anchor (0: signed by the anchor itself). -1 when the chain is
 * not visible: some Node versions give a server only the client's own certificate
 * (nodejs/node#65579), and then the depth of a client chain cannot be checked.
 */
export function peerChainDepth(certificate: PeerCertificate | Record<string, never>): number {
  const first = certificate as PeerCertificate & { issuerCertificate?: PeerCertificate };
  if (Object.keys(first).length > 0 && first.issuerCertificate === undefined && first.issuer?.CN !== first.subject?.CN) return -1;
  let length = 0;
  let current = certificate as PeerCertificate | undefined;
  const seen = new Set<PeerCertificate>();
  while (current !== undefined && Object.keys(current).length > 0 && !seen.has(current)) {
    seen.add(current);
    length++;
    const issuer = (current as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
    if (issuer === undefined || issuer === current) break;
    current = issuer;
  }
  return Math.max(0, length - 2);
}

/** A short reason for an OpenSSL / node:tls verification error code, for logs and peer status. */
export function verifyReason(code: string): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return 'expired';
    case 'CERT_NOT_YET_VALID':
      return 'not yet valid';
    case 'CERT_REVOKED':
      return 'revoked';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'name mismatch';
    case 'CERT_CHAIN_TOO_LONG':
      return 'chain too deep';
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'unknown CA';
    case 'UNABLE_TO_GET_CRL':
    case 'CRL_HAS_EXPIRED':
    case 'CRL_NOT_YET_VALID':
    case 'CRL_SIGNATURE_FAILURE':
    case 'UNABLE_TO_DECRYPT_CRL_SIGNATURE':
      return 'CRL unusable';
    default:
      return 'certificate invalid';
  }
}
