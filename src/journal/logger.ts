// The journal's logging seam: pino's shape (fields first, then the message), so that the
// runtime passes its logger as it is. The default logs nothing.

export type LogFields = Record<string, unknown>;

export interface JournalLogger {
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

function noop(): void {}

export const noopJournalLogger: JournalLogger = { info: noop, warn: noop, error: noop };
