// The logging seam of the node's own threads (the sync thread, the journal thread): pino's
// shape (fields first, then the message), so that the runtime passes a pino logger as it
// is; console works too. The default logs nothing. A thread sends its lines to the primary
// in LogMessages (postingLogger), which the primary hands to its logger (deliverLines).

export type LogFields = Record<string, unknown>;

export interface ThreadLogger {
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

function noop(): void {}

export const noopLogger: ThreadLogger = { info: noop, warn: noop, error: noop };

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: LogFields;
  message: string;
}

/** Which levels a logger writes: a thread does not send the primary lines its logger would drop. */
export type LevelsEnabled = Readonly<Record<LogLine['level'], boolean>>;

const ALL_LEVELS: LevelsEnabled = { info: true, warn: true, error: true };

/** The levels `logger` writes: pino's say (isLevelEnabled); any other logger is taken to write all. */
export function levelsEnabled(logger: ThreadLogger): LevelsEnabled {
  const isEnabled = (logger as { isLevelEnabled?: unknown }).isLevelEnabled;
  if (typeof isEnabled !== 'function') return ALL_LEVELS;
  const on = (level: string): boolean => isEnabled.call(logger, level) === true;
  return { info: on('info'), warn: on('warn'), error: on('error') };
}

/** The log lines a thread wrote in one turn of its event loop, on their way to the primary. */
export interface LogMessage {
  type: 'log';
  lines: LogLine[];
}

/**
 * A logger whose lines go to `post` (a thread's parentPort.postMessage) in one LogMessage per
 * turn of the thread's event loop, in the order written: a thread that logs every request it
 * refuses (limit_req) crosses to the primary once per turn, not once per line. A line written
 * in the turn a thread dies in may be lost with it (the primary logs the thread's death).
 */
export function postingLogger(post: (message: LogMessage) => void, enabled: LevelsEnabled = ALL_LEVELS): ThreadLogger {
  let lines: LogLine[] = [];
  const flush = (): void => {
    const message: LogMessage = { type: 'log', lines };
    lines = [];
    post(message);
  };
  const write = (level: LogLine['level'], fields: LogFields, message: string): void => {
    if (!enabled[level]) return;
    if (lines.length === 0) setImmediate(flush);
    lines.push({ level, fields, message });
  };
  return {
    info: (fields, message) => write('info', fields, message),
    warn: (fields, message) => write('warn', fields, message),
    error: (fields, message) => write('error', fields, message),
  };
}

/** Hands a thread's lines to the primary's logger, each with `extra` (such as the thread's id). */
export function deliverLines(logger: ThreadLogger, message: LogMessage, extra: LogFields = {}): void {
  for (const line of message.lines) logger[line.level]({ ...line.fields, ...extra }, line.message);
}
