// The pieces of a node's view of the cluster's bucket (docs/LIMIT_REQ.md): u32 counters that
// wrap, a sum that went back, the cap, and a node's first request on a key.
import { describe, expect, it } from 'vitest';
import { freshCap, horizonMsFor, rebasedSeen, unseenAllowance, viewOnArrival, type ShareView } from '../../dist/zones/limit-req/cluster-view.js';
import { LimitReqZone, ZoneArgumentError, createNodeContext } from '../../dist/zones/index.js';
import { exchange } from './exchange.js';

const RATE = 100_000; // 100r/s in milli-requests per second
const NOW = 1_700_000_000_000;

/** A view holding `levelMilli` at `lastMs`, having counted `seenMilli` admissions and `refundSeenMilli` refunds. */
function share(levelMilli: number, lastMs: number, seenMilli: number, refundSeenMilli = 0): ShareView {
  return { levelMilli, lastMs, seenMilli, refundSeenMilli, freshMilli: 0, rebase: false };
}

describe('the view of one share', () => {
  it('takes in what the others admitted since it counted, across the wrap of the counters', () => {
    const view = share(1000, NOW, 0xfffffe0c); // seen 2^32 - 500
    // 1000 more admitted elsewhere: the sum wrapped to 500.
    expect(viewOnArrival(view, 500, 0, 1, NOW, RATE, horizonMsFor(50), 0)).toBe(1000 + 1000);
    expect(view).toMatchObject({ freshMilli: 1000, rebase: false });
  });

  it('drains what it took in at the rate, and as nginx rounds down', () => {
    const view = share(3000, NOW - 15, 10_000);
    // 3000 + 3000 fresh - 1500 drained in 15 ms.
    expect(viewOnArrival(view, 13_000, 0, 1, NOW, RATE, horizonMsFor(50), 0)).toBe(4500);
    expect(viewOnArrival(share(1000, NOW - 1, 0), 0, 0, 0, NOW, 16, horizonMsFor(50), 0)).toBe(1000); // 1r/m drains 0.016 in 1 ms: 0
  });

  it('takes out what the others gave back since it counted, down to empty, across the wrap', () => {
    const view = share(5000, NOW, 7000, 0xffffff00);
    // 2000 admitted and 0x300 (768) refunded elsewhere since: 5000 + 2000 - 768.
    expect(viewOnArrival(view, 9000, 0x200, 1, NOW, RATE, horizonMsFor(50), 0)).toBe(6232);
    expect(view).toMatchObject({ freshMilli: 1232, rebase: false });
    const emptied = share(1000, NOW, 7000, 0);
    expect(viewOnArrival(emptied, 7000, 4000, 1, NOW, RATE, horizonMsFor(50), 0)).toBe(0);
    expect(emptied).toMatchObject({ freshMilli: -4000, rebase: false });
  });

  it('a sum that went back (a share left the zone) adds nothing, and asks for a rebase', () => {
    const view = share(4000, NOW, 50_000);
    expect(viewOnArrival(view, 20_000, 0, 1, NOW, RATE, horizonMsFor(50), 0)).toBe(4000);
    expect(view).toMatchObject({ freshMilli: 0, rebase: true });
    const refundsBack = share(4000, NOW, 50_000, 9000);
    expect(viewOnArrival(refundsBack, 52_000, 3000, 1, NOW, RATE, horizonMsFor(50), 0)).toBe(6000);
    expect(refundsBack).toMatchObject({ freshMilli: 2000, rebase: true });
  });

  it('takes in at most what the others can have admitted since it counted: the rest is dropped', () => {
    const horizon = horizonMsFor(50);
    const cap = freshCap(2, RATE, 10, horizon, 5000);
    expect(cap).toBe(2 * (Math.floor((RATE * (10 + horizon)) / 1000) + 5000 + 1000));
    const view = share(1000, NOW - 10, 0);
    expect(viewOnArrival(view, cap + 123_456, 0, 2, NOW, RATE, horizon, 5000)).toBe(1000 + cap - 1000);
    expect(view).toMatchObject({ freshMilli: cap, rebase: true });
    // What it took in stays uncounted for the next request; the rest is forgotten.
    expect(rebasedSeen(view, cap + 123_456, 77)).toEqual({ seenMilli: 123_456, refundSeenMilli: 77 });
    // Admissions are capped net of refunds: heavy refunds do not push real admissions past the cap.
    const netted = share(0, NOW - 10, 0);
    expect(viewOnArrival(netted, cap + 50_000, 50_000, 2, NOW, RATE, horizon, 5000)).toBe(cap - 1000);
    expect(netted).toMatchObject({ freshMilli: cap, rebase: false });
  });

  it('after a rebase on refunds that outweigh admissions, the refunds not taken stay to be taken', () => {
    const view = share(0, NOW, 1000, 0);
    viewOnArrival(view, 2000, 0, 1, NOW, RATE, horizonMsFor(50), 0);
    view.freshMilli = -3000;
    expect(rebasedSeen(view, 2000, 5000)).toEqual({ seenMilli: 2000, refundSeenMilli: 2000 });
  });

  it('the horizon and the allowance follow zone_sync_interval', () => {
    expect(horizonMsFor(50)).toBe(1100);
    expect(horizonMsFor(1000)).toBe(3000);
    expect(unseenAllowance(RATE, 50)).toBe(5000);
    expect(unseenAllowance(16, 1000)).toBe(16);
  });
});

describe('a zone in a cluster', () => {
  function node(id: number, t: { now: number }, syncInterval: string | number = '10ms') {
    return LimitReqZone.create({ name: 'req', size: '1m', rate: '1r/s', sync: true, node: createNodeContext(id), now: () => t.now, syncInterval });
  }

  it('a node\'s first request on a key finds the bucket as the node that filled it left it', () => {
    const t = { now: NOW };
    const a = node(1, t);
    const b = node(2, t);
    for (let i = 0; i < 6; i++) expect(a.take('client', { burst: 5, nodelay: true }).allowed).toBe(true);
    expect(a.take('client', { burst: 5, nodelay: true }).allowed).toBe(false);
    exchange(a, [b]);
    expect(b.take('client', { burst: 5, nodelay: true })).toMatchObject({ allowed: false, excess: 6 });
    t.now += 6_000; // drained
    expect(b.take('client', { burst: 5, nodelay: true })).toMatchObject({ allowed: true, excess: 0 });
  });

  it('a node that refuses drops at once what it cannot take in: after a long partition it is back within a horizon', () => {
    const t = { now: NOW };
    const a = node(1, t);
    const b = node(2, t);
    a.take('k');
    b.take('k');
    exchange(a, [b]);
    exchange(b, [a]);
    t.now += 2_000; // both requests drained
    // Apart for 100 s, each admits one request per second.
    for (let s = 0; s < 100; s++) {
      t.now += 1000;
      expect(a.take('k').allowed).toBe(true);
      expect(b.take('k').allowed).toBe(true);
    }
    exchange(a, [b]); // healed: b hears of a's 100 requests
    let refused = 0;
    for (t.now += 1000; !b.take('k').allowed; t.now += 1000) refused++;
    // Refusing for one horizon (1.02 s), the second since b's last request and two requests at
    // 1r/s (the cap's one request, its own): 4 s, not the 100 s a's requests would take to drain.
    expect(refused).toBe(4);
  });

  it('refuses a bad zone_sync_interval with a clear error, and takes a new one for every thread', () => {
    const t = { now: NOW };
    expect(() => node(1, t, 0)).toThrow(ZoneArgumentError);
    expect(() => node(1, t, 'soon')).toThrow(/syncInterval "soon" is not a time/);
    const zone = node(1, t, '50ms');
    expect(zone.syncIntervalMs).toBe(50);
    const attached = LimitReqZone.attach(zone.handle);
    zone.setSyncInterval('2s');
    expect(attached.syncIntervalMs).toBe(2000);
    expect(LimitReqZone.create({ name: 'r', size: '1m', rate: '1r/s' }).syncIntervalMs).toBe(1000); // nginx's default
  });
});
