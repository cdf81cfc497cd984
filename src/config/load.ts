// Entry points: a configuration file, or configuration text, to a validated ZonesyncConfig.

import { dirname, resolve } from 'node:path';
import { checkDirectiveHead } from './directives.js';
import { parseConfigFile, parseConfigSyntax } from './parser.js';
import type { ParseOptions } from './parser.js';
import { buildConfig, type SchemaOptions } from './schema.js';
import type { ZonesyncConfig } from './types.js';

export type LoadOptions = ParseOptions & Pick<SchemaOptions, 'onWarning'>;

/**
 * Reads, parses and validates a configuration file (with its includes). Throws ConfigError,
 * whose message is what `nginx -t` would print after "[emerg]".
 */
export function loadConfig(path: string, options: LoadOptions = {}): ZonesyncConfig {
  const absolute = resolve(path);
  const prefix = options.prefix ?? dirname(absolute);
  return buildConfig(parseConfigFile(absolute, { checkHead: checkDirectiveHead, ...options, prefix }), { prefix, onWarning: options.onWarning });
}

/**
 * Parses and validates configuration text. `fileName` names it in errors; relative paths
 * (include, certificates, state files, handlers) resolve against its directory unless
 * options.prefix is given.
 */
export function parseConfigText(text: string, fileName = 'zonesync.conf', options: LoadOptions = {}): ZonesyncConfig {
  const prefix = options.prefix ?? dirname(resolve(fileName));
  return buildConfig(parseConfigSyntax(text, fileName, { checkHead: checkDirectiveHead, ...options, prefix }), { prefix, onWarning: options.onWarning });
}
