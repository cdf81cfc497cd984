// A request that limit_req delays waits on a timer, as nginx's does, holding no worker: the
// node's other requests are answered meanwhile.
import { afterEach, describe, expect, it } from 'vitest';
import { NodeProcess, clusterConfig, freePorts, tempDir, writeConfig } from './cluster-helpers.js';

const running: NodeProcess[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  cleanups.splice(0).forEach((c) => c());
});

describe('limit_req delays', () => {
  it('five requests at once at 2r/s burst=5 are delayed up to 2 s; a request elsewhere is answered before all but the first', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const [http, sync] = await freePorts(2);
    const self = { http: http!, sync: sync! };
    const config = writeConfig(dir, 'node.conf', clusterConfig(self, [self], 'limit_req_zone $binary_remote_addr zone=req:1m rate=2r/s;')
      .replace('location / { }', 'location / { limit_req zone=req burst=5; }\n        location /open { }'));
    const node = new NodeProcess(config); // two workers
    running.push(node);
    await node.ready();
    const done: string[] = [];
    const limited = Array.from({ length: 5 }, (_, i) => fetch(`http://127.0.0.1:${self.http}/`).then(async (r) => {
      await r.text();
      done.push(`limited ${i}: ${r.status}`);
    }));
    const open = fetch(`http://127.0.0.1:${self.http}/open`).then(async (r) => {
      await r.text();
      done.push(`open: ${r.status}`);
    });
    await Promise.all([...limited, open]);
    expect(done.filter((d) => d.startsWith('limited')).every((d) => d.endsWith(': 200'))).toBe(true);
    // The undelayed one may come first; the four delayed ones (0.5 s to 2 s) after.
    expect(done.indexOf('open: 200'), done.join(', ')).toBeLessThanOrEqual(1);
  });
});
