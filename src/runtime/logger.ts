import pino from 'pino';
import type { ErrorLogConfig, LogLevel } from '../config/types.js';
import type { ThreadLogger } from '../thread-logger.js';

/**
 * What a node logs through: fields first, then the message, as pino does. A pino logger
 * and Fastify's (`fastify.log`, a pino logger typed FastifyBaseLogger) are both one, so a
 * service passes its own and zonesync's lines join its log.
 */
export type Logger = ThreadLogger;

/** nginx's error_log levels mapped onto pino's (notice is info: zone_sync's NOTICE events in NGINX Plus). */
const LEVELS: Record<LogLevel, pino.Level> = {
  debug: 'debug', info: 'info', notice: 'info', warn: 'warn', error: 'error', crit: 'fatal', alert: 'fatal', emerg: 'fatal',
};

/** A logger and what reopens its file (USR1, `-s reopen`: after a log rotation). */
export interface LogFile {
  readonly logger: pino.Logger;
  /** Reopens the file by its path; a no-op on stdout and stderr. */
  reopen(): void;
  /** Writes out every buffered line now (before process.exit, which would drop them). */
  flushSync(): void;
}

/** The file descriptor of an `error_log` naming a standard stream, else null (a file). */
function standardStream(file: string): 1 | 2 | null {
  if (file === 'stdout' || file === '/dev/stdout') return 1;
  if (file === 'stderr' || file === '/dev/stderr') return 2;
  return null;
}

/**
 * The node's own logger: pino JSON lines on stdout (the default), stderr, or the
 * `error_log` file. Errors only by default, as nginx's error_log; `info` shows the sync
 * events.
 */
export function openErrorLog(config: ErrorLogConfig | null, levelOverride?: string): LogFile {
  const file = openErrorLogFile(config, levelOverride);
  textWriters.set(file.logger, (text) => file.destination.write(text));
  return file;
}

/* The node's own loggers, each with what writes JSON lines made elsewhere (thread-log.ts) to its destination. */
const textWriters = new WeakMap<object, (text: string) => void>();

/** What writes lines, made as this logger would make them, to where `logger` writes; null for a logger not opened by openErrorLog (a service's own). */
export function textWriterOf(logger: Logger): ((text: string) => void) | null {
  return textWriters.get(logger) ?? null;
}

function openErrorLogFile(config: ErrorLogConfig | null, levelOverride?: string): LogFile & { destination: pino.DestinationStream } {
  const level = levelOverride ?? (config === null ? 'error' : LEVELS[config.level]);
  const fd = standardStream(config?.file ?? 'stdout');
  // stdout and stderr are written asynchronously, so that a slow reader never stalls the
  // node; an error_log file synchronously (a local file does not stall, and no line is lost
  // at exit). pino
  // writes out what is buffered when the process exits.
  const destination = fd !== null ? pino.destination(fd) : pino.destination({ dest: config!.file, mkdir: true, sync: true });
  return {
    destination,
    logger: pino({ level, base: { pid: process.pid } }, destination),
    reopen: () => { if (fd === null) destination.reopen(); },
    flushSync: () => {
      try {
        destination.flushSync();
      } catch {
        // not open yet: nothing was written to it
      }
    },
  };
}

export function createLogger(config: ErrorLogConfig | null, levelOverride?: string): pino.Logger {
  return openErrorLog(config, levelOverride).logger;
}
