// Socket addresses as nginx's ngx_parse_url reads them: "host:port", "[ipv6]:port",
// "unix:/path", and for listening "port" or "*:port". Errors are ConfigValueErrors in nginx's
// words ("no port in …"); the schema adds the directive.

import { isIP } from 'node:net';
import { ConfigValueError } from './errors.js';
import type { ListenAddress, SocketAddress } from './types.js';

export interface AddressRules {
  /** Used when no port is written; undefined: a port is mandatory. */
  readonly defaultPort?: number;
  /** Accept "unix:/path". */
  readonly allowUnix: boolean;
}

const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;
const DIGITS = /^[0-9]+$/;

/** An address to connect to: host:port or unix:/path. */
export function parseSocketAddress(text: string, rules: AddressRules): SocketAddress {
  if (text.startsWith('unix:')) return parseUnix(text, rules);
  const { host, port } = splitHostPort(text, rules.defaultPort);
  if (host === '*' || host === '') throw new ConfigValueError(`no host in "${text}"`, text);
  return { kind: 'tcp', host, port };
}

/** An address to listen on: as parseSocketAddress, plus "PORT" and "*:PORT" for every address. */
export function parseListenAddress(text: string, rules: AddressRules): ListenAddress {
  if (text.startsWith('unix:')) return parseUnix(text, rules);
  if (DIGITS.test(text)) return { kind: 'tcp', host: null, port: parsePort(text, text) };
  const { host, port } = splitHostPort(text, rules.defaultPort);
  return { kind: 'tcp', host: host === '*' ? null : host, port };
}

/** Formats an address the way it would be written in the configuration. */
export function formatSocketAddress(address: SocketAddress | ListenAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  const host = address.host === null ? '*' : isIP(address.host) === 6 ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}

function parseUnix(text: string, rules: AddressRules): SocketAddress & { kind: 'unix' } {
  if (!rules.allowUnix) throw new ConfigValueError(`unix domain sockets are not allowed in "${text}"`, text);
  const path = text.slice('unix:'.length);
  if (path === '') throw new ConfigValueError(`no path in the unix domain socket "${text}"`, text);
  return { kind: 'unix', path };
}

function splitHostPort(text: string, defaultPort: number | undefined): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new ConfigValueError(`invalid IPv6 address in "${text}"`, text);
    host = text.slice(1, close);
    if (isIP(host) !== 6) throw new ConfigValueError(`invalid IPv6 address in "${text}"`, text);
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new ConfigValueError(`invalid port in "${text}"`, text);
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon !== text.indexOf(':')) {
      throw new ConfigValueError(`invalid host in "${text}" (an IPv6 address must be in brackets)`, text);
    }
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
    if (host !== '*' && host !== '' && !HOSTNAME.test(host)) {
      throw new ConfigValueError(`invalid host in "${text}"`, text);
    }
  }
  if (portText === undefined) {
    if (defaultPort === undefined) throw new ConfigValueError(`no port in "${text}"`, text);
    return { host, port: defaultPort };
  }
  return { host, port: parsePort(portText, text) };
}

function parsePort(portText: string, text: string): number {
  const port = DIGITS.test(portText) ? Number(portText) : 0;
  if (port < 1 || port > 65535) throw new ConfigValueError(`invalid port in "${text}"`, text);
  return port;
}
