// The listening side (inbound-listener.ts): it holds at most MAX_INBOUND_CONNECTIONS
// connections, closes the others at once with a warning (once per client address and
// minute: every simulated client has an address of its own), and takes new ones again once
// some have closed. On the simulator, where a thousand connections cost nothing.
import { describe, expect, it } from 'vitest';
import { MAX_INBOUND_CONNECTIONS, type ConnectionEvents } from '../../dist/sync/index.js';
import { SimNet } from './sim-nodes.js';

/** A client that says nothing and notes when its connection closes. */
class SilentClient implements ConnectionEvents {
  closed = false;
  onOpen(): void {}
  onData(): void {}
  onDrain(): void {}
  onClose(): void {
    this.closed = true;
  }
}

describe('inbound connections', () => {
  it(`at most ${MAX_INBOUND_CONNECTIONS} are held; more are closed and logged, and room comes back as they close`, async () => {
    const sim = new SimNet();
    const b = await sim.node(2, 'b:1');
    const extra = 5;
    const clients = Array.from({ length: MAX_INBOUND_CONNECTIONS + extra }, () => new SilentClient());
    const transport = sim.net.transport('x');
    const connections = clients.map((client) => transport.dial('b:1', client, null));
    await sim.run(10);
    const inbound = (): number => b.engine.peers().filter((p) => p.direction === 'inbound').length;
    expect(inbound()).toBe(MAX_INBOUND_CONNECTIONS);
    expect(clients.filter((c) => c.closed)).toHaveLength(extra);
    expect(clients.slice(MAX_INBOUND_CONNECTIONS).every((c) => c.closed)).toBe(true);
    const warnings = b.logs.filter((l) => l.message === 'zone_sync too many inbound connections');
    expect(warnings).toHaveLength(extra);
    expect(warnings[0]!.fields.limit).toBe(MAX_INBOUND_CONNECTIONS);

    // Ten of the held ones go away: ten new ones are taken, the eleventh is not.
    for (const connection of connections.slice(0, 10)) connection.destroy();
    await sim.run(10);
    expect(inbound()).toBe(MAX_INBOUND_CONNECTIONS - 10);
    const more = Array.from({ length: 11 }, () => new SilentClient());
    for (const client of more) transport.dial('b:1', client, null);
    await sim.run(10);
    expect(inbound()).toBe(MAX_INBOUND_CONNECTIONS);
    expect(more.filter((c) => c.closed)).toHaveLength(1);
    await sim.stop([b]);
  });
});
