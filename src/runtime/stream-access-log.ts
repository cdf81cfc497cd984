// The zone_sync server's access_log: one line per session the listener accepted, when it
// ends, in the log_format named, as nginx's stream log module writes it. Lines are written
// at once (nginx's unbuffered writes), appended to files opened once and reopened on USR1.

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { LogEscape, LogFormatConfig, StreamAccessLogConfig } from '../config/types.js';
import type { SyncSession } from '../sync/logger.js';
import { zonesyncVersion } from './version.js';

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

/** "ip:port", "[v6]:port" or "unix:…" as nginx's address and port variables. */
function splitAddress(address: string): { addr: string; port: string } {
  if (address === '' || address.startsWith('unix:')) return { addr: address === '' ? '' : 'unix:', port: '' };
  const at = address.lastIndexOf(':');
  let addr = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  if (addr.startsWith('::ffff:') && addr.includes('.')) addr = addr.slice(7);
  return { addr, port: address.slice(at + 1) };
}

/** The value of each variable of a session; '' is logged as "-". */
function variables(s: SyncSession): Record<string, string> {
  const remote = splitAddress(s.remoteAddress);
  const server = splitAddress(s.serverAddress);
  return {
    remote_addr: remote.addr, remote_port: remote.port, server_addr: server.addr, server_port: server.port,
    bytes_sent: String(s.bytesSent), bytes_received: String(s.bytesReceived),
    session_time: (Math.max(0, s.endMs - s.startMs) / 1000).toFixed(3), status: String(s.status), protocol: 'TCP',
    time_local: timeLocal(s.endMs), time_iso8601: timeIso8601(s.endMs), msec: (s.endMs / 1000).toFixed(3),
    pid: String(process.pid), hostname: hostname(), nginx_version: zonesyncVersion(),
    zone_sync_peer_id: s.peerNodeId < 0 ? '' : String(s.peerNodeId), zone_sync_peer_name: s.peerNodeName,
  };
}

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

/** One log line of a session in `format` (without its newline). */
export function formatSession(format: LogFormatConfig, session: SyncSession): string {
  const values = variables(session);
  return format.parts.map((part) => {
    if ('text' in part) return part.text;
    const value = values[part.variable] ?? '';
    return value === '' ? '-' : escapeValue(value, format.escape);
  }).join('');
}

/** The access logs of the zone_sync server: files opened at start, a line per ended session. */
export class StreamAccessLogs {
  private readonly logs: readonly StreamAccessLogConfig[];
  private readonly fds = new Map<string, number>();

  constructor(logs: readonly StreamAccessLogConfig[]) {
    this.logs = logs;
    this.openAll();
  }

  write(session: SyncSession): void {
    for (const log of this.logs) {
      const fd = this.fds.get(log.path);
      if (fd !== undefined) writeSync(fd, `${formatSession(log.format, session)}\n`);
    }
  }

  /** USR1: a rotated file is let go and the path opened anew. */
  reopen(): void {
    this.close();
    this.openAll();
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private openAll(): void {
    for (const { path } of this.logs) {
      if (this.fds.has(path)) continue;
      mkdirSync(dirname(path), { recursive: true });
      this.fds.set(path, openSync(path, 'a'));
    }
  }
}
