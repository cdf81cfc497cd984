// The zone_sync server's access_log: one line per session the listener accepted, when it
// ends, in the log_format named, as nginx's stream log module writes it, appended to files
// opened once and reopened on USR1 (log-files.ts).

import { hostname } from 'node:os';
import type { LogFormatConfig, StreamAccessLogConfig } from '../config/types.js';
import type { SyncSession } from '../sync/logger.js';
import { formatLine, seconds, timeIso8601, timeLocal } from './log-format.js';
import { LogFiles } from './log-files.js';
import { zonesyncVersion } from './version.js';

export { escapeValue, timeIso8601, timeLocal } from './log-format.js';

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
    session_time: seconds(Math.max(0, s.endMs - s.startMs)), status: String(s.status), protocol: 'TCP',
    time_local: timeLocal(s.endMs), time_iso8601: timeIso8601(s.endMs), msec: seconds(s.endMs),
    pid: String(process.pid), hostname: hostname(), nginx_version: zonesyncVersion(),
    zone_sync_peer_id: s.peerNodeId < 0 ? '' : String(s.peerNodeId), zone_sync_peer_name: s.peerNodeName,
  };
}

/** One log line of a session in `format` (without its newline). */
export function formatSession(format: LogFormatConfig, session: SyncSession): string {
  const values = variables(session);
  return formatLine(format, (variable) => values[variable] ?? '');
}

/** The access logs of the zone_sync server: files opened at start, a line per ended session. */
export class StreamAccessLogs {
  private readonly logs: readonly StreamAccessLogConfig[];
  private readonly files: LogFiles;

  constructor(logs: readonly StreamAccessLogConfig[], onError: (err: unknown) => void) {
    this.logs = logs;
    this.files = new LogFiles(logs, onError);
  }

  write(session: SyncSession): void {
    for (const log of this.logs) this.files.append(log.path, formatSession(log.format, session));
  }

  /** USR1: a rotated file is let go and the path opened anew. */
  reopen(): void {
    this.files.reopen();
  }

  close(): void {
    this.files.close();
  }
}
