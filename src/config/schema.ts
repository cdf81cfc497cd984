// The schema: from the syntax tree to ZonesyncConfig. This file reads the main level and
// events; http and stream have their own files. The result is checked by validateConfig,
// the same checks a configuration built in code goes through.

import { dirname, resolve } from 'node:path';
import type { Directive } from './ast.js';
import { DEFAULT_ERROR_LOG, DEFAULT_STATE_FSYNC, DEFAULT_WORKER_PROCESSES, DEFAULT_WORKER_SHUTDOWN_TIMEOUT_MS } from './defaults.js';
import { duplicateDirective, readsDirective } from './schema-context.js';
import type { SchemaContext } from './schema-context.js';
import { readHttpBlock } from './schema-http.js';
import { readErrorLog } from './schema-logs.js';
import { readStreamBlock } from './schema-stream.js';
import type { ErrorLogConfig, HttpConfig, StateFsyncPolicy, StreamConfig, ZonesyncConfig } from './types.js';
import { validateConfig } from './validate.js';
import { invalidValue, readPath, readPositiveCount, readTimeMs, splitParam } from './values.js';

export interface SchemaOptions {
  /** Base of relative paths; default: the directory of the first directive's file. */
  readonly prefix?: string;
  /**
   * Told each warning, worded as nginx -t prints it after "[warn]" (a directive zonesync
   * ignores: `"sendfile" is ignored by zonesync in FILE:LINE`); default: none is told.
   */
  readonly onWarning?: (message: string) => void;
}

/** Turns a parsed configuration into its typed, validated form. */
export function buildConfig(directives: readonly Directive[], options: SchemaOptions = {}): ZonesyncConfig {
  const context: SchemaContext = {
    prefix: options.prefix ?? (directives[0] === undefined ? process.cwd() : dirname(resolve(directives[0].file))),
    zones: [],
    warn: options.onWarning ?? (() => {}),
  };
  let workerProcesses: number | 'auto' | undefined;
  let workerShutdownTimeoutMs: number | undefined;
  let errorLog: ErrorLogConfig | undefined;
  let pidFile: string | undefined;
  let http: HttpConfig | undefined;
  let stream: StreamConfig | undefined;
  let stateFsync: StateFsyncPolicy | undefined;
  let events = false;
  for (const d of directives) {
    if (!readsDirective(d, 'main', context)) continue;
    const once = (seen: unknown): void => {
      if (seen !== undefined && seen !== false) throw duplicateDirective(d);
    };
    switch (d.name) {
      case 'worker_processes':
        once(workerProcesses);
        workerProcesses = d.args[0] === 'auto' ? 'auto' : readPositiveCount(d, d.args[0]!);
        break;
      case 'worker_shutdown_timeout':
        once(workerShutdownTimeoutMs);
        workerShutdownTimeoutMs = readTimeMs(d, d.args[0]!);
        break;
      case 'error_log':
        once(errorLog);
        errorLog = readErrorLog(d, context.prefix);
        break;
      case 'pid':
        once(pidFile);
        pidFile = readPath(context.prefix, d.args[0]!);
        break;
      case 'events':
        once(events);
        events = readEvents(d, context);
        break;
      case 'http':
        once(http);
        http = readHttpBlock(d, context);
        break;
      case 'stream':
        once(stream);
        stream = readStreamBlock(d, context);
        break;
      case 'zonesync_state_fsync':
        once(stateFsync);
        stateFsync = readStateFsync(d);
        break;
      default:
        throw new Error(`schema: no reader for "${d.name}" (directives.ts and schema.ts disagree)`);
    }
  }
  const config: ZonesyncConfig = {
    workerProcesses: workerProcesses ?? DEFAULT_WORKER_PROCESSES,
    workerShutdownTimeoutMs: workerShutdownTimeoutMs ?? DEFAULT_WORKER_SHUTDOWN_TIMEOUT_MS,
    errorLog: errorLog ?? DEFAULT_ERROR_LOG,
    pidFile: pidFile ?? null,
    zones: context.zones,
    http: http ?? null,
    stream: stream ?? null,
    stateFsync: stateFsync ?? DEFAULT_STATE_FSYNC,
  };
  validateConfig(config);
  return config;
}

/** zonesync_state_fsync off | always | interval=TIME; */
function readStateFsync(d: Directive): StateFsyncPolicy {
  const value = d.args[0]!;
  if (value === 'off' || value === 'always') return { mode: value };
  const { key, value: time } = splitParam(value);
  if (key === 'interval' && time) {
    const intervalMs = readTimeMs(d, time);
    if (intervalMs <= 0) throw invalidValue(d, value, ', the interval must be greater than 0');
    return { mode: 'interval', intervalMs };
  }
  throw invalidValue(d, value, ', it must be "off", "always" or "interval=TIME"');
}

/* events { worker_connections N; }: accepted for nginx configurations, without effect. */
function readEvents(block: Directive, context: SchemaContext): true {
  for (const d of block.block ?? []) {
    if (!readsDirective(d, 'events', context)) continue;
    readPositiveCount(d, d.args[0]!);
  }
  return true;
}
