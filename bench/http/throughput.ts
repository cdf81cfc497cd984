/**
 * The HTTP suite's requests per second and CPU: `npm run bench:http [-- --quick]`, on a Node
 * whose worker threads can share a listening socket to measure them serving (`npx -y node@22
 * dist-bench/http/index.js`; on an older Node zonesync serves from the primary thread, and
 * the JSON says so). A load
 * generator (wrk where installed, else autocannon; 64 keep-alive connections) against, in
 * the same run: zonesync's default handler (deny list, limit_req at a rate that refuses
 * nothing, sticky) at --workers 1, 2 and 8; --workers 2 with an http access_log; the same with a rate that refuses almost every
 * request (a flood of 503s); the same limit with a handler that only returns the body (the
 * front end's own cost, without the default handler's zone work); --workers 2 with clients
 * that return the session cookie they were given, as browsers do (a row of its own: the
 * cookie-less row learns a session per request, this one looks sessions up; wrk only);
 * --workers 2 on the fallback path (--front-end primary); a plain single-process Node HTTP server answering the same
 * body; nginx, 2 workers, limit_req, the same body (where installed). Every server is
 * started first; then each round measures every row once, and the median round of a row is
 * reported (the machine may be shared). Prints a table, then one JSON line:
 * {"suite":"http","front_end":…,"load_tool":…,"ratios":{"workers2_vs_plain_node":…,"workers8_vs_workers2":…,"access_log_on_vs_off":…,
 *  "rejected_vs_plain_node":…,"cpu_per_request_vs_plain_node":…,"workers2_vs_fallback_path":…,
 *  "bare_handler_cpu_per_request_vs_plain_node":…,"workers1_cpu_per_request_vs_plain_node":…,
 *  "cookies_cpu_per_request_vs_plain_node":…,"workers2_vs_nginx":…},
 *  "idle_rss_per_extra_worker_mib":…,"results":[…]}
 * The load generator runs on the same machine and takes its share of the cores: on a
 * 2-core machine, a server that could use both cores gets less than two, and --workers 2
 * with wrk runs three busy threads on two cores (workers1_cpu_per_request_vs_plain_node is
 * the same handler without that).
 */
import { availableParallelism } from 'node:os';
import { printSummary, printTable, quick, ratio } from '../lib/report.js';
import { generateLoad, loadTool, type LoadOptions, type LoadResult } from './load.js';
import { rssBytes, treeCpuSeconds } from './proc.js';
import { bareHandler, frontEndOf, OPEN_LIMIT, REFUSING_LIMIT } from './rows.js';
import { findNginx, startNginx, startPlainNode, startZonesync, type RunningServer } from './servers.js';

const CONNECTIONS = 64;
const seconds = quick ? 3 : 8;
/** Load before a row's first round: each worker thread is an isolate of its own that compiles its hot code anew (8 workers see an eighth of the traffic each). */
const firstWarmSeconds = quick ? 4 : 12;
const warmSeconds = quick ? 1 : 2;
const rounds = quick ? 1 : 3;
const tool = loadTool();

interface Measured extends LoadResult {
  name: string;
  cpuUsPerRequest: number;
}

/** One row: a server, started before the rounds and measured once in each. */
interface Row {
  name: string;
  server: RunningServer;
  runs: Measured[];
  load: LoadOptions;
}

async function measure(row: Row): Promise<void> {
  const url = `http://127.0.0.1:${row.server.port}/`;
  await generateLoad(tool, url, CONNECTIONS, row.runs.length === 0 ? firstWarmSeconds : warmSeconds, row.load);
  const cpuBefore = treeCpuSeconds(row.server.pid);
  const load = await generateLoad(tool, url, CONNECTIONS, seconds, row.load);
  const cpu = treeCpuSeconds(row.server.pid) - cpuBefore;
  row.runs.push({ ...load, name: row.name, cpuUsPerRequest: (cpu * 1e6) / Math.max(1, load.requests) });
}

/** The run of median throughput (the machine is shared: one round can be slowed by anything else on it). */
function median(row: Row): Measured {
  const sorted = [...row.runs].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Resident memory once started and settled, before any load. */
async function idleRss(server: RunningServer): Promise<number> {
  await new Promise((r) => setTimeout(r, 1_000));
  return rssBytes(server.pid);
}

const started: RunningServer[] = [];
async function start(name: string, server: Promise<RunningServer>, load: LoadOptions = {}): Promise<Row> {
  const s = await server;
  started.push(s);
  return { name, server: s, runs: [], load };
}

let summary: Record<string, unknown>;
try {
  const zonesync: Record<number, Row> = {};
  for (const workers of [1, 2, 8]) zonesync[workers] = await start(`zonesync, default handler, --workers ${workers}`, startZonesync({ workers, ...OPEN_LIMIT }));
  const idle1 = await idleRss(zonesync[1]!.server);
  const idle8 = await idleRss(zonesync[8]!.server);
  const frontEnd = frontEndOf(zonesync[2]!.server.banner);
  const body = await (await fetch(`http://127.0.0.1:${zonesync[2]!.server.port}/`)).text();
  const logging = await start('zonesync --workers 2, default handler, access_log on', startZonesync({ workers: 2, ...OPEN_LIMIT, accessLog: true }));
  const rejected = await start('zonesync --workers 2, limit_req refusing (503s)', startZonesync({ workers: 2, ...REFUSING_LIMIT }));
  const bare = await start('zonesync --workers 2, limit_req, a handler that returns the body', startZonesync({ workers: 2, ...OPEN_LIMIT, handler: bareHandler(body) }));
  const cookies = tool === 'wrk'
    ? await start('zonesync, default handler, --workers 2, clients return their session cookie', startZonesync({ workers: 2, ...OPEN_LIMIT }), { returnCookies: true })
    : null;
  if (cookies === null) console.log('row of clients returning cookies skipped: it needs wrk');
  const onPrimary = await start('zonesync --workers 2 --front-end primary (the fallback path)', startZonesync({ workers: 2, ...OPEN_LIMIT, args: ['--front-end', 'primary'] }));
  const plain = await start('plain Node http server, one process, same body', startPlainNode(body));
  const nginxFound = findNginx();
  const nginx = 'path' in nginxFound ? await start('nginx, 2 workers, limit_req, same body', startNginx(nginxFound.path, 2, body)) : null;
  if ('reason' in nginxFound) console.log(`nginx row skipped: ${nginxFound.reason}`);
  const rows = [zonesync[1]!, zonesync[2]!, zonesync[8]!, logging, rejected, bare, ...(cookies === null ? [] : [cookies]), onPrimary, plain, ...(nginx === null ? [] : [nginx])];
  for (let round = 0; round < rounds; round++) for (const row of rows) await measure(row);

  const m = new Map(rows.map((r) => [r, median(r)]));
  printTable(rows.map((r) => {
    const x = m.get(r)!;
    return {
      name: r.name,
      opsPerSec: x.requestsPerSec,
      note: `${x.cpuUsPerRequest.toFixed(1)} µs CPU/request${x.non2xx > 0 ? `, ${Math.round((100 * x.non2xx) / x.requests)}% not 2xx` : ''}; runs ${r.runs.map((y) => Math.round(y.requestsPerSec)).join(' ')}`,
    };
  }));
  const w2 = m.get(zonesync[2]!)!;
  const p = m.get(plain)!;
  const rssPerWorkerMib = Math.round(((idle8 - idle1) / 7 / (1 << 20)) * 10) / 10;
  console.log(`zonesync: ${frontEnd}; load: ${tool}, ${CONNECTIONS} connections, ${rounds} rounds of ${seconds} s a row (median shown), on ${availableParallelism()} cores shared with the load generator`);
  console.log(`idle RSS: --workers 1 ${(idle1 / (1 << 20)).toFixed(1)} MiB, --workers 8 ${(idle8 / (1 << 20)).toFixed(1)} MiB: ${rssPerWorkerMib} MiB per extra worker`);
  summary = {
    suite: 'http',
    quick,
    node: process.versions.node,
    front_end: frontEnd,
    load_tool: tool,
    cores: availableParallelism(),
    ratios: {
      workers2_vs_plain_node: ratio(w2.requestsPerSec, p.requestsPerSec),
      workers8_vs_workers2: ratio(m.get(zonesync[8]!)!.requestsPerSec, w2.requestsPerSec),
      access_log_on_vs_off: ratio(m.get(logging)!.requestsPerSec, w2.requestsPerSec),
      rejected_vs_plain_node: ratio(m.get(rejected)!.requestsPerSec, p.requestsPerSec),
      cpu_per_request_vs_plain_node: ratio(w2.cpuUsPerRequest, p.cpuUsPerRequest),
      workers2_vs_fallback_path: ratio(w2.requestsPerSec, m.get(onPrimary)!.requestsPerSec),
      bare_handler_cpu_per_request_vs_plain_node: ratio(m.get(bare)!.cpuUsPerRequest, p.cpuUsPerRequest),
      workers1_cpu_per_request_vs_plain_node: ratio(m.get(zonesync[1]!)!.cpuUsPerRequest, p.cpuUsPerRequest),
      ...(cookies === null ? {} : { cookies_cpu_per_request_vs_plain_node: ratio(m.get(cookies)!.cpuUsPerRequest, p.cpuUsPerRequest) }),
      ...(nginx === null ? {} : { workers2_vs_nginx: ratio(w2.requestsPerSec, m.get(nginx)!.requestsPerSec) }),
    },
    idle_rss_per_extra_worker_mib: rssPerWorkerMib,
    results: rows.map((r) => {
      const x = m.get(r)!;
      return { name: r.name, requests_per_s: Math.round(x.requestsPerSec), cpu_us_per_request: Math.round(x.cpuUsPerRequest * 10) / 10, non_2xx: x.non2xx };
    }),
  };
} finally {
  await Promise.all(started.map((s) => s.stop()));
}
printSummary(summary);
