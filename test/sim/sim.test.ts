// The deterministic simulator: hundreds of seeded runs of random writes, deletes, message
// delay and loss, partitions, restarts and clock skew; after the heal every node must hold
// the same records, each the greatest (stamp, origin) version ever written.
import { describe, expect, it } from 'vitest';
import { SimCluster } from './cluster.js';
import { zoneRemove } from '../../dist-bench/lib/shm-strings.js';

const SEEDS = Number(process.env.SIM_SEEDS ?? 200);
const FIRST_SEED = Number(process.env.SIM_SEED ?? 1);

describe('simulated clusters converge', () => {
  it(`${SEEDS} seeds from ${FIRST_SEED}`, async () => {
    let writes = 0;
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
      const cluster = new SimCluster(seed);
      const result = await cluster.run();
      if (!result.converged) {
        throw new Error(`simulation seed ${seed} did not converge (replay: SIM_SEED=${seed} SIM_SEEDS=1):\n${result.problems.slice(0, 10).join('\n')}`);
      }
      writes += result.writes;
      await cluster.stop();
    }
    expect(writes).toBeGreaterThan(SEEDS * 10);
  }, 120_000);

  it('the same seed replays the same run', async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const cluster = new SimCluster(12345);
      const result = await cluster.run(1_500);
      runs.push({ ...result, dump: [...cluster.nodes[0]!.dump()] });
    }
    expect(runs[0]).toEqual(runs[1]);
  });

  it('the checker catches a node that misses a version', async () => {
    const cluster = new SimCluster(7);
    const result = await cluster.run(1_000);
    expect(result.converged).toBe(true);
    const victim = cluster.nodes[0]!;
    zoneRemove(victim.zone, [...cluster.expected.keys()][0]!);
    const problems: string[] = [];
    cluster.check(problems);
    expect(problems.length).toBeGreaterThan(0);
  });
});
