// The monitoring NGINX Plus users run, against a real node: Debian's prometheus-nginx-exporter
// in NGINX Plus mode asks the API for every endpoint of its client's GetStats and reports
// nginxplus_up 0 when any of them fails. Here it scrapes a live node after requests were
// passed, delayed and rejected through limit_req locations (two worker threads: the counts
// are the node's, whichever thread judged the request).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeProcess, api, freePorts, syncBlock, tempDir, waitFor, writeConfig } from './cluster-helpers.js';

const EXPORTER = 'prometheus-nginx-exporter';

/** The exporter must be there (.ci/run installs it): a missing one fails, never skips. */
function requireExporter(): void {
  const found = spawnSync('sh', ['-c', `command -v ${EXPORTER}`], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(`${EXPORTER} is not installed: apt-get update && apt-get install -y ${EXPORTER} (.ci/run does this)`);
  }
}

/** Samples of the exposition text: "name{labels}" → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('prometheus-nginx-exporter --nginx.plus against a node', () => {
  const { dir, cleanup } = tempDir();
  let node: NodeProcess;
  let exporter: ChildProcess | null = null;
  let exporterOutput = '';
  let http = 0;
  let metricsPort = 0;

  beforeAll(async () => {
    requireExporter();
    const [h, s, m] = await freePorts(3);
    http = h!;
    metricsPort = m!;
    node = new NodeProcess(writeConfig(dir, 'node.conf', `worker_processes 2;
http {
    keyval_zone zone=one:1m timeout=1h sync;
    limit_req_zone $remote_addr zone=strict:1m rate=1r/m sync;
    limit_req_zone $remote_addr zone=paced:1m rate=1r/s;
    upstream backend {
        zone backend 64k;
        server 127.0.0.1:9 weight=2;
        server 127.0.0.1:10 down;
    }
    server {
        listen 127.0.0.1:${http};
        location /api { api write=on; }
        location /strict { limit_req zone=strict burst=2 nodelay; }
        location /paced { limit_req zone=paced burst=5; }
    }
}
${syncBlock(s!, [])}`));
    await node.ready();
  });

  afterAll(async () => {
    exporter?.kill('SIGKILL');
    await node?.stop();
    cleanup();
  });

  it('reads every endpoint (nginxplus_up 1) and reports zone_sync and limit_req as the API does', async () => {
    // strict: 1r/m with burst=2 nodelay: three pass at once, the rest are rejected.
    const strict: number[] = [];
    for (let i = 0; i < 6; i++) strict.push((await api(http, '/strict')).status);
    // paced: 1r/s with burst=5: the first passes, the next two wait their turn.
    const paced = await Promise.all([1, 2, 3].map(() => api(http, '/paced')));
    expect(paced.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await api(http, '/api/9/http/keyvals/one', { method: 'POST', body: '{"k":"v"}' })).status).toBe(201);

    exporter = spawn(EXPORTER, ['--nginx.plus', `--nginx.scrape-uri=http://127.0.0.1:${http}/api`, `--web.listen-address=127.0.0.1:${metricsPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    exporter.stdout!.on('data', (d) => { exporterOutput += d; });
    exporter.stderr!.on('data', (d) => { exporterOutput += d; });
    let text = '';
    await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      text = await r.text();
      return r.status === 200;
    }, 20_000, () => `the exporter did not answer:\n${exporterOutput}`);
    const m = samples(text);
    const limitReqs = (await api(http, '/api/9/http/limit_reqs')).body;
    const zoneSync = (await api(http, '/api/9/stream/zone_sync')).body;

    expect(m.get('nginxplus_up'), `${exporterOutput}\n${text}`).toBe(1);
    // zone_sync: the node's own numbers, as the API answers them.
    expect(m.get('nginxplus_stream_zone_sync_zone_records_total{zone="one"}')).toBe(1);
    expect(m.get('nginxplus_stream_zone_sync_zone_records_total{zone="strict"}')).toBe(zoneSync.zones.strict.records_total);
    expect(m.get('nginxplus_stream_zone_sync_status_nodes_online')).toBe(0);
    // limit_req: what the clients saw, counted over both worker threads.
    expect(strict.filter((s) => s === 200)).toHaveLength(3);
    expect(m.get('nginxplus_limit_request_passed{zone="strict"}')).toBe(3);
    expect(m.get('nginxplus_limit_request_rejected{zone="strict"}')).toBe(strict.filter((s) => s === 503).length);
    expect(m.get('nginxplus_limit_request_delayed{zone="strict"}')).toBe(0);
    expect(m.get('nginxplus_limit_request_passed{zone="paced"}')).toBe(1);
    expect(m.get('nginxplus_limit_request_delayed{zone="paced"}')).toBe(2);
    expect(m.get('nginxplus_limit_request_rejected{zone="paced"}')).toBe(0);
    expect(limitReqs.strict).toEqual({ passed: 3, delayed: 0, rejected: 3, delayed_dry_run: 0, rejected_dry_run: 0 });
    // The rest of GetStats, from the node: requests, connections, upstream peers.
    expect(m.get('nginxplus_http_requests_total')).toBeGreaterThanOrEqual(10);
    expect(m.get('nginxplus_connections_accepted')).toBeGreaterThanOrEqual(1);
    expect(m.get('nginxplus_upstream_server_state{server="127.0.0.1:9",upstream="backend"}')).toBe(1);
    expect(m.get('nginxplus_upstream_server_state{server="127.0.0.1:10",upstream="backend"}')).toBe(3);
    expect(m.get('nginxplus_upstream_server_requests{server="127.0.0.1:9",upstream="backend"}')).toBe(0);
  });
});
