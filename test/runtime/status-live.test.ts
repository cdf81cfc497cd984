// The node's own status figures on a real node: a worker thread that dies is counted in
// /api/9/processes (respawned), and the front end's connections and requests in
// /connections and /http/requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeProcess, api, freePorts, requestThatKillsItsWorker, tempDir, waitFor, writeConfig } from './cluster-helpers.js';

describe('status figures of a live node', () => {
  const { dir, cleanup } = tempDir();
  let node: NodeProcess;
  let http = 0;

  beforeAll(async () => {
    [http] = await freePorts(1);
    const handler = writeConfig(dir, 'crash.mjs', `export default (req) => {
  if (req.url === '/app/crash') process.exit(3); // ends this worker thread only
  return { status: 200, body: 'ok' };
};
`);
    node = new NodeProcess(writeConfig(dir, 'node.conf', `worker_processes 2;
http {
    server {
        listen 127.0.0.1:${http};
        location /api { api write=on; }
        location /app { zonesync_handler ${handler}; }
    }
}
`));
    await node.ready();
  });

  afterAll(async () => {
    await node?.stop();
    cleanup();
  });

  it('counts a worker thread that died and was replaced', async () => {
    expect((await api(http, '/api/9/processes')).body).toEqual({ respawned: 0 });
    const crash = await requestThatKillsItsWorker(node, http, '/app/crash');
    expect(crash.got).toBe(crash.expected);
    await waitFor(async () => (await api(http, '/api/9/processes')).body.respawned === 1, 10_000,
      () => `respawned never counted:\n${node.output}`);
    // The pool has its threads again: requests are served.
    await waitFor(async () => (await api(http, '/app/ok')).status === 200, 10_000, () => 'no worker serves after the crash');
    expect((await api(http, '/api/9/processes', { method: 'DELETE' })).status).toBe(204);
    expect((await api(http, '/api/9/processes')).body).toEqual({ respawned: 0 });
  });

  it('counts the front end\'s connections and requests', async () => {
    const before = (await api(http, '/api/9/http/requests')).body;
    for (let i = 0; i < 5; i++) expect((await api(http, '/app/ok')).status).toBe(200);
    const after = (await api(http, '/api/9/http/requests')).body;
    // The five requests and the one asking; the request asking is current while it is answered.
    expect(after.total - before.total).toBe(6);
    expect(after.current).toBe(1);
    const connections = (await api(http, '/api/9/connections')).body;
    expect(connections.accepted).toBeGreaterThanOrEqual(1);
    expect(connections.active).toBeGreaterThanOrEqual(1);
    expect(connections.dropped).toBe(0);
  });
});
