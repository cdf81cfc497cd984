// The addresses an engine dials (outbound-slots.ts), as zone_sync_server lines and DNS
// discovery change them: new ones dialled, vanished ones closed and forgotten, a host name
// change redialled; a closed connection redialled after zone_sync_connect_retry_interval;
// the address of the node itself never again. On the simulator: virtual time, exact counts.
import { describe, expect, it } from 'vitest';
import type { PeerStatus } from '../../dist/sync/index.js';
import { SIM_OPTIONS, SimNet } from './sim-nodes.js';

const outbound = (peers: PeerStatus[]): [string, string][] =>
  peers.filter((p) => p.direction === 'outbound').map((p) => [p.address, p.state]);

describe('the addresses dialled', () => {
  it('follow setServers: new ones are dialled, vanished ones closed and forgotten, a changed host name redialled', async () => {
    const sim = new SimNet();
    const a = await sim.node(1, 'a:1');
    const b = await sim.node(2, 'b:1');
    const c = await sim.node(3, 'c:1');
    a.engine.setServers(['b:1', 'c:1', 'b:1']);
    await sim.run(20);
    expect(outbound(a.engine.peers())).toEqual([['b:1', 'open'], ['c:1', 'open']]);
    expect(a.engine.readCounters().extra.connects).toBe(2);

    a.engine.setServers(['c:1']);
    await sim.run(20);
    expect(outbound(a.engine.peers())).toEqual([['c:1', 'open']]);
    expect(a.logs.filter((l) => l.message === 'zone_sync server removed').map((l) => l.fields.peer)).toEqual(['b:1']);
    expect(b.engine.readCounters().extra.inbound_online).toBe(0);
    expect(a.engine.readCounters().extra.connects).toBe(2);

    // The same address under a host name (what DNS discovery hands over): a new slot, dialled again.
    a.engine.setServers([{ address: 'c:1', name: 'c.example' }, 'c:1']);
    await sim.run(20);
    expect(outbound(a.engine.peers())).toEqual([['c:1', 'open']]);
    expect(a.logs.filter((l) => l.message === 'zone_sync server removed').map((l) => l.fields.peer)).toEqual(['b:1', 'c:1']);
    expect(a.engine.readCounters().extra.connects).toBe(3);

    // The same list again changes nothing; an empty one closes everything.
    a.engine.setServers([{ address: 'c:1', name: 'c.example' }]);
    await sim.run(20);
    expect(a.engine.readCounters().extra.connects).toBe(3);
    a.engine.setServers([]);
    await sim.run(20);
    expect(a.engine.peers()).toEqual([]);
    expect(a.engine.readCounters().status.nodes_online).toBe(0);
    expect(a.engine.readCounters().extra.connect_failures).toBe(0);
    await sim.stop([a, b, c]);
  });

  it('a closed connection is redialled after the retry interval, not sooner; the node itself never again', async () => {
    const sim = new SimNet();
    const a = await sim.node(1, 'a:1');
    let b = await sim.node(2, 'b:1');
    a.engine.setServers(['a:1', 'b:1']);
    await sim.run(20);
    expect(outbound(a.engine.peers())).toEqual([['a:1', 'self'], ['b:1', 'open']]);

    await sim.stop([b]);
    const retry = SIM_OPTIONS.connectRetryIntervalMs!;
    const failures = (): number => a.engine.readCounters().extra.connect_failures;
    expect(failures()).toBe(0);
    // Each failed dial is 1 ms of network; the next waits the retry interval, then the next
    // tick (ticks come every 50 ms here): between retry + 1 and retry + 51 ms apart.
    const spanMs = 20 * retry;
    await sim.run(spanMs);
    expect(failures()).toBeGreaterThanOrEqual(Math.floor(spanMs / (retry + 51)));
    expect(failures()).toBeLessThanOrEqual(Math.ceil(spanMs / (retry + 1)));
    expect(a.engine.peers().find((p) => p.address === 'b:1')!.lastError).toBe('closed by the peer before the HELLO exchange');

    b = await sim.node(2, 'b:1');
    await sim.run(retry + 60);
    expect(outbound(a.engine.peers())).toEqual([['a:1', 'self'], ['b:1', 'open']]);
    expect(a.engine.peers().find((p) => p.address === 'b:1')!.lastError).toBeNull();
    expect(a.engine.readCounters().extra.self_detected).toBe(1); // dialled itself once, never again
    await sim.stop([a, b]);
  });
});
