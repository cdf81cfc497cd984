// A node tells its limit_req zones the cluster's zone_sync_interval, at start and on reload:
// how late other nodes' shares can be (docs/LIMIT_REQ.md).
import { describe, expect, it } from 'vitest';
import { normalizeConfig, startNode, type ZonesyncConfigInput } from 'zonesync';
import { freePorts } from './cluster-helpers.js';

describe('limit_req and zone_sync_interval', () => {
  it('a node starts its limit_req zones with the interval of its zone_sync, and a reload changes it', async () => {
    const [sync] = await freePorts(1);
    const config = (intervalMs: number): ZonesyncConfigInput => ({
      workerProcesses: 1,
      zones: [{ kind: 'limit_req', name: 'req', sizeBytes: 1 << 20, key: '$binary_remote_addr', rate: '100r/s', sync: true }],
      stream: { sync: { listen: [`127.0.0.1:${sync}`], peers: [`127.0.0.1:${sync}`], intervalMs } },
    });
    const node = await startNode(config(50));
    try {
      const zone = node.zones.limitReq.get('req')!;
      expect(zone.syncIntervalMs).toBe(50);
      node.reload(normalizeConfig(config(250)));
      expect(zone.syncIntervalMs).toBe(250);
    } finally {
      await node.stop();
    }
  });

  it('without zone_sync the zone keeps nginx\'s default of 1s', async () => {
    const node = await startNode({ workerProcesses: 1, zones: [{ kind: 'limit_req', name: 'req', sizeBytes: 1 << 20, key: '$binary_remote_addr' }] });
    try {
      expect(node.zones.limitReq.get('req')!.syncIntervalMs).toBe(1000);
    } finally {
      await node.stop();
    }
  });
});
