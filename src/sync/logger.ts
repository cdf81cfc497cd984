// The logging seam: pino's shape (fields first, then the message), so the runtime can pass
// a pino logger as it is; console works too. The default logs nothing.

export type LogFields = Record<string, unknown>;

export interface SyncLogger {
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

function noop(): void {}

export const noopLogger: SyncLogger = { info: noop, warn: noop, error: noop };
