// Readers of directive arguments for the schema. Each takes the directive, so that every
// error names the directive, the file and the line; unit errors (ConfigValueError) become
// `invalid value "…" in "…" directive`.

import { isAbsolute, resolve } from 'node:path';
import { parseAccessRule } from '../net/access.js';
import type { Directive } from './ast.js';
import { parseListenAddress, parseSocketAddress } from './address.js';
import type { AddressRules } from './address.js';
import { SUPPORTED_SSL_CONF_COMMANDS } from './defaults.js';
import { ConfigError, ConfigValueError } from './errors.js';
import type { AccessRule, ListenAddress, SocketAddress, SslConfCommand, TlsProtocol } from './types.js';
import { parseNonNegativeInteger, parseSize, parseTimeMs } from './units.js';

export function invalidValue(directive: Directive, value: string, detail = ''): ConfigError {
  return new ConfigError(`invalid value "${value}" in "${directive.name}" directive${detail}`, directive);
}

/* Runs a unit parser on one argument; its ConfigValueError becomes an invalid-value error. */
function read<T>(directive: Directive, value: string, parse: (text: string) => T): T {
  try {
    return parse(value);
  } catch (error) {
    if (error instanceof ConfigValueError) throw invalidValue(directive, value);
    throw error;
  }
}

export const readSize = (d: Directive, value: string): number => read(d, value, parseSize);
export const readTimeMs = (d: Directive, value: string): number => read(d, value, parseTimeMs);
export const readCount = (d: Directive, value: string): number => read(d, value, parseNonNegativeInteger);

export function readPositiveCount(d: Directive, value: string): number {
  const count = readCount(d, value);
  if (count === 0) throw invalidValue(d, value, ', it must be greater than 0');
  return count;
}

/** ngx_conf_set_flag_slot: "on" or "off". */
export function readFlag(d: Directive, value: string): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw invalidValue(d, value, ', it must be "on" or "off"');
}

export function readChoice<T extends string>(d: Directive, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw invalidValue(d, value, `, it must be one of ${choices.map((c) => `"${c}"`).join(', ')}`);
}

/** A file argument: absolute as written, else resolved against the configuration prefix. */
export function readPath(prefix: string, value: string): string {
  return isAbsolute(value) ? value : resolve(prefix, value);
}

/** "$name": a variable name, as keyval and sticky take them. */
export function readVariable(d: Directive, value: string): string {
  if (!/^\$[A-Za-z0-9_]+$/.test(value)) {
    throw new ConfigError(`invalid variable name "${value}" in "${d.name}" directive`, d);
  }
  return value;
}

/** "zone=NAME:SIZE" (sizeRequired) or "zone=NAME[:SIZE]" → name and size in bytes. */
export function readZoneParam(d: Directive, param: string, sizeRequired: boolean): { name: string; sizeBytes: number | null } {
  const value = param.slice('zone='.length);
  const colon = value.lastIndexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  if (name === '') throw new ConfigError(`invalid zone name "${param}" in "${d.name}" directive`, d);
  if (colon < 0) {
    if (sizeRequired) throw new ConfigError(`invalid zone size "${param}" in "${d.name}" directive`, d);
    return { name, sizeBytes: null };
  }
  try {
    return { name, sizeBytes: parseSize(value.slice(colon + 1)) };
  } catch (error) {
    if (error instanceof ConfigValueError) {
      throw new ConfigError(`invalid zone size "${param}" in "${d.name}" directive`, d);
    }
    throw error;
  }
}

export function invalidParameter(d: Directive, param: string): ConfigError {
  return new ConfigError(`invalid parameter "${param}" in "${d.name}" directive`, d);
}

/** Splits "name=value" parameters; a bare word has value null. */
export function splitParam(param: string): { key: string; value: string | null } {
  const equals = param.indexOf('=');
  return equals < 0 ? { key: param, value: null } : { key: param.slice(0, equals), value: param.slice(equals + 1) };
}

function readAddress<T>(d: Directive, value: string, parse: (text: string, rules: AddressRules) => T, rules: AddressRules): T {
  try {
    return parse(value, rules);
  } catch (error) {
    if (error instanceof ConfigValueError) throw new ConfigError(`${error.message} of the "${d.name}" directive`, d);
    throw error;
  }
}

export const readSocketAddress = (d: Directive, value: string, rules: AddressRules): SocketAddress =>
  readAddress(d, value, parseSocketAddress, rules);
export const readListenAddress = (d: Directive, value: string, rules: AddressRules): ListenAddress =>
  readAddress(d, value, parseListenAddress, rules);

/** allow/deny ADDRESS | CIDR | unix: | all (ngx_http_access_module). */
export function readAccessRule(d: Directive): AccessRule {
  const value = d.args[0]!;
  const rule = parseAccessRule(d.name === 'allow' ? 'allow' : 'deny', value);
  if (rule === null) throw invalidValue(d, value);
  return { ...rule, source: { file: d.file, line: d.line } };
}

const TLS_PROTOCOLS: readonly TlsProtocol[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** ssl_protocols / zone_sync_ssl_protocols: SSLv2 and SSLv3 are refused (Node has neither). */
export function readTlsProtocols(d: Directive): TlsProtocol[] {
  return d.args.map((value) => {
    if (value === 'SSLv2' || value === 'SSLv3') {
      throw new ConfigError(`"${value}" in "${d.name}" directive is not supported: it is insecure and Node.js cannot use it; use TLSv1.2 or TLSv1.3`, d);
    }
    return readChoice(d, value, TLS_PROTOCOLS);
  });
}

/** ssl_conf_command NAME VALUE, limited to the commands zonesync can carry out. */
export function readSslConfCommand(d: Directive): SslConfCommand {
  const [name, value] = d.args as [string, string];
  if (!SUPPORTED_SSL_CONF_COMMANDS.includes(name)) {
    throw new ConfigError(
      `unsupported command "${name}" in "${d.name}" directive, zonesync supports ${SUPPORTED_SSL_CONF_COMMANDS.join(', ')}`,
      d,
    );
  }
  return { name, value };
}
