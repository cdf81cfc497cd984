// proxy_send_timeout, proxy_read_timeout and proxy_buffering on a real node in front of real
// upstream servers: a server that leaves the request body unread is given up with 504, one
// that reads it answers; proxy_buffering on or off still streams the answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { freePorts } from '../runtime/cluster-helpers.js';
import { SERVING_PATHS, startNodeOn, type RunningNode } from './serving-paths.js';
import { TestUpstream, get, type UpstreamBehaviour } from './test-upstream.js';

const BODY_BYTES = 64 << 20;

/* Takes the request and never reads its body nor answers. */
const sink: UpstreamBehaviour = (req) => req.pause();
/* Reads the body, then answers how much came. */
const counter: UpstreamBehaviour = (req, res) => {
  let n = 0;
  req.on('data', (c: Buffer) => { n += c.length; });
  req.on('end', () => res.end(String(n)));
};
/* Writes half of its answer and holds the rest until the client has the first half. */
let releaseRest: () => void = () => {};
const halves: UpstreamBehaviour = (_req, res) => {
  res.writeHead(200, { 'content-length': '10' });
  res.write('first');
  releaseRest = () => res.end('-last');
};

/** PUTs `bytes` bytes, as fast as the node takes them; the status of the answer, which may come before the body is all sent. */
function put(port: number, path: string, bytes: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, path, method: 'PUT', headers: { 'content-length': String(bytes) }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(1 << 20, 120);
    let left = bytes;
    const more = (): void => {
      while (left > 0) {
        left -= chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', more);
          return;
        }
      }
      req.end();
    };
    more();
  });
}

describe.each(SERVING_PATHS)('proxy timeouts on $name', (path) => {
  let running: RunningNode | undefined;
  let port = 0;
  const up: Record<string, TestUpstream> = {};

  beforeAll(async () => {
    up['sink'] = await TestUpstream.start('sink', sink, { readsBody: true });
    up['counter'] = await TestUpstream.start('counter', counter, { readsBody: true });
    up['halves'] = await TestUpstream.start('halves', halves);
    [port] = (await freePorts(1)) as [number];
    const config = `
http {
    client_max_body_size 0;
    proxy_send_timeout 300ms;
    server {
        listen 127.0.0.1:${port};
        location /sink    { proxy_pass http://${up['sink']!.address}; }
        location /counter { proxy_pass http://${up['counter']!.address}; proxy_request_buffering off; }
        location /on      { proxy_pass http://${up['halves']!.address}; proxy_buffering on; }
        location /off     { proxy_pass http://${up['halves']!.address}; proxy_buffering off; }
    }
}`;
    running = await startNodeOn(path, 'timeouts.conf', config);
  }, 300_000);

  afterAll(async () => {
    await running?.stop();
    for (const u of Object.values(up)) await u.close();
  });

  it('a server that leaves the body unread for proxy_send_timeout is given up: 504', async () => {
    const r = await put(port, '/sink', BODY_BYTES);
    expect(r.status).toBe(504);
    expect(r.text).toContain('<center><h1>504 Gateway Time-out</h1></center>');
    expect(up['sink']!.seen).toHaveLength(1);
  });

  it('a server that reads the body as it comes gets all of it, however long the upload lasts', async () => {
    const r = await put(port, '/counter', BODY_BYTES);
    expect([r.status, r.text]).toEqual([200, String(BODY_BYTES)]);
  });

  it.each(['/on', '/off'])('%s: the answer streams to the client as the server writes it (proxy_buffering has no effect)', async (location) => {
    const text = await new Promise<string>((resolve, reject) => {
      http.get({ port, path: location, agent: false }, (res) => {
        let got = '';
        res.on('data', (c) => {
          if (got === '') releaseRest(); // the first half arrived while the server still holds the rest
          got += c;
        });
        res.on('end', () => resolve(got));
      }).on('error', reject);
    });
    expect(text).toBe('first-last');
    expect((await get(port, '/counter')).status).toBe(200);
  });
});
