// The output queue and snapshots: a queue nobody reads is discarded without encoding, a lone
// peer's snapshot replaces the backlog (every queued record is in it), and with another
// peer connected the queue is kept for that peer.
import { afterEach, describe, expect, it } from 'vitest';
import { TestNode, sameRecords, stopAll, waitFor } from './helpers.js';

let nodes: TestNode[] = [];
afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

// Rounds far apart: nothing is sent from the queue unless the test asks (roundNow).
const SLOW = { intervalMs: 60_000, timeoutMs: 60_000 };
const pending = (n: TestNode) => n.zone().stats().pending;
const recordsOut = (n: TestNode) => n.engine.readCounters().extra.records_out;

describe('output queues and snapshots', () => {
  it('a round with no peer empties the queue without encoding a record', async () => {
    const a = new TestNode(21, [{ name: 'kv' }]);
    nodes = [a];
    await a.engine.start();
    for (let i = 0; i < 500; i++) a.write(`k${i}`, 'v');
    await waitFor('the queue is emptied', () => pending(a) === 0);
    expect(recordsOut(a)).toBe(0);
    expect(a.dump().length).toBe(500); // discarded from the queue, not from the zone
  });

  it("a lone peer's snapshot carries the backlog: each record is sent once", async () => {
    const a = new TestNode(22, [{ name: 'kv' }], SLOW);
    const b = new TestNode(23, [{ name: 'kv' }], SLOW);
    nodes = [a, b];
    await Promise.all(nodes.map((n) => n.engine.start()));
    for (let i = 0; i < 1000; i++) a.write(`k${i}`, 'v'.repeat(20));
    expect(pending(a)).toBe(1000);
    a.engine.setServers([b.address]);
    await waitFor('b has every record by snapshot', () => b.dump().length === 1000 && sameRecords([a, b]));
    expect(pending(a)).toBe(0);
    expect(recordsOut(a)).toBe(0);
    expect(a.engine.readCounters().extra.snapshots_sent).toBe(1);
  });

  it('with another peer already connected, the queue is kept for it', async () => {
    const [a, b, c] = [new TestNode(24, [{ name: 'kv' }], SLOW), new TestNode(25, [{ name: 'kv' }], SLOW), new TestNode(26, [{ name: 'kv' }], SLOW)];
    nodes = [a!, b!, c!];
    await Promise.all(nodes.map((n) => n.engine.start()));
    a!.engine.setServers([c!.address]);
    await waitFor('a reaches c', () => a!.engine.readCounters().status.nodes_online === 1);
    for (let i = 0; i < 300; i++) a!.write(`k${i}`, 'v');
    a!.engine.setServers([c!.address, b!.address]);
    await waitFor('b has every record by snapshot', () => b!.dump().length === 300);
    expect(pending(a!)).toBe(300); // c has not had them yet
    a!.engine.roundNow();
    await waitFor('c has them from the queue', () => c!.dump().length === 300 && sameRecords(nodes));
    expect(recordsOut(a!)).toBe(300);
  });
});
