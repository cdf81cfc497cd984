// The logging seam of the node's own threads (the sync thread, the journal thread): pino's
// shape (fields first, then the message), so that the runtime passes a pino logger as it
// is; console works too. The default logs nothing. A thread sends its lines to the primary
// as LogMessages (postingLogger), which the primary hands to its logger.

export type LogFields = Record<string, unknown>;

export interface ThreadLogger {
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

function noop(): void {}

export const noopLogger: ThreadLogger = { info: noop, warn: noop, error: noop };

/** One log line on its way from a thread to the primary. */
export interface LogMessage {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  fields: LogFields;
  message: string;
}

/** A logger whose lines become LogMessages given to `post` (a thread's parentPort.postMessage). */
export function postingLogger(post: (message: LogMessage) => void): ThreadLogger {
  return {
    info: (fields, message) => post({ type: 'log', level: 'info', fields, message }),
    warn: (fields, message) => post({ type: 'log', level: 'warn', fields, message }),
    error: (fields, message) => post({ type: 'log', level: 'error', fields, message }),
  };
}
