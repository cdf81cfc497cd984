// How a serving thread's log lines reach the node's log. Where the node logs through its own
// pino logger (the CLI's error_log: stdout, stderr or a file), the thread makes the lines
// itself with pino, as the primary's logger would, and sends their text, held up to
// LOG_BATCH_MS, to be written as it is: a flood of refused requests, each logged as nginx
// logs it, costs the primary one write every LOG_BATCH_MS, not a line to format each; that
// refusal's line is made without pino, as pino makes it (pino-line.ts). A logger given by an embedding service (its own format, redaction, transport) gets the
// lines as fields and message (postingLogger).

import pino from 'pino';
import { pinoRepeatedLine } from './pino-line.js';
import { logBatch, postingLogger, type BatchingLogger, type LevelsEnabled, type LogMessage } from '../thread-logger.js';

function noop(): void {}

/** What a serving thread is told of the node's log. */
export interface ThreadLogSettings {
  /** The levels the node's logger writes: the thread sends no other line. */
  readonly levels: LevelsEnabled;
  /** The node's logger takes JSON lines as text (LogTextMessage): it is the node's own pino logger. */
  readonly asText: boolean;
}

/** Lines a thread held, ready to be written: pino's JSON lines, each ending in a newline. */
export interface LogTextMessage {
  type: 'log-text';
  text: string;
}

/**
 * The logger of a serving thread with id `threadId`: pino JSON lines made in the thread
 * (the node's: pid in each, and the thread's id), sent as postingLogger sends its lines (at
 * most LOG_BATCH_MS late; flush() before the thread exits); or postingLogger's LogMessages
 * where the node's logger takes no text.
 */
export function threadLogger(settings: ThreadLogSettings, threadId: number, post: (message: LogMessage | LogTextMessage) => void): BatchingLogger {
  if (!settings.asText) return postingLogger(post, settings.levels);
  const batch = logBatch<string>((lines) => post({ type: 'log-text', text: lines.join('') }));
  const { levels } = settings;
  const level = levels.info ? 'info' : levels.warn ? 'warn' : levels.error ? 'error' : 'silent';
  const logger = pino({ level, base: { pid: process.pid } }, { write: batch.add }).child({ threadId });
  return {
    info: (f, m) => logger.info(f, m),
    warn: (f, m) => logger.warn(f, m),
    error: (f, m) => logger.error(f, m),
    repeatedLine: (lineLevel, message, fixed) => (levels[lineLevel] ? pinoRepeatedLine(batch.add, process.pid, threadId, lineLevel, message, fixed) : noop),
    flush: batch.flush,
  };
}
