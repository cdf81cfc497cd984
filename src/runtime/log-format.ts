// nginx's log line formatting, for the access logs of the zone_sync server's sessions
// (stream-access-log.ts) and of HTTP requests (http-access-log.ts): the time variables and
// the escaping of a variable's value, and a compiled log_format applied to a value lookup.

import type { LogEscape, LogFormatConfig } from '../config/types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** "+0100": the local offset at `d`, as nginx's $time_local writes it. */
function offset(d: Date, colon: boolean): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

/** $time_local: "01/Dec/2026:15:38:56 +0000". */
export function timeLocal(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${offset(d, false)}`;
}

/** $time_iso8601: "2026-12-01T15:38:56+00:00". */
export function timeIso8601(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${offset(d, true)}`;
}

/** $msec, $request_time, $session_time: seconds with milliseconds. */
export const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** nginx's escapes of a variable's value: default \xXX for ", \ and bytes outside 32..126; json; none. */
export function escapeValue(value: string, escape: LogEscape): string {
  if (escape === 'none') return value;
  if (escape === 'json') return JSON.stringify(value).slice(1, -1);
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte === 0x22 || byte === 0x5c || byte < 32 || byte > 126 ? `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

/** One line in `format` (without its newline); `valueOf` gives each variable's value, '' being logged as "-". */
export function formatLine(format: LogFormatConfig, valueOf: (variable: string) => string): string {
  let line = '';
  for (const part of format.parts) {
    if ('text' in part) {
      line += part.text;
      continue;
    }
    const value = valueOf(part.variable);
    line += value === '' ? '-' : escapeValue(value, format.escape);
  }
  return line;
}
