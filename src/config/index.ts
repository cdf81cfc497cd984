// The configuration layer: nginx-syntax files and code-built objects to one typed,
// validated ZonesyncConfig. Reads nothing of the rest of zonesync but the leaf net/ (allow/deny
// rules and the IP parser).

export { loadConfig, parseConfigText } from './load.js';
export type { LoadOptions } from './load.js';
export { normalizeConfig } from './normalize.js';
export type {
  HttpConfigInput, HttpListenInput, HttpLocationInput, HttpServerInput, KeyvalZoneInput, LimitReqZoneInput,
  ResolverInput, StickyZoneInput, StreamConfigInput, StreamListenInput, UpstreamInput, UpstreamServerInput,
  ZoneInput, ZoneSyncPeerInput, ZoneSyncServerInput, ZonesyncConfigInput,
} from './normalize.js';
export { validateConfig } from './validate.js';
export { buildConfig } from './schema.js';
export type { SchemaOptions } from './schema.js';
export { parseConfigFile, parseConfigSyntax, MAX_INCLUDE_DEPTH } from './parser.js';
export type { ParseOptions } from './parser.js';
export type { Directive, SourceLocation } from './ast.js';
export { ConfigError, ConfigValueError } from './errors.js';
export {
  formatRate, formatSize, formatTimeMs, parseNonNegativeInteger, parseRate, parseSize, parseTimeMs,
} from './units.js';
export type { RequestRate } from './units.js';
export { formatSocketAddress, parseListenAddress, parseSocketAddress } from './address.js';
export * from './defaults.js';
export type * from './types.js';
