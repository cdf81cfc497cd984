// The primary's half of a node:cluster service whose workers share zones: it forks the
// members, hands each its index in the environment (startClusterMember reads it), and forks
// a replacement with the same index when one dies, so that it takes over the same sync
// address. node:cluster's own worker ids cannot serve: a replacement gets a new one.

import cluster, { type Worker } from 'node:cluster';
import { ConfigError } from '../config/errors.js';
import { MEMBER_COUNT_ENV, MEMBER_INDEX_ENV } from './cluster-member.js';

export interface ForkClusterMembersOptions {
  /** More environment for every member. */
  env?: NodeJS.ProcessEnv;
  /** Wait this long before replacing a member that died; default 1000 ms. */
  restartDelayMs?: number;
  /** stop(): how long a member may take to stop once disconnected before it is killed; default 10 s. */
  stopTimeoutMs?: number;
}

export interface ClusterMembers {
  /** The worker that runs each index now. */
  readonly workers: ReadonlyMap<number, Worker>;
  /**
   * Replaces no member any more and disconnects them all (each stops its node); a member
   * still running after stopTimeoutMs is killed. Resolves when every one has exited.
   */
  stop(): Promise<void>;
}

/** In the node:cluster primary: forks `count` members, replacing any that dies. */
export function forkClusterMembers(count: number, options: ForkClusterMembersOptions = {}): ClusterMembers {
  if (!cluster.isPrimary) throw new ConfigError('forkClusterMembers runs in the node:cluster primary; its members call startClusterMember');
  if (!(Number.isSafeInteger(count) && count >= 1)) throw new ConfigError(`invalid number of cluster members ${count}, it must be 1 or more`);
  const delayMs = options.restartDelayMs ?? 1_000;
  const workers = new Map<number, Worker>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;

  const fork = (index: number): void => {
    const worker = cluster.fork({ ...options.env, [MEMBER_INDEX_ENV]: String(index), [MEMBER_COUNT_ENV]: String(count) });
    workers.set(index, worker);
    worker.once('exit', () => {
      if (workers.get(index) === worker) workers.delete(index);
      if (stopping) return;
      const timer = setTimeout(() => { timers.delete(timer); fork(index); }, delayMs);
      timers.add(timer);
    });
  };
  for (let index = 0; index < count; index++) fork(index);

  return {
    workers,
    stop: async () => {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all([...workers.values()].map((worker) => new Promise<void>((resolve) => {
        if (worker.isDead()) return resolve();
        const kill = setTimeout(() => worker.process.kill('SIGKILL'), options.stopTimeoutMs ?? 10_000);
        worker.once('exit', () => { clearTimeout(kill); resolve(); });
        worker.disconnect();
      })));
    },
  };
}
