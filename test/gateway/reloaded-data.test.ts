// What a reload does to an upstream block's shared balancer state and API counters
// (reloaded-data.ts): kept while nothing they depend on changed, else made anew with the
// totals of the servers that stay carried over.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../dist/config/index.js';
import { gatewayDataOf, type GatewayData } from '../../dist/gateway/gateway.js';
import { reloadedGatewayData } from '../../dist/gateway/reloaded-data.js';
import { UpstreamCounters } from '../../dist/gateway/upstream-counters.js';

function config(servers: string[], zone = true) {
  return parseConfigText(`http {
    upstream backend {
        ${zone ? 'zone backend 64k;' : ''}
${servers.map((s) => `        server ${s};`).join('\n')}
    }
    upstream other { server 127.0.0.1:9000; }
    server { listen 127.0.0.1:8080; location / { proxy_pass http://backend; } }
}
`);
}

/** Server `peer` of `backend` has served `requests` requests (one still active) and failed once. */
function traffic(data: GatewayData, peer: number, requests: number): void {
  const counters = new UpstreamCounters(data.counters.backend!);
  for (let i = 0; i < requests; i++) counters.started(peer);
  for (let i = 0; i < requests - 1; i++) counters.finished(peer, 200, 10, 20, i === 0, { headerMs: 1, responseMs: 2 });
  counters.unavailable(peer, Date.now() + 60_000);
}

const read = (data: GatewayData, peer: number) => new UpstreamCounters(data.counters.backend!).read(peer);

describe('a reload and an upstream block\'s state and counters', () => {
  it('unchanged servers: the same state and counters', () => {
    const before = gatewayDataOf(config(['127.0.0.1:1', '127.0.0.1:2']));
    const after = reloadedGatewayData(config(['127.0.0.1:1', '127.0.0.1:2']), before);
    expect(after.sharedStates.backend).toBe(before.sharedStates.backend);
    expect(after.counters.backend).toBe(before.counters.backend);
    expect(after.counters.other).toBe(before.counters.other);
  });

  it.each([
    ['a weight', ['127.0.0.1:1', '127.0.0.1:2 weight=5']],
    ['a server marked down', ['127.0.0.1:1', '127.0.0.1:2 down']],
    ['max_fails', ['127.0.0.1:1 max_fails=3', '127.0.0.1:2']],
    ['fail_timeout', ['127.0.0.1:1', '127.0.0.1:2 fail_timeout=30s']],
    ['backup', ['127.0.0.1:1', '127.0.0.1:2 backup']],
  ])('%s changed: a new balancer state, the same counters', (_what, servers) => {
    const before = gatewayDataOf(config(['127.0.0.1:1', '127.0.0.1:2']));
    traffic(before, 1, 4);
    const after = reloadedGatewayData(config(servers), before);
    expect(after.sharedStates.backend).not.toBe(before.sharedStates.backend);
    expect(after.counters.backend).toBe(before.counters.backend);
    expect(read(after, 1).requests).toBe(4);
  });

  it.each([
    ['a server added', ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], { '127.0.0.1:2': 1 }],
    ['a server removed', ['127.0.0.1:2'], { '127.0.0.1:2': 0 }],
    ['the servers reordered', ['127.0.0.1:2', '127.0.0.1:1'], { '127.0.0.1:2': 0 }],
  ])('%s: new counters, each server that stays keeps its totals, not its active requests', (_what, servers, index) => {
    const before = gatewayDataOf(config(['127.0.0.1:1', '127.0.0.1:2']));
    traffic(before, 1, 4);
    const was = read(before, 1);
    expect(was.downStartMs).toBeGreaterThan(0); // left out at the reload
    const after = reloadedGatewayData(config(servers), before);
    expect(after.counters.backend).not.toBe(before.counters.backend);
    const kept = read(after, index['127.0.0.1:2']);
    const { downStartMs: _start, downtimeMs: wasDown, ...wasRest } = was;
    const { downtimeMs: keptDown, ...keptRest } = kept;
    expect({ ...keptRest, active: 1, unavailableUntilMs: was.unavailableUntilMs }).toEqual(wasRest);
    expect(kept.active).toBe(0);
    expect(kept.unavailableUntilMs).toBe(0);
    // The period left out ends at the reload: its time so far is downtime, and no downstart.
    expect(kept.downStartMs).toBeUndefined();
    expect(keptDown).toBeGreaterThanOrEqual(wasDown);
    expect(read(before, 1).downtimeMs).toBeGreaterThanOrEqual(keptDown);
    for (let peer = 0; peer < servers.length; peer++) {
      if (peer !== index['127.0.0.1:2']) expect(read(after, peer).requests).toBe(0);
    }
    // The counters the requests in flight finish on are left as they were.
    expect(read(before, 1).active).toBe(1);
  });

  it('an upstream without zone has no shared state before or after; a new block gets its own', () => {
    const before = gatewayDataOf(config(['127.0.0.1:1'], false));
    const after = reloadedGatewayData(config(['127.0.0.1:1'], true), before);
    expect(before.sharedStates.backend).toBeUndefined();
    expect(after.sharedStates.backend).toBeDefined();
    expect(after.counters.backend).toBe(before.counters.backend);
  });
});
