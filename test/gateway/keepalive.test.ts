// `keepalive N` of an upstream block on a real node in front of real upstream servers that
// count their connections: at most N idle connections per serving thread are kept (the rest
// closed once their answers are in), reused by later requests; keepalive_requests closes a
// connection after its last request; keepalive_timeout closes an idle one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, waitFor } from '../runtime/cluster-helpers.js';
import { SERVING_PATHS, startNodeOn, type RunningNode } from './serving-paths.js';
import { TestUpstream, fresh, get, type UpstreamBehaviour } from './test-upstream.js';

const BURST = 8;
const KEPT = 2;

/* Holds every answer until BURST requests are in, so that they arrive on BURST connections at once. */
function gate(): UpstreamBehaviour {
  const held: Array<() => void> = [];
  return (_req, res, upstream) => {
    held.push(() => res.end(upstream.name));
    if (held.length >= BURST) held.splice(0).forEach((answer) => answer());
  };
}
const named: UpstreamBehaviour = (_req, res, upstream) => res.end(upstream.name);

describe.each(SERVING_PATHS)('keepalive on $name', (path) => {
  let running: RunningNode | undefined;
  let port = 0;
  const up: Record<string, TestUpstream> = {};

  beforeAll(async () => {
    up['burst'] = await TestUpstream.start('burst', gate());
    up['counted'] = await TestUpstream.start('counted', named);
    up['idle'] = await TestUpstream.start('idle', named);
    up['none'] = await TestUpstream.start('none', named);
    [port] = (await freePorts(1)) as [number];
    const config = `
http {
    upstream burst   { server ${up['burst']!.address}; keepalive ${KEPT}; }
    upstream counted { server ${up['counted']!.address}; keepalive 4; keepalive_requests 3; }
    upstream idle    { server ${up['idle']!.address}; keepalive 4; keepalive_timeout 200ms; }
    upstream none    { server ${up['none']!.address}; }
    server {
        listen 127.0.0.1:${port};
        location /burst   { proxy_pass http://burst; }
        location /counted { proxy_pass http://counted; }
        location /idle    { proxy_pass http://idle; }
        location /none    { proxy_pass http://none; }
    }
}`;
    running = await startNodeOn(path, 'keepalive.conf', config);
  }, 300_000);

  afterAll(async () => {
    await running?.stop();
    for (const u of Object.values(up)) await u.close();
  });

  it(`after ${BURST} requests at once, at most ${KEPT} idle connections per serving thread stay open, and later requests reuse them`, async () => {
    const burst = up['burst']!;
    const answers = await Promise.all(Array.from({ length: BURST }, () => fresh(port, '/burst')));
    expect(answers.every((a) => a.status === 200 && a.text === 'burst')).toBe(true);
    expect(burst.accepted).toBe(BURST);
    await waitFor(() => burst.open <= KEPT * path.threads, 10_000, () => `${burst.open} connections stay open, more than ${KEPT} per thread`);
    expect(burst.open).toBeGreaterThan(0);
    burst.behaviour = named;
    for (let i = 0; i < 10; i++) expect((await fresh(port, '/burst')).text).toBe('burst');
    // A thread that took none of the burst opens one connection, and reuses it.
    expect(burst.accepted - BURST).toBeLessThanOrEqual(path.threads);
  });

  it('keepalive_requests 3: a connection carries at most 3 requests, the last one asking for the connection to close', async () => {
    const counted = up['counted']!;
    for (let i = 0; i < 12; i++) expect((await fresh(port, '/counted')).status).toBe(200);
    const perConnection = new Map<number, string[]>();
    for (const r of counted.seen) perConnection.set(r.connection, [...(perConnection.get(r.connection) ?? []), String(r.headers['connection'])]);
    expect([...perConnection.values()].every((c) => c.length <= 3)).toBe(true);
    for (const c of perConnection.values()) if (c.length === 3) expect(c).toEqual(['keep-alive', 'keep-alive', 'close']);
    expect(perConnection.size).toBeGreaterThanOrEqual(4);
  });

  it('keepalive_timeout: an idle connection is closed once the time is over', async () => {
    const idle = up['idle']!;
    expect((await get(port, '/idle')).text).toBe('idle');
    expect(idle.seen[0]!.headers['connection']).toBe('keep-alive');
    await waitFor(() => idle.open === 0, 10_000, () => `${idle.open} idle connections stay open`);
  });

  it('without keepalive every request has its own connection, closed after the answer', async () => {
    const none = up['none']!;
    for (let i = 0; i < 3; i++) expect((await fresh(port, '/none')).text).toBe('none');
    expect(none.accepted).toBe(3);
    expect(none.seen.map((r) => r.headers['connection'])).toEqual(['close', 'close', 'close']);
    await waitFor(() => none.open === 0, 10_000, () => `${none.open} connections stay open`);
  });
});
