import pino, { type Logger } from 'pino';
import type { ErrorLogConfig, LogLevel } from '../config/types.js';

/** nginx's error_log levels mapped onto pino's (notice is info: zone_sync's NOTICE events in NGINX Plus). */
const LEVELS: Record<LogLevel, pino.Level> = {
  debug: 'debug', info: 'info', notice: 'info', warn: 'warn', error: 'error', crit: 'fatal', alert: 'fatal', emerg: 'fatal',
};

/** A logger and what reopens its file (USR1, `-s reopen`: after a log rotation). */
export interface LogFile {
  readonly logger: Logger;
  /** Reopens the file by its path; a no-op on stderr. */
  reopen(): void;
}

/**
 * The node's logger: pino JSON lines on stderr, or to the `error_log` file. Errors by
 * default, as nginx's error_log; `info` shows the sync events.
 */
export function openErrorLog(config: ErrorLogConfig | null, levelOverride?: string): LogFile {
  const level = levelOverride ?? (config === null ? 'error' : LEVELS[config.level]);
  const file = config?.file;
  const toStderr = file === undefined || file === 'stderr' || file === '/dev/stderr';
  const destination = toStderr ? pino.destination(2) : pino.destination({ dest: file, mkdir: true, sync: false });
  return {
    logger: pino({ level, base: { pid: process.pid } }, destination),
    reopen: () => { if (!toStderr) destination.reopen(); },
  };
}

export function createLogger(config: ErrorLogConfig | null, levelOverride?: string): Logger {
  return openErrorLog(config, levelOverride).logger;
}

export type { Logger };
