import type { ZonesyncConfig } from '../config/types.js';
import { socketKey } from './listen-sockets.js';
import { workerCount } from './worker-count.js';
import { zoneRestartProblems } from './zone-changes.js';

/** What a running node is made of that a configuration cannot change live. */
export interface RunningShape {
  /** The worker threads it runs. */
  readonly workers: number;
  /** `--workers N` (or an embedding service's option), which wins over worker_processes; undefined: none. */
  readonly requestedWorkers: number | undefined;
}

/**
 * Changes a running node cannot take without a restart, as nginx cannot without new shared
 * memory or new listening sockets: a zone's (zone-changes.ts: new, removed, resized, another
 * key…), the listening sockets, the number of worker threads, and the zone_sync settings
 * read when the sync thread starts. Everything else of the http block (servers, locations,
 * upstream blocks, keyval directives, a limit_req zone's rate) applies live.
 */
export function liveChangeProblems(current: ZonesyncConfig, next: ZonesyncConfig, running: RunningShape): string[] {
  const problems = zoneRestartProblems(current.zones, next.zones);
  if (listens(current) !== listens(next)) problems.push('listen addresses changed');
  const workers = workersProblem(next, running);
  if (workers !== null) problems.push(workers);
  // Sync settings other than the peer list and the timings are read when the sync thread starts.
  const restartOnly = (c: ZonesyncConfig) => {
    const z = c.stream?.sync;
    return z === undefined || z === null ? null : JSON.stringify({
      ssl: z.ssl, listenerSsl: z.listenerSsl, access: z.access.map((r) => ({ ...r, source: undefined })), resolver: z.resolver,
      buffers: z.buffers, recvBufferSizeBytes: z.recvBufferSizeBytes,
    });
  };
  if (restartOnly(current) !== restartOnly(next)) {
    problems.push('zone_sync TLS, allow/deny, resolver or buffer settings changed (they apply at start)');
  }
  const logs = (c: ZonesyncConfig) => {
    const z = c.stream?.sync;
    return z === undefined || z === null ? null : JSON.stringify({
      errorLog: z.errorLog, accessLogs: z.accessLogs.map((l) => ({ path: l.path, format: { ...l.format, source: undefined } })),
    });
  };
  if (logs(current) !== logs(next)) problems.push('the zone_sync server\'s error_log or access_log changed (they apply at start)');
  return problems;
}

/**
 * The sockets a configuration listens on: the zone_sync listener's, and the http block's
 * distinct ones with their socket options. Servers may come, go and move between them.
 */
function listens(c: ZonesyncConfig): string {
  const http = new Set<string>();
  for (const server of c.http?.servers ?? []) {
    for (const l of server.listen) http.add(JSON.stringify([socketKey(l.address), l.backlog, l.ipv6Only]));
  }
  return JSON.stringify([c.stream?.sync?.listen.map((l) => l.address) ?? [], [...http].sort()]);
}

/** Why `next` cannot run on the node's worker threads, or null when it can. */
function workersProblem(next: ZonesyncConfig, running: RunningShape): string | null {
  let count: number;
  try {
    count = workerCount(next, running.requestedWorkers);
  } catch (e) {
    return (e as Error).message;
  }
  return count === running.workers ? null : `the number of worker threads changed from ${running.workers} to ${count} (worker_processes applies at start)`;
}
