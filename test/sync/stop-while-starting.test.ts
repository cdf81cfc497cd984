// stop() called while start() is still under way (listening is asynchronous; a node may be
// told to quit, or restarted, at that moment): the engine ends stopped, and stays so. No
// round, dial or housekeeping may run afterwards: a stopped engine's round would empty the
// zone's output queues, that the node's next engine sends from, with no peer to send to.
import { describe, expect, it } from 'vitest';
import { SharedHybridClock } from '../../dist/shared-clock.js';
import { SYNC_STATE_STOPPED, SyncEngine } from '../../dist/sync/index.js';
import { makeZones } from './helpers.js';
import { SIM_OPTIONS, SimNet } from './sim-nodes.js';

describe('stop() during start()', () => {
  it('leaves the engine stopped: no rounds, no dials, the listener closed', async () => {
    const sim = new SimNet();
    const peer = await sim.node(2, 'b:1');
    const engine = new SyncEngine({
      nodeId: 1, nodeName: 'a:1', descriptors: makeZones([{ name: 'kv' }]).descriptors, clockBuffer: SharedHybridClock.createBuffer(),
      options: { ...SIM_OPTIONS, listen: 'a:1', servers: ['b:1'] }, transport: sim.net.transport('a:1'), timers: sim.world.timers(0),
    });
    const started = engine.start();
    const stopped = engine.stop();
    await Promise.all([started, stopped]);
    const rounds = engine.readCounters().extra.rounds;
    await sim.run(2_000);
    const counters = engine.readCounters().extra;
    expect(counters.state).toBe(SYNC_STATE_STOPPED);
    expect(counters.rounds).toBe(rounds);
    expect(engine.peers()).toEqual([]);
    expect(peer.engine.peers().filter((p) => p.direction === 'inbound')).toEqual([]);
    // Nobody listens at a:1 any more: b's dial to it fails.
    const dialer = await sim.node(3, 'c:1', { servers: ['a:1'] });
    await sim.run(500);
    expect(dialer.engine.peers()[0]!.state).not.toBe('open');
    await sim.stop([peer, dialer]);
  });
});
