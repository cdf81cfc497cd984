// Paced HTTP load from the test process: requests sent on a timer at a fixed total rate,
// spread over targets by a pattern, over keep-alive connections; every answer is counted
// by status. The send times are kept, so that the traffic can be replayed into a model.
import http from 'node:http';

export interface LoadPlan {
  /** HTTP ports of the nodes that take traffic. */
  ports: readonly number[];
  /** Requests per second, all targets together. */
  requestsPerSecond: number;
  durationMs: number;
  /** Which target the n-th request goes to (index into ports). */
  targetOf: (n: number) => number;
  path?: string;
}

export interface LoadResult {
  sent: number;
  /** Answers by status, every target together (0: the request failed). */
  statuses: Map<number, number>;
  /** Answers by target index, then status. */
  byTarget: Array<Map<number, number>>;
  /** Send time of each request, ms since the first, with its target. */
  sends: Array<{ atMs: number; target: number }>;
}

/**
 * Sends plan.requestsPerSecond × durationMs / 1000 requests: a timer every few ms sends
 * every request whose time has come, so a late timer catches up instead of thinning the
 * load. Resolves when every answer is in.
 */
export async function runPacedLoad(plan: LoadPlan): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round((plan.requestsPerSecond * plan.durationMs) / 1000);
  const spacingMs = 1000 / plan.requestsPerSecond;
  const result: LoadResult = { sent: 0, statuses: new Map(), byTarget: plan.ports.map(() => new Map()), sends: [] };
  const answers: Array<Promise<void>> = [];
  const start = performance.now();
  const count = (target: number, status: number) => {
    result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
    const m = result.byTarget[target]!;
    m.set(status, (m.get(status) ?? 0) + 1);
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / spacingMs) + 1);
      while (result.sent < due) {
        const n = result.sent++;
        const target = plan.targetOf(n);
        result.sends.push({ atMs: performance.now() - start, target });
        answers.push(get(agent, plan.ports[target]!, plan.path ?? '/').then((status) => count(target, status)));
      }
      if (result.sent >= total) resolve();
      else setTimeout(tick, Math.min(2, spacingMs / 2));
    };
    tick();
  });
  await Promise.all(answers);
  agent.destroy();
  return result;
}

function get(agent: http.Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
  });
}
