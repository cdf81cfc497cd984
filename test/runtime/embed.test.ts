import { describe, expect, it } from 'vitest';
import { startNode } from 'zonesync';
import { freePorts } from './cluster-helpers.js';

describe('a node embedded in a service, configured in code', () => {
  it('two nodes started from configuration objects sync a key, and stop cleanly', async () => {
    const [h1, s1, h2, s2] = await freePorts(4);
    const config = (http: number, sync: number) => ({
      workerProcesses: 1,
      zones: [{ kind: 'keyval' as const, name: 'one', sizeBytes: 1 << 20, timeoutMs: 3_600_000, sync: true }],
      http: { servers: [{ listen: [`127.0.0.1:${http}`], locations: [{ pattern: '/api', api: { write: true } }] }] },
      stream: { sync: { listen: [`127.0.0.1:${sync}`], peers: [`127.0.0.1:${s1}`, `127.0.0.1:${s2}`], intervalMs: 50, connectRetryIntervalMs: 100 } },
    });
    const a = await startNode(config(h1!, s1!));
    const b = await startNode(config(h2!, s2!));
    try {
      expect(a.httpAddresses).toEqual([`127.0.0.1:${h1}`]);
      a.zones.keyval.get('one')!.set('embedded', 'yes');
      const deadline = Date.now() + 15_000;
      while (b.zones.keyval.get('one')!.get('embedded') !== 'yes') {
        if (Date.now() > deadline) throw new Error('the key never reached the other node');
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = await fetch(`http://127.0.0.1:${h2}/api/9/http/keyvals/one`);
      expect(await r.json()).toEqual({ embedded: 'yes' });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('refuses a configuration object with the same errors as a file', async () => {
    await expect(startNode({ zones: [{ kind: 'keyval', name: 'z', sizeBytes: 1 << 20, sync: true }] })).rejects.toThrow(/timeout/);
  });
});
