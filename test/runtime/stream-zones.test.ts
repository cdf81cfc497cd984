// An http keyval zone and a stream keyval zone of the same name are different zones: on real
// nodes, neither ever syncs into the other (they travel under different module tags).
import { describe, expect, it } from 'vitest';
import { NodeProcess, api, cleanupsAfterEach, freePorts, syncBlock, waitFor, writeConfig } from './cluster-helpers.js';

interface Ports { http: number; sync: number }

function config(self: Ports, all: Ports[], oneIn: 'http' | 'stream'): string {
  const one = 'keyval_zone zone=one:1m timeout=1h sync;';
  return `worker_processes 1;
http {
    keyval_zone zone=common:1m timeout=1h sync;
    ${oneIn === 'http' ? one : ''}
    server {
        listen 127.0.0.1:${self.http};
        location /api { api write=on; }
    }
}
${syncBlock(self.sync, all.map((p) => `127.0.0.1:${p.sync}`), '', oneIn === 'stream' ? one : '')}`;
}

function post(port: number, path: string, body: unknown) {
  return api(port, path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

describe('http and stream keyval zones of one name (real nodes)', () => {
  const cleanups = cleanupsAfterEach();

  it('never sync into each other', async () => {
    const dir = cleanups.tempDir();
    const [ah, as, bh, bs] = await freePorts(4);
    const a = { http: ah!, sync: as! };
    const b = { http: bh!, sync: bs! };
    const nodeA = new NodeProcess(writeConfig(dir, 'a.conf', config(a, [a, b], 'http')));
    const nodeB = new NodeProcess(writeConfig(dir, 'b.conf', config(b, [a, b], 'stream')));
    cleanups.push(() => nodeA.stop(), () => nodeB.stop());
    await Promise.all([nodeA.ready(), nodeB.ready()]);

    expect((await post(ah!, '/api/9/http/keyvals/one', { fromHttp: 'a' })).status).toBe(201);
    expect((await post(bh!, '/api/9/stream/keyvals/one', { fromStream: 'b' })).status).toBe(201);
    // Markers in a zone both have, written after: once each has the other's, the rounds that carried "one" are in too.
    expect((await post(ah!, '/api/9/http/keyvals/common', { a: '1' })).status).toBe(201);
    expect((await post(bh!, '/api/9/http/keyvals/common', { b: '1' })).status).toBe(201);
    await waitFor(async () => {
      const [ca, cb] = await Promise.all([api(ah!, '/api/9/http/keyvals/common'), api(bh!, '/api/9/http/keyvals/common')]);
      return ca.body.b === '1' && cb.body.a === '1';
    }, 10_000, () => 'the nodes never synced');
    expect((await api(ah!, '/api/9/http/keyvals/one')).body).toEqual({ fromHttp: 'a' });
    expect((await api(bh!, '/api/9/stream/keyvals/one')).body).toEqual({ fromStream: 'b' });
    expect((await api(bh!, '/api/9/http/keyvals/one')).status).toBe(404);
  });
});
