// The directives that declare and bind zones: keyval_zone, keyval, limit_req_zone,
// zonesync_counter_zone, and the upstream block with its sticky learn zone. Cross-checks (a zone used but not declared,
// duplicates, sync without timeout, sizes) are validateConfig's, so that configurations built
// in code get them too.

import type { Directive } from './ast.js';
import {
  DEFAULT_LIMIT_REQ_RATE, DEFAULT_STICKY_TIMEOUT_MS, DEFAULT_UPSTREAM_KEEPALIVE, DEFAULT_UPSTREAM_PORT, DEFAULT_UPSTREAM_SERVER,
} from './defaults.js';
import { ConfigError, ConfigValueError } from './errors.js';
import { duplicateDirective, readsDirective, sourceOf } from './schema-context.js';
import type { SchemaContext } from './schema-context.js';
import type {
  CounterZoneConfig, KeyvalBinding, KeyvalType, KeyvalZoneConfig, LimitReqZoneConfig, StickyZoneConfig, UpstreamConfig,
  UpstreamServerConfig,
} from './types.js';
import { parseRate } from './units.js';
import type { RequestRate } from './units.js';
import {
  invalidParameter, readChoice, readCount, readPath, readPositiveCount, readSocketAddress, readTimeMs,
  readVariable, readZoneParam, splitParam,
} from './values.js';

const missingParameter = (d: Directive, what: string, parameter: string): ConfigError =>
  new ConfigError(`"${what}" must have "${parameter}" parameter`, d);

/** keyval_zone zone=NAME:SIZE [state=FILE] [timeout=TIME] [type=string|ip|prefix] [sync]; */
export function readKeyvalZone(d: Directive, module: 'http' | 'stream', prefix: string): KeyvalZoneConfig {
  let zone: { name: string; sizeBytes: number } | null = null;
  let stateFile: string | null = null;
  let timeoutMs: number | null = null;
  let type: KeyvalType = 'string';
  let sync = false;
  for (const param of d.args) {
    const { key, value } = splitParam(param);
    if (param === 'sync') sync = true;
    else if (key === 'zone' && value !== null) zone = readZoneParam(d, param, true) as { name: string; sizeBytes: number };
    else if (key === 'state' && value) stateFile = readPath(prefix, value);
    else if (key === 'timeout' && value !== null) timeoutMs = readTimeMs(d, value);
    else if (key === 'type' && value !== null) type = readChoice(d, value, ['string', 'ip', 'prefix']);
    else throw invalidParameter(d, param);
  }
  if (zone === null) throw missingParameter(d, d.name, 'zone');
  return { kind: 'keyval', ...zone, module, stateFile, timeoutMs, type, sync, source: sourceOf(d) };
}

/** keyval KEY $VARIABLE zone=NAME; */
export function readKeyval(d: Directive): KeyvalBinding {
  const [key, variable, zoneParam] = d.args as [string, string, string];
  if (!zoneParam.startsWith('zone=')) throw invalidParameter(d, zoneParam);
  const zone = readZoneParam(d, zoneParam, false);
  if (zone.sizeBytes !== null) throw invalidParameter(d, zoneParam);
  return { key, variable: readVariable(d, variable), zone: zone.name, source: sourceOf(d) };
}

/** limit_req_zone KEY zone=NAME:SIZE [rate=RATE] [sync]; rate defaults to 1r/s, as nginx. */
export function readLimitReqZone(d: Directive): LimitReqZoneConfig {
  const [key, ...params] = d.args as [string, ...string[]];
  let zone: { name: string; sizeBytes: number } | null = null;
  let rate: RequestRate = DEFAULT_LIMIT_REQ_RATE;
  let sync = false;
  for (const param of params) {
    const { key: name, value } = splitParam(param);
    if (param === 'sync') sync = true;
    else if (name === 'zone' && value !== null) zone = readZoneParam(d, param, true) as { name: string; sizeBytes: number };
    else if (name === 'rate' && value !== null) rate = readRate(d, param, value);
    else throw invalidParameter(d, param);
  }
  if (zone === null) throw missingParameter(d, d.name, 'zone');
  return { kind: 'limit_req', ...zone, key, rate, sync, source: sourceOf(d) };
}

/** zonesync_counter_zone zone=NAME:SIZE [window=TIME] [sync]; window defaults to none. */
export function readCounterZone(d: Directive): CounterZoneConfig {
  let zone: { name: string; sizeBytes: number } | null = null;
  let windowMs = 0;
  let sync = false;
  for (const param of d.args) {
    const { key, value } = splitParam(param);
    if (param === 'sync') sync = true;
    else if (key === 'zone' && value !== null) zone = readZoneParam(d, param, true) as { name: string; sizeBytes: number };
    else if (key === 'window' && value !== null) windowMs = readTimeMs(d, value);
    else throw invalidParameter(d, param);
  }
  if (zone === null) throw missingParameter(d, d.name, 'zone');
  return { kind: 'counter', ...zone, windowMs, sync, source: sourceOf(d) };
}

function readRate(d: Directive, param: string, value: string): RequestRate {
  try {
    return parseRate(value);
  } catch (error) {
    if (error instanceof ConfigValueError) throw new ConfigError(`invalid rate "${param}" in "${d.name}" directive`, d);
    throw error;
  }
}

/** upstream NAME { server …; zone NAME [SIZE]; sticky learn …; keepalive N; keepalive_timeout T; keepalive_requests N; } */
export function readUpstream(block: Directive, context: SchemaContext): UpstreamConfig {
  const name = block.args[0]!;
  const servers: UpstreamServerConfig[] = [];
  let zone: UpstreamConfig['zone'] = null;
  let sticky: StickyZoneConfig | null = null;
  const keepalive: { keepalive?: number; keepaliveTimeoutMs?: number; keepaliveRequests?: number } = {};
  const once = (d: Directive, value: unknown): void => {
    if (value !== undefined) throw duplicateDirective(d);
  };
  for (const d of block.block ?? []) {
    if (!readsDirective(d, 'upstream', context)) continue;
    const arg = d.args[0]!;
    if (d.name === 'server') servers.push(readUpstreamServer(d));
    else if (d.name === 'zone') {
      if (zone !== null) throw duplicateDirective(d);
      zone = { name: arg, sizeBytes: d.args[1] === undefined ? null : readZoneSize(d, d.args[1]) };
    } else if (d.name === 'keepalive') {
      once(d, keepalive.keepalive);
      keepalive.keepalive = readPositiveCount(d, arg);
    } else if (d.name === 'keepalive_timeout') {
      once(d, keepalive.keepaliveTimeoutMs);
      keepalive.keepaliveTimeoutMs = readTimeMs(d, arg);
    } else if (d.name === 'keepalive_requests') {
      once(d, keepalive.keepaliveRequests);
      keepalive.keepaliveRequests = readPositiveCount(d, arg);
    } else {
      if (sticky !== null) throw duplicateDirective(d);
      sticky = readStickyLearn(d, name);
      context.zones.push(sticky);
    }
  }
  if (servers.length === 0) throw new ConfigError(`no servers are inside upstream "${name}"`, block);
  return { name, servers, zone, stickyZone: sticky?.name ?? null, ...DEFAULT_UPSTREAM_KEEPALIVE, ...keepalive, source: sourceOf(block) };
}

function readZoneSize(d: Directive, value: string): number {
  return readZoneParam(d, `zone=${d.args[0]}:${value}`, true).sizeBytes!;
}

/** server ADDRESS [weight=N] [max_conns=N] [max_fails=N] [fail_timeout=T] [backup] [down] [resolve] [route=S]; */
function readUpstreamServer(d: Directive): UpstreamServerConfig {
  const [text, ...params] = d.args as [string, ...string[]];
  const server: { -readonly [K in keyof UpstreamServerConfig]: UpstreamServerConfig[K] } = {
    address: readSocketAddress(d, text, { allowUnix: true, defaultPort: DEFAULT_UPSTREAM_PORT }),
    text,
    ...DEFAULT_UPSTREAM_SERVER,
    backup: false, down: false, resolve: false, route: null,
    source: sourceOf(d),
  };
  for (const param of params) {
    const { key, value } = splitParam(param);
    if (value === null && (key === 'backup' || key === 'down' || key === 'resolve')) server[key] = true;
    else if (key === 'weight' && value !== null) server.weight = readPositiveCount(d, value);
    else if (key === 'max_conns' && value !== null) server.maxConns = readCount(d, value);
    else if (key === 'max_fails' && value !== null) server.maxFails = readCount(d, value);
    else if (key === 'fail_timeout' && value !== null) server.failTimeoutMs = readTimeMs(d, value);
    else if (key === 'route' && value) server.route = value;
    else throw invalidParameter(d, param);
  }
  return server;
}

/** sticky learn create=$V… lookup=$V… zone=NAME:SIZE [timeout=TIME] [header] [sync]; */
function readStickyLearn(d: Directive, upstream: string): StickyZoneConfig {
  const [method, ...params] = d.args as [string, ...string[]];
  if (method !== 'learn') {
    if (method === 'cookie' || method === 'route') {
      throw new ConfigError(`"sticky ${method}" is not supported by zonesync, only "sticky learn"`, d);
    }
    throw invalidParameter(d, method);
  }
  const create: string[] = [];
  const lookup: string[] = [];
  let zone: { name: string; sizeBytes: number } | null = null;
  let timeoutMs = DEFAULT_STICKY_TIMEOUT_MS;
  let header = false;
  let sync = false;
  for (const param of params) {
    const { key, value } = splitParam(param);
    if (param === 'sync') sync = true;
    else if (param === 'header') header = true;
    else if (key === 'create' && value !== null) create.push(readVariable(d, value));
    else if (key === 'lookup' && value !== null) lookup.push(readVariable(d, value));
    else if (key === 'zone' && value !== null) zone = readZoneParam(d, param, true) as { name: string; sizeBytes: number };
    else if (key === 'timeout' && value !== null) timeoutMs = readTimeMs(d, value);
    else throw invalidParameter(d, param);
  }
  if (zone === null) throw missingParameter(d, 'sticky learn', 'zone');
  if (create.length === 0) throw missingParameter(d, 'sticky learn', 'create');
  if (lookup.length === 0) throw missingParameter(d, 'sticky learn', 'lookup');
  return { kind: 'sticky', ...zone, upstream, create, lookup, timeoutMs, header, sync, source: sourceOf(d) };
}

