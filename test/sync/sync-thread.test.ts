// The engine in a real worker thread, started as the primary would start it.
import { afterEach, describe, expect, it } from 'vitest';
import { startSyncThread, type SyncThreadHandle } from '../../dist/sync/index.js';
import { FAST, TestNode, memoryLogger, sameRecords, waitFor, type LogLine } from './helpers.js';

let handle: SyncThreadHandle | null = null;
let other: TestNode | null = null;

afterEach(async () => {
  await handle?.stop();
  await other?.engine.stop();
  handle = null;
  other = null;
});

describe('startSyncThread', () => {
  it('syncs zones shared with a worker thread, exposes counters and status, stops on request', async () => {
    const a = new TestNode(7, [{ name: 'kv' }]); // its engine stays unused: the worker runs node 7's sync
    other = new TestNode(8, [{ name: 'kv' }]);
    await other.engine.start();
    const logs: LogLine[] = [];
    handle = await startSyncThread({
      nodeId: a.nodeId, nodeName: 'node-7', descriptors: a.descriptors, clockBuffer: a.clockBuffer,
      options: { ...FAST, listen: '127.0.0.1:0', servers: [other.address] }, logger: memoryLogger(logs),
    });
    expect(handle.listenAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    other.engine.setServers([handle.listenAddress!]);
    for (let k = 0; k < 50; k++) a.write(`a${k}`, `x${k}`);
    for (let k = 0; k < 30; k++) other.write(`b${k}`, `y${k}`);
    await waitFor('both hold 80 records', () => a.dump().length === 80 && sameRecords([a, other!]), 15_000, () => [a.dump().length, other!.dump().length]);
    await waitFor('counters published', () => handle!.counters().status.nodes_online === 1 && handle!.counters().zones.kv!.records_total === 80);
    const c = handle.counters();
    expect(c.status.bytes_in).toBeGreaterThan(0);
    expect(c.status.msgs_out).toBeGreaterThan(0);
    expect(c.zones.kv!.records_pending).toBe(0);
    const status = await handle.status();
    expect(status.find((p) => p.direction === 'outbound')).toMatchObject({ address: other.address, state: 'open', nodeId: 8 });
    expect(logs.some((l) => l.message.includes('connected'))).toBe(true);
    a.write('last', 'flushed-on-stop');
    await handle.stop();
    handle = null;
    await waitFor('last write flushed by the stopping thread', () => other!.get('last') === 'flushed-on-stop');
  });

  it('reports a listen failure instead of hanging', async () => {
    const a = new TestNode(9, [{ name: 'kv' }]);
    await expect(startSyncThread({
      nodeId: 9, nodeName: 'n9', descriptors: a.descriptors, clockBuffer: a.clockBuffer, options: { listen: '256.1.1.1:1' },
    })).rejects.toThrow(/failed to start/);
  });
});
