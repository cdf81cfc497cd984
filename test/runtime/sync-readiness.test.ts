// Readiness from the sync thread's peer status: a reached peer is waited for until its
// snapshot of every synced zone has arrived on its own link to this node; an unreachable
// one is not; the grace ends every wait.
import { describe, expect, it } from 'vitest';
import { ReadinessLatch, readinessGraceMs, syncReadiness, type SyncReadiness } from '../../dist/runtime/sync-readiness.js';
import type { PeerStatus } from '../../dist/sync/types.js';

function peer(p: Partial<PeerStatus> & Pick<PeerStatus, 'direction' | 'state'>): PeerStatus {
  return {
    address: '127.0.0.1:1', nodeId: -1, nodeName: '', connectedSinceMs: 0, rttMs: -1, lastMessageAgeMs: -1, bytesIn: 0, bytesOut: 0,
    lastError: null, snapshot: { state: 'none', zonesDone: 0, zonesTotal: 0, records: 0, zone: null }, recordsIn: 0,
    recordsRefused: { future: 0, invalid: 0, noRoom: 0, skipped: 0 }, clockOffsetMs: null, ...p,
  };
}
const reached = (nodeId: number, address = `10.0.0.${nodeId}:12345`) => peer({ direction: 'outbound', state: 'open', nodeId, address });
const inbound = (nodeId: number, state: PeerStatus['snapshot']['state'], zonesDone: number) =>
  peer({ direction: 'inbound', state: 'open', nodeId, snapshot: { state, zonesDone, zonesTotal: -1, records: 0, zone: null } });
const GRACE = 10_000;

describe('syncReadiness', () => {
  const cases: Array<{ name: string; peers: PeerStatus[]; zones: number; sinceStartMs?: number; ready: boolean; waiting?: string[] }> = [
    { name: 'no peer at all', peers: [], zones: 3, ready: true },
    { name: 'only itself among the servers', peers: [peer({ direction: 'outbound', state: 'self' })], zones: 3, ready: true },
    { name: 'a reached peer whose link here is not up yet', peers: [reached(7)], zones: 2, ready: false, waiting: ['the snapshot of 10.0.0.7:12345'] },
    { name: 'a reached peer sending its snapshot', peers: [reached(7), inbound(7, 'receiving', 1)], zones: 2, ready: false },
    { name: 'between two zones of its snapshot', peers: [reached(7), inbound(7, 'done', 1)], zones: 2, ready: false },
    { name: 'its snapshot ended for every zone', peers: [reached(7), inbound(7, 'done', 2)], zones: 2, ready: true },
    { name: 'a snapshot from another node than the reached one', peers: [reached(7), inbound(8, 'done', 2)], zones: 2, ready: false },
    { name: 'an unreachable peer', peers: [peer({ direction: 'outbound', state: 'idle', lastError: 'connect ECONNREFUSED' })], zones: 2, ready: true },
    { name: 'a peer not tried yet', peers: [peer({ direction: 'outbound', state: 'connecting', address: 'b:1' })], zones: 2, ready: false, waiting: ['the first connection to b:1'] },
    { name: 'one peer done, one still sending', peers: [reached(1), inbound(1, 'done', 1), reached(2), inbound(2, 'receiving', 0)], zones: 1, ready: false, waiting: ['the snapshot of 10.0.0.2:12345'] },
    { name: 'two peers done, one unreachable', peers: [reached(1), inbound(1, 'done', 1), reached(2), inbound(2, 'done', 1), peer({ direction: 'outbound', state: 'idle', lastError: 'x' })], zones: 1, ready: true },
    { name: 'still waiting, past the grace', peers: [reached(7)], zones: 2, sinceStartMs: GRACE, ready: true },
    { name: 'still waiting, just before the grace', peers: [reached(7)], zones: 2, sinceStartMs: GRACE - 1, ready: false },
  ];
  it.each(cases)('$name', ({ peers, zones, sinceStartMs, ready, waiting }) => {
    const answer = syncReadiness(peers, zones, sinceStartMs ?? 0, GRACE);
    expect(answer.ready).toBe(ready);
    if (waiting !== undefined && !answer.ready) expect(answer.waitingFor).toEqual(waiting);
  });

  it('the grace is one connect attempt, two redials and one zone_sync_timeout', () => {
    expect(readinessGraceMs({ connectTimeoutMs: 5_000, connectRetryIntervalMs: 1_000, timeoutMs: 5_000 })).toBe(12_000);
  });
});

describe('ReadinessLatch', () => {
  it('once ready, stays ready without asking again', async () => {
    const answers: SyncReadiness[] = [{ ready: false, waitingFor: ['x'] }, { ready: true }, { ready: false, waitingFor: ['y'] }];
    let asked = 0;
    const latch = new ReadinessLatch(async () => answers[asked++]!);
    expect((await latch.current()).ready).toBe(false);
    expect((await latch.current()).ready).toBe(true);
    expect((await latch.current()).ready).toBe(true);
    expect(asked).toBe(2);
  });
});
