/**
 * One measurement of the sync suite, in a process of its own (index.ts forks one per
 * measurement, as JMH forks a JVM per benchmark): the zones of one measurement, hundreds of
 * MB, then never slow down the next. `node dist-bench/sync/measure-one.js NAME RECORDS`;
 * prints one JSON line, {"value": …}.
 */
import { measureClusterPropagation } from './cluster-propagation.js';
import { measureLoopback } from './loopback.js';
import { WIRE_RECORD_BYTES } from './nodes.js';
import { measurePropagation } from './propagation.js';
import { measureRelay } from './relay.js';
import { measureLocalWrites, measureReplication, measureReplicationBacklog } from './replication.js';
import { measureSnapshot } from './snapshot.js';
import { makeBenchTls } from './tls-certs.js';

export const MEASUREMENTS = ['loopback', 'replication', 'replication-tls', 'replication-backlog', 'local-writes', 'snapshot', 'relay', 'propagation', 'cluster-propagation'] as const;
export type MeasurementName = (typeof MEASUREMENTS)[number];

async function measure(name: MeasurementName, count: number): Promise<unknown> {
  switch (name) {
    case 'loopback': return measureLoopback(count * WIRE_RECORD_BYTES, WIRE_RECORD_BYTES);
    case 'replication': return measureReplication(count);
    case 'replication-tls': {
      const tls = makeBenchTls();
      try {
        return await measureReplication(count, tls);
      } finally {
        tls.cleanup();
      }
    }
    case 'replication-backlog': return measureReplicationBacklog(count);
    case 'local-writes': return measureLocalWrites(count);
    case 'snapshot': return measureSnapshot(count);
    case 'relay': return measureRelay(count);
    case 'propagation': return measurePropagation(count);
    case 'cluster-propagation': return measureClusterPropagation(count);
  }
}

const [name, count] = [process.argv[2] as MeasurementName, Number(process.argv[3])];
if (!MEASUREMENTS.includes(name) || !(count > 0)) throw new Error(`usage: measure-one.js ${MEASUREMENTS.join('|')} COUNT`);
console.log(JSON.stringify({ value: await measure(name, count) }));
