// The cluster-wide rate limit with real nodes: `node dist/primary.js` processes synced over
// loopback (zone_sync_interval: nginx's default 1s in the admin guide's cases, else 50ms),
// `limit_req_zone $binary_remote_addr zone=req:1m rate=100r/s sync;` as in the admin guide
// (a lower rate where a case would send many requests), real HTTP traffic paced from this
// process over keep-alive connections for 10 s. The cluster as a whole admits rate × time + burst, within
// 10%. The clusters start at the same time, each on its own nodes; the cases run one by one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shareRoundMs } from '../../dist/zones/limit-req/share-rounds.js';
import { alternating, weighted } from '../util/traffic.js';
import { NginxLimitReqModel } from '../zones/nginx-limit-req-model.js';
import { NodeProcess, api, clusterConfig, freePorts, tempDir, waitFor, writeConfig, type NodePorts } from './cluster-helpers.js';
import { runPacedLoad } from './paced-load.js';

const WINDOW_MS = 10_000;
const INTERVAL_MS = 50; // clusterConfig's zone_sync_interval

/** What one nginx bucket at `rate` with `burst` admits of requests arriving at these times. */
function admittedByOneBucket(atMs: readonly number[], rate: number, burst: number): number {
  const bucket = new NginxLimitReqModel(rate * 1000);
  return atMs.filter((t) => !bucket.request('key', Math.floor(t), { burstMilli: burst * 1000, delayMilli: 0 }).rejected).length;
}

interface Case {
  name: string;
  nodes: number;
  /** The zone's rate, r/s: the admin guide's 100, less where a case would send many requests. */
  rate: number;
  /** What follows `limit_req zone=req` in the location. */
  limitArgs: string;
  burst: number;
  /** Requests per second offered, every node together, as a multiple of the rate. */
  offered: number;
  targetOf: (n: number) => number;
  /** Traffic on more than one node. */
  shared: boolean;
  /** zone_sync_interval, ms: clusterConfig's 50 unless the case says. */
  intervalMs?: number;
}

const CASES: Case[] = [
  // nginx's default zone_sync_interval, 1s: limit_req shares still travel at most 100 ms apart.
  { name: 'zone_sync_interval 1s: 2 nodes, alternating, 2× the rate, no burst (the admin guide)', nodes: 2, rate: 100, limitArgs: '', burst: 0, offered: 2, targetOf: alternating(2), shared: true, intervalMs: 1_000 },
  { name: 'zone_sync_interval 1s: 2 nodes, 80/20, 2× the rate, no burst', nodes: 2, rate: 100, limitArgs: '', burst: 0, offered: 2, targetOf: weighted([0.8, 0.2]), shared: true, intervalMs: 1_000 },
  { name: '3 nodes, each below the rate (0.9× each, 2.7× in all), no burst', nodes: 3, rate: 50, limitArgs: '', burst: 0, offered: 2.7, targetOf: alternating(3), shared: true },
  { name: '2 nodes, alternating, 10× the rate, burst=10 nodelay', nodes: 2, rate: 30, limitArgs: 'burst=10 nodelay', burst: 10, offered: 10, targetOf: alternating(2), shared: true },
  { name: '2 nodes, all traffic on one, 1.1× the rate, burst=10', nodes: 2, rate: 100, limitArgs: 'burst=10', burst: 10, offered: 1.1, targetOf: () => 0, shared: false },
];

const running: NodeProcess[] = [];
const cleanups: Array<() => void> = [];
let ports: number[] = [];
/** Each case's nodes, by case name. */
const clusters = new Map<string, NodePorts[]>();

beforeAll(async () => {
  // Every port at once, so that clusters starting side by side never draw the same one; and
  // every node started before any traffic, so that starting nodes do not starve the load.
  ports = await freePorts(CASES.reduce((n, c) => n + 2 * c.nodes, 0));
  let firstPort = 0;
  await Promise.all(CASES.map((c) => {
    const started = startCluster(c, firstPort).then((nodes) => { clusters.set(c.name, nodes); });
    firstPort += 2 * c.nodes;
    return started;
  }));
}, 90_000);

afterAll(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  cleanups.splice(0).forEach((c) => c());
});

/** The nodes of one case, started and meshed; `firstPort` indexes the ports drawn in beforeAll. */
async function startCluster(c: Case, firstPort: number): Promise<NodePorts[]> {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const nodes: NodePorts[] = Array.from({ length: c.nodes }, (_, i) => ({ http: ports[firstPort + 2 * i]!, sync: ports[firstPort + 2 * i + 1]! }));
  const zone = `limit_req_zone $binary_remote_addr zone=req:1m rate=${c.rate}r/s sync;`;
  const location = `location / { limit_req zone=req${c.limitArgs === '' ? '' : ` ${c.limitArgs}`}; }`;
  const config = (p: NodePorts) => clusterConfig(p, nodes, zone).replace('location / { }', location)
    .replace(`zone_sync_interval ${INTERVAL_MS}ms;`, `zone_sync_interval ${c.intervalMs ?? INTERVAL_MS}ms;`);
  const procs = nodes.map((p, i) => new NodeProcess(writeConfig(dir, `node${i}.conf`, config(p))));
  running.push(...procs);
  await Promise.all(procs.map((p) => p.ready()));
  for (const p of nodes) {
    await waitFor(async () => (await api(p.http, '/api/9/stream/zone_sync')).body.status.nodes_online === c.nodes - 1, 20_000,
      () => `node ${p.http} did not see its ${c.nodes - 1} peers`);
  }
  return nodes;
}

describe('limit_req across real nodes: the cluster as a whole is held to the rate', () => {
  // One case at a time: five clusters loading two cores at once starve their own sync
  // threads, and a view that hears of the others late admits more (docs/LIMIT_REQ.md's bound).
  it.each(CASES)('$name', async (c) => {
    const nodes = clusters.get(c.name)!;
    const r = await runPacedLoad({ ports: nodes.map((p) => p.http), requestsPerSecond: c.offered * c.rate, durationMs: WINDOW_MS, targetOf: c.targetOf });
    const admitted = r.statuses.get(200) ?? 0;
    const failed = r.statuses.get(0) ?? 0; // no answer: the client's connection failed
    const statuses = JSON.stringify([...r.statuses]);
    expect(admitted + (r.statuses.get(503) ?? 0) + failed, statuses).toBe(r.sent); // every answer a 200 or a 503
    expect(failed, statuses).toBeLessThanOrEqual(0.01 * r.sent);
    const expected = (c.rate * WINDOW_MS) / 1000 + c.burst;
    const allowance = (c.rate * shareRoundMs(c.intervalMs ?? INTERVAL_MS)) / 1000; // above the burst while other nodes admit (docs/LIMIT_REQ.md)
    const detail = `admitted ${admitted} of ${r.sent}, by node ${JSON.stringify(r.byTarget.map((m) => m.get(200) ?? 0))}`;
    expect(admitted, detail).toBeLessThanOrEqual(1.1 * expected);
    // At least 90% of rate × time + burst; or, if this process could not keep the pace (the
    // machine is shared), of what one nginx bucket admits of the requests as they were sent.
    const sent = admittedByOneBucket(r.sends.map((s) => s.atMs), c.rate, c.burst + (c.shared ? allowance : 0));
    expect(admitted, `${detail}; one bucket would admit ${sent} as sent`).toBeGreaterThanOrEqual(0.9 * Math.min(expected, sent));
  }, 60_000);
});
