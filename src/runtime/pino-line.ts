// The JSON line a serving thread's pino logger writes (thread-log.ts: base {pid}, child
// {threadId}, pino's default time), made without pino for a line logged once per request:
// pino spends some 10k instructions on a line of four fields, this a third of that.
// thread-logger.test.ts holds the two texts equal over arbitrary fields and messages.
import pino from 'pino';
import type { LogLine, RepeatedFields, RepeatedLine } from '../thread-logger.js';

/** A value as pino writes it: strings as JSON.stringify does, a non-finite number as null. */
function jsonValue(value: string | number): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return Number.isFinite(value) ? String(value) : 'null';
}

/** `"key":value` pairs, each led by a comma, in the object's order. */
function jsonPairs(fields: RepeatedFields): string {
  let text = '';
  for (const key in fields) text += `,${JSON.stringify(key)}:${jsonValue(fields[key]!)}`;
  return text;
}

/**
 * The maker of one repeated line of a thread whose pino logger writes `pid` and `threadId`:
 * each call gives `write` the line pino would make of the fixed fields, then `fields`, and
 * `message`, at the time of the call.
 */
export function pinoRepeatedLine(
  write: (line: string) => void, pid: number, threadId: number,
  level: LogLine['level'], message: string, fixed: RepeatedFields,
): RepeatedLine {
  const head = `{"level":${pino.levels.values[level]!},"time":`;
  const middle = `,"pid":${pid},"threadId":${threadId}${jsonPairs(fixed)}`;
  const tail = `,"msg":${JSON.stringify(message)}}\n`;
  return (fields) => write(`${head}${Date.now()}${middle}${jsonPairs(fields)}${tail}`);
}
