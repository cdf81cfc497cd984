// A node embedded in a service (startNode) whose locations only proxy or return: it needs no
// worker thread, and starts none; its limit_req rules hold all the same.
import { afterEach, describe, expect, it } from 'vitest';
import { startNode } from 'zonesync';
import { freePorts } from '../runtime/cluster-helpers.js';
import { TestUpstream, get } from './test-upstream.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe('an embedded gateway', () => {
  it('proxies, returns and limits with no worker thread', async () => {
    const backend = await TestUpstream.start('embedded', (_req, res) => res.end('from the upstream'));
    stops.push(() => backend.close());
    const [port] = await freePorts(1);
    const node = await startNode({
      zones: [{ kind: 'limit_req', name: 'slow', sizeBytes: 1 << 20, key: '$remote_addr', rate: '1r/m' }],
      http: {
        upstreams: [{ name: 'app', servers: [backend.address] }],
        servers: [{
          listen: [`127.0.0.1:${port}`],
          locations: [
            { pattern: '/', proxyPass: { url: 'http://app', host: 'app', port: null, uri: null } },
            { pattern: '/limited', proxyPass: { url: 'http://app', host: 'app', port: null, uri: null }, settings: { limitReqs: [{ zone: 'slow', burst: 0, delay: 0 }] } },
            { pattern: '/hello', modifier: 'exact', return: { status: 200, text: 'hello $arg_name' } },
          ],
        }],
      },
    });
    stops.push(() => node.stop());
    expect(node.serving.workers).toBe(0);
    expect((await get(port!, '/x')).text).toBe('from the upstream');
    expect((await get(port!, '/hello?name=you')).text).toBe('hello you');
    expect((await get(port!, '/limited')).status).toBe(200);
    expect((await get(port!, '/limited')).status).toBe(503);
  });
});
