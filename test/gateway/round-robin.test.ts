import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { RoundRobin, type Peer } from '../../dist/gateway/round-robin.js';
import type { UpstreamServerConfig } from '../../dist/config/types.js';

function server(text: string, options: Partial<UpstreamServerConfig> = {}): UpstreamServerConfig {
  const [host, port] = text.split(':');
  return {
    address: { kind: 'tcp', host: host!, port: Number(port ?? 80) }, text,
    weight: 1, maxConns: 0, maxFails: 1, failTimeoutMs: 10_000, backup: false, down: false, resolve: false, route: null, ...options,
  };
}

/** Chooses one server per request and releases it with `outcome`, `n` times; the names chosen. */
function sequence(rr: RoundRobin, n: number, outcome: 'success' | 'failure' = 'success'): string[] {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const choice = rr.newChoice();
    const peer = rr.select(choice);
    names.push(peer?.name ?? 'none');
    if (peer !== null) rr.release(peer, choice, outcome);
  }
  return names;
}

describe('nginx\'s weighted round robin', () => {
  it('weights 5, 1, 1 give nginx\'s smooth order a a b a c a a', () => {
    const rr = new RoundRobin('u', [server('a:1', { weight: 5 }), server('b:1'), server('c:1')]);
    expect(sequence(rr, 7)).toEqual(['a:1', 'a:1', 'b:1', 'a:1', 'c:1', 'a:1', 'a:1']);
  });

  it('any weights: each server gets its share of every full round, and no server waits more than a round (property)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 4 }), (weights, rounds) => {
      const servers = weights.map((w, i) => server(`s${i}:1`, { weight: w }));
      const rr = new RoundRobin('u', servers);
      const total = weights.reduce((a, b) => a + b, 0);
      const names = sequence(rr, total * rounds);
      servers.forEach((s, i) => expect(names.filter((n) => n === s.text).length).toBe(weights[i]! * rounds));
    }));
  });

  it('down servers are never chosen; all down: none', () => {
    const rr = new RoundRobin('u', [server('a:1', { down: true }), server('b:1')]);
    expect(new Set(sequence(rr, 6))).toEqual(new Set(['b:1']));
    const dead = new RoundRobin('u', [server('a:1', { down: true }), server('b:1', { down: true })]);
    expect(sequence(dead, 2)).toEqual(['none', 'none']);
  });

  it('backup servers are chosen only when no primary one can be', () => {
    let now = 1_000_000;
    const rr = new RoundRobin('u', [server('a:1'), server('b:1'), server('z:1', { backup: true })], null, () => now);
    expect(new Set(sequence(rr, 4))).toEqual(new Set(['a:1', 'b:1']));
    sequence(rr, 2, 'failure'); // a and b each fail once: max_fails=1
    expect(sequence(rr, 3)).toEqual(['z:1', 'z:1', 'z:1']);
    now += 10_001; // fail_timeout passed: the primaries are tried again (their weights climb back from 0)
    expect(new Set(sequence(rr, 4))).toEqual(new Set(['a:1', 'b:1']));
  });

  it('max_fails failures within fail_timeout take a server out for fail_timeout; a success after clears its failures', () => {
    let now = 1_000_000;
    const rr = new RoundRobin('u', [server('a:1', { maxFails: 2, failTimeoutMs: 5000 }), server('b:1', { maxFails: 2, failTimeoutMs: 5000 })], null, () => now);
    const a = rr.peerNamed('a:1')!;
    const failA = (): void => {
      const choice = rr.newChoice();
      choice.tried[0].add(1); // b is "tried": a is chosen
      const peer = rr.select(choice)!;
      expect(peer.name).toBe('a:1');
      rr.release(peer, choice, 'failure');
    };
    failA();
    expect(rr.unavailable(a)).toBe(false);
    failA();
    expect(rr.unavailable(a)).toBe(true);
    expect(new Set(sequence(rr, 4))).toEqual(new Set(['b:1']));
    now += 5001;
    expect(rr.unavailable(a)).toBe(false);
    expect(sequence(rr, 6)).toContain('a:1'); // tried again, and its success clears the count
    failA();
    expect(rr.unavailable(a)).toBe(false);
  });

  it('max_fails=0 never takes a server out', () => {
    const rr = new RoundRobin('u', [server('a:1', { maxFails: 0 }), server('b:1', { maxFails: 0 })]);
    sequence(rr, 10, 'failure');
    expect(new Set(sequence(rr, 4))).toEqual(new Set(['a:1', 'b:1']));
  });

  it('max_conns: a server with that many requests in flight is passed over', () => {
    const rr = new RoundRobin('u', [server('a:1', { maxConns: 1 }), server('b:1')]);
    const held: Array<{ peer: Peer; choice: ReturnType<RoundRobin['newChoice']> }> = [];
    for (let i = 0; i < 4; i++) {
      const choice = rr.newChoice();
      held.push({ peer: rr.select(choice)!, choice });
    }
    expect(held.filter((h) => h.peer.name === 'a:1')).toHaveLength(1);
    for (const h of held) rr.release(h.peer, h.choice, 'success');
  });

  it('one request tries each server once, then none is left', () => {
    const rr = new RoundRobin('u', [server('a:1'), server('b:1'), server('c:1', { backup: true })]);
    const choice = rr.newChoice();
    expect(choice.tries).toBe(3);
    const names: string[] = [];
    for (let peer = rr.select(choice); peer !== null; peer = rr.select(choice)) {
      names.push(peer.name);
      rr.release(peer, choice, 'failure');
    }
    expect(names.sort()).toEqual(['a:1', 'b:1', 'c:1']);
    expect(choice.tries).toBe(0);
  });

  it('a single server is never accounted nor retried (nginx\'s peers->single)', () => {
    const rr = new RoundRobin('u', [server('a:1')]);
    sequence(rr, 5, 'failure');
    const choice = rr.newChoice();
    const peer = rr.select(choice)!;
    expect(peer.name).toBe('a:1');
    rr.release(peer, choice, 'failure');
    expect(choice.tries).toBe(0);
  });

  it('a hint (a sticky session\'s server) is chosen when it can be, else the balancer chooses', () => {
    let now = 1_000_000;
    const rr = new RoundRobin('u', [server('a:1'), server('b:1'), server('c:1')], null, () => now);
    for (let i = 0; i < 5; i++) {
      const choice = rr.newChoice();
      const peer = rr.select(choice, 'c:1')!;
      expect(peer.name).toBe('c:1');
      rr.release(peer, choice, 'success');
    }
    const failing = rr.newChoice();
    rr.release(rr.select(failing, 'c:1')!, failing, 'failure');
    const choice = rr.newChoice();
    expect(rr.select(choice, 'c:1')!.name).not.toBe('c:1');
    expect(rr.select(rr.newChoice(), 'nowhere:1')).not.toBeNull();
  });
});

describe('an upstream with zone shares its state between threads', () => {
  it('a failure counted in one thread takes the server out in another', async () => {
    const servers = [server('a:1'), server('b:1')];
    const shared = RoundRobin.createSharedStates(servers);
    const worker = new Worker(`
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.module).then(({ RoundRobin }) => {
        const rr = new RoundRobin('u', workerData.servers, workerData.shared);
        const choice = rr.newChoice();
        choice.tried[0].add(1);
        const peer = rr.select(choice);
        rr.release(peer, choice, 'failure');
        parentPort.postMessage(peer.name);
      });`, { eval: true, workerData: { module: new URL('../../dist/gateway/round-robin.js', import.meta.url).href, servers, shared } });
    const failed = await new Promise<string>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    await worker.terminate();
    expect(failed).toBe('a:1');
    const here = new RoundRobin('u', servers, shared);
    expect(here.unavailable(here.peerNamed('a:1')!)).toBe(true);
    expect(new Set(sequence(here, 4))).toEqual(new Set(['b:1']));
    const local = new RoundRobin('u', servers);
    expect(local.unavailable(local.peerNamed('a:1')!)).toBe(false);
  });
});
