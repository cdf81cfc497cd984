/**
 * The HTTP suite's instructions per request: `npm run bench:http -- --instructions [--quick]`
 * (valgrind installed; on Node 22.12+ to count the worker that serves:
 * `npx -y node@22 dist-bench/http/index.js --instructions`). Each server runs under valgrind's
 * callgrind, on the Node running the suite: zonesync's default handler at --workers 1 with the
 * limit that refuses nothing; the same with the limit that refuses nearly every request (a
 * flood of 503s); the same open limit with a handler that only returns the body; a plain
 * single-process Node HTTP server answering the same body. A client in this process sends
 * WARM requests over 8 keep-alive connections (V8 compiles the hot code), callgrind dumps and
 * starts counting again, the client sends COUNTED more, callgrind dumps: that second dump,
 * divided by COUNTED, is a row. The figure is the busiest thread's (the serving worker; the
 * plain server's main thread); all threads together (the primary, V8's compiler and GC
 * threads) are shown beside it and vary more.
 * What callgrind counts is the user-space instructions of the server's own process: not the
 * kernel's work for its sockets, nor the cost of waking up. Unlike CPU time, the count moves
 * by 3% at most from run to run on a busy machine, hence a tool to compare two versions of
 * the request path. Two servers are counted at a time (valgrind runs a process's threads one
 * at a time: one core each). Prints a table, then one JSON line:
 * {"suite":"http-instructions","node":…,"front_end":…,"ratios":{"instructions_per_request_vs_plain_node":…,
 *  "rejected_instructions_vs_plain_node":…,"bare_handler_instructions_vs_plain_node":…},"results":[…]}
 */
import { printSummary, printTable, quick, ratio } from '../lib/report.js';
import { perRequest, dumpThreads, type PerRequest } from './callgrind-dump.js';
import { callgrindDump, callgrindLauncher, callgrindOutFile, requireCallgrind } from './callgrind.js';
import { keepAliveAgent, sendRequests } from './keep-alive-client.js';
import { bareHandler, frontEndOf, OPEN_LIMIT, REFUSING_LIMIT } from './rows.js';
import { startPlainNode, startZonesync, tempDir, type NodeLauncher, type RunningServer } from './servers.js';

const CONNECTIONS = 8;
/**
 * Requests before the count: V8 reaches the optimized code of zonesync's request path after
 * some 14k requests (the plain server's after some 6k); counted before that, a row measures
 * the compilers (about 1.5 times the steady figure after 3k requests).
 */
const WARM = 16_000;
/** Requests counted: a window of 10k holds enough garbage collections that where they fall moves it little; --quick counts 3k. */
const COUNTED = quick ? 3_000 : 10_000;

interface Counted {
  name: string;
  perRequest: PerRequest;
  non2xx: number;
  /** The first answer's body. */
  body: string;
  banner: string;
}

/** Starts a server under callgrind, loads it, reads the counted dump, kills it. */
async function count(name: string, start: (launcher: NodeLauncher) => Promise<RunningServer>): Promise<Counted> {
  const { dir, cleanup } = tempDir();
  try {
    const server = await start(callgrindLauncher(dir));
    const agent = keepAliveAgent(CONNECTIONS);
    try {
      const url = `http://127.0.0.1:${server.port}/`;
      const warm = await sendRequests(agent, url, WARM, CONNECTIONS);
      await callgrindDump(dir, server.pid, 'warm');
      const counted = await sendRequests(agent, url, COUNTED, CONNECTIONS);
      await callgrindDump(dir, server.pid, 'counted');
      const threads = dumpThreads(callgrindOutFile(dir), 'dump counted');
      return { name, perRequest: perRequest(threads, counted.requests), non2xx: counted.non2xx, body: warm.firstBody, banner: server.banner };
    } finally {
      agent.destroy();
      // Nothing after the counted dump matters: no graceful stop, no dump at the exit.
      await server.stop('SIGKILL');
    }
  } finally {
    cleanup();
  }
}

/** Counts two servers side by side; once both are done, throws the first failure. */
async function countTwo(...rows: Array<Parameters<typeof count>>): Promise<Counted[]> {
  const settled = await Promise.allSettled(rows.map((r) => count(...r)));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<Counted>).value);
}

/** valgrind's version; without valgrind the run ends here, saying how to install it (no stack trace: nothing went wrong in the bench). */
function valgrindOrExit(): string {
  try {
    return requireCallgrind();
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}

const valgrind = valgrindOrExit();
const [open, refusing] = await countTwo(
  ['zonesync, default handler, --workers 1', (launcher) => startZonesync({ workers: 1, ...OPEN_LIMIT, launcher })],
  ['zonesync --workers 1, limit_req refusing (503s)', (launcher) => startZonesync({ workers: 1, ...REFUSING_LIMIT, launcher })],
);
const body = open!.body;
const [bare, plain] = await countTwo(
  ['zonesync --workers 1, limit_req, a handler that returns the body', (launcher) => startZonesync({ workers: 1, ...OPEN_LIMIT, handler: bareHandler(body), launcher })],
  ['plain Node http server, one process, same body', (launcher) => startPlainNode(body, launcher)],
);
const rows = [open!, refusing!, bare!, plain!];
const frontEnd = frontEndOf(open!.banner);

printTable(rows.map((r) => ({
  name: r.name,
  opsPerSec: r.perRequest.busiest,
  note: `all ${r.perRequest.threads} threads ${Math.round(r.perRequest.allThreads).toLocaleString('en-US')}${r.non2xx > 0 ? `; ${Math.round((100 * r.non2xx) / COUNTED)}% not 2xx` : ''}`,
})), 'instructions/request (busiest thread)');
console.log(`callgrind (${valgrind}): user-space instructions per request, ${COUNTED} requests counted after ${WARM}, ${CONNECTIONS} keep-alive connections; Node ${process.versions.node}; zonesync: ${frontEnd}`);
printSummary({
  suite: 'http-instructions',
  quick,
  node: process.versions.node,
  valgrind,
  front_end: frontEnd,
  requests: { warm: WARM, counted: COUNTED, connections: CONNECTIONS },
  ratios: {
    instructions_per_request_vs_plain_node: ratio(open!.perRequest.busiest, plain!.perRequest.busiest),
    rejected_instructions_vs_plain_node: ratio(refusing!.perRequest.busiest, plain!.perRequest.busiest),
    bare_handler_instructions_vs_plain_node: ratio(bare!.perRequest.busiest, plain!.perRequest.busiest),
  },
  results: rows.map((r) => ({
    name: r.name,
    instructions_per_request_busiest_thread: Math.round(r.perRequest.busiest),
    instructions_per_request_all_threads: Math.round(r.perRequest.allThreads),
    threads: r.perRequest.threads,
    non_2xx: r.non2xx,
  })),
});
