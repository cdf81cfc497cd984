// The logging seam of the node's own threads (the sync thread, the journal thread): pino's
// shape (fields first, then the message), so that the runtime passes a pino logger as it
// is; console works too. The default logs nothing. A thread sends its lines to the primary
// in LogMessages (postingLogger), which the primary hands to its logger (deliverLines).

export type LogFields = Record<string, unknown>;

export interface ThreadLogger {
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  /** Optional: a RepeatedLine cheaper than a call of the level each time (repeatedLineOf). */
  repeatedLine?(level: LogLine['level'], message: string, fixed: RepeatedFields): RepeatedLine;
}

/** The fields of a repeated line: strings and numbers only (a non-finite number is written as null, as pino writes it). */
export type RepeatedFields = Readonly<Record<string, string | number>>;

/**
 * One line logged over and over, with the same level, message and `fixed` fields (a
 * refused request's "limiting requests" with its zone): each call writes the line with
 * `fields` after the fixed ones, given in the same order every time.
 */
export type RepeatedLine = (fields: RepeatedFields) => void;

/** `logger`'s own RepeatedLine where it has one, else one that calls the level with the fixed fields and then `fields`. */
export function repeatedLineOf(logger: ThreadLogger, level: LogLine['level'], message: string, fixed: RepeatedFields): RepeatedLine {
  if (logger.repeatedLine !== undefined) return logger.repeatedLine(level, message, fixed);
  return (fields) => logger[level]({ ...fixed, ...fields }, message);
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

/** Log lines a thread held (logBatch), on their way to the primary. */
export interface LogMessage {
  type: 'log';
  lines: LogLine[];
}

/** A thread's logger that holds its lines a moment to send them together: flush() sends them now (before the thread exits). */
export interface BatchingLogger extends ThreadLogger {
  flush(): void;
}

/**
 * What a thread writing its lines to another thread holds them for, at most: a thread that
 * logs every request it refuses (limit_req) then wakes the primary a few times a second,
 * not once a line or a turn of its event loop (a wake-up costs both threads a switch on a
 * busy machine).
 */
export const LOG_BATCH_MS = 50;
/** Lines held at most, whatever the time. */
const MAX_BATCH_LINES = 1_000;

/** Items held until LOG_BATCH_MS after the first, or MAX_BATCH_LINES of them, then given to `send` together, in order. */
export function logBatch<T>(send: (items: T[]) => void): { add(item: T): void; flush(): void } {
  let items: T[] = [];
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (items.length === 0) return;
    const held = items;
    items = [];
    send(held);
  };
  return {
    add: (item) => {
      items.push(item);
      if (items.length >= MAX_BATCH_LINES) flush();
      else timer ??= setTimeout(flush, LOG_BATCH_MS);
    },
    flush,
  };
}

/**
 * A logger whose lines go to `post` (a thread's parentPort.postMessage) in LogMessages, in
 * the order written, each line at most LOG_BATCH_MS late. Lines still held when the thread
 * dies are lost with it (the primary logs the thread's death); flush() before a thread
 * exits on purpose.
 */
export function postingLogger(post: (message: LogMessage) => void, enabled: LevelsEnabled = ALL_LEVELS): BatchingLogger {
  const batch = logBatch<LogLine>((lines) => post({ type: 'log', lines }));
  const write = (level: LogLine['level'], fields: LogFields, message: string): void => {
    if (enabled[level]) batch.add({ level, fields, message });
  };
  return {
    info: (fields, message) => write('info', fields, message),
    warn: (fields, message) => write('warn', fields, message),
    error: (fields, message) => write('error', fields, message),
    flush: batch.flush,
  };
}

/** Hands a thread's lines to the primary's logger, each with `extra` (such as the thread's id). */
export function deliverLines(logger: ThreadLogger, message: LogMessage, extra: LogFields = {}): void {
  for (const line of message.lines) logger[line.level]({ ...line.fields, ...extra }, line.message);
}
