// DNS discovery against a real DNS server on loopback (test/util/dns-server.ts) whose answers
// the tests change: `resolve` lines follow the answers (valid=, TTL), names without it are
// resolved once, errors keep the last addresses; nodes on 127.0.0.1-3 sharing one port join
// and leave a running cluster with no restart and converge.
import { afterEach, describe, expect, it } from 'vitest';
import { getServers } from 'node:dns';
import { parseConfigText } from '../../dist/config/index.js';
import { syncOptionsOf } from '../../dist/runtime/sync-options.js';
import { Discovery, realTimers, resolverFor, type DialTarget, type DnsClient, type ResolverOptions, type ServerSpec } from '../../dist/sync/index.js';
import { TestDnsServer } from '../util/dns-server.js';
import { sharedPort } from '../util/ports.js';
import { TestNode, memoryLogger, sameRecords, stopAll, waitFor, type LogLine } from './helpers.js';

const KV = [{ name: 'kv' }];
let dns: TestDnsServer | null = null;
let discoveries: Discovery[] = [];
let nodes: TestNode[] = [];

afterEach(async () => {
  for (const d of discoveries) d.stop();
  discoveries = [];
  await stopAll(nodes);
  nodes = [];
  await dns?.close();
  dns = null;
});

function resolverOf(server: TestDnsServer, validMs: number | null = 100): ResolverOptions {
  return { servers: [server.address], validMs, ipv4: true, ipv6: true, timeoutMs: 600 };
}

/** A Discovery whose applied lists are recorded. */
function recording(resolver: ResolverOptions | null, logs: LogLine[] = []): { discovery: Discovery; applied: DialTarget[][] } {
  const applied: DialTarget[][] = [];
  const discovery = new Discovery({ resolver, timers: realTimers, log: memoryLogger(logs), apply: (targets) => applied.push(targets) });
  discoveries.push(discovery);
  return { discovery, applied };
}

const addresses = (targets: readonly DialTarget[]): string[] => targets.map((t) => t.address);

describe('Discovery', () => {
  it('a resolve line follows the answers every valid=: A and AAAA records, each a node, named by its address', async () => {
    dns = await TestDnsServer.start();
    dns.set('cluster.test', ['127.0.0.2', '127.0.0.1'], ['::1']);
    const { discovery } = recording(resolverOf(dns));
    discovery.setServers(['10.9.9.9:7000', { address: 'cluster.test:7000', resolve: true }]);
    // The literal applies at once; the name after its answer.
    expect(addresses(discovery.targets)).toEqual(['10.9.9.9:7000']);
    await waitFor('the name resolved', () => discovery.targets.length === 4);
    expect(discovery.targets).toEqual([
      { address: '10.9.9.9:7000', name: null },
      { address: '127.0.0.1:7000', name: null }, { address: '127.0.0.2:7000', name: null }, { address: '[::1]:7000', name: null },
    ]);
    dns.set('cluster.test', ['127.0.0.3']);
    await waitFor('the new answer applied', () => addresses(discovery.targets).join() === '10.9.9.9:7000,127.0.0.3:7000');
    dns.remove('cluster.test'); // NXDOMAIN: no nodes
    await waitFor('NXDOMAIN applied', () => addresses(discovery.targets).join() === '10.9.9.9:7000');
  });

  it('without valid=, the records TTL sets the next resolution (1 s at least)', async () => {
    dns = await TestDnsServer.start();
    dns.set('ttl.test', ['127.0.0.5'], [], 1);
    const { discovery } = recording(resolverOf(dns, null));
    discovery.setServers([{ address: 'ttl.test:7000', resolve: true }]);
    await waitFor('resolved', () => discovery.targets.length === 1);
    const first = dns.queryCount('ttl.test', 'A');
    expect(first).toBe(1);
    dns.set('ttl.test', ['127.0.0.6'], [], 1);
    await waitFor('re-resolved after the TTL', () => addresses(discovery.targets).join() === '127.0.0.6:7000', 5_000);
    expect(dns.queryCount('ttl.test', 'A')).toBeGreaterThan(first);
  });

  it('a resolver error keeps the last addresses and is logged once; resolution resumes when DNS answers again', async () => {
    dns = await TestDnsServer.start();
    dns.set('keep.test', ['127.0.0.7']);
    const logs: LogLine[] = [];
    const { discovery, applied } = recording(resolverOf(dns), logs);
    discovery.setServers([{ address: 'keep.test:7000', resolve: true }]);
    await waitFor('resolved', () => discovery.targets.length === 1);
    const port = dns.port;
    await dns.close();
    dns = null;
    await waitFor('the failure logged', () => logs.some((l) => l.level === 'error' && l.message.includes('could not be resolved')), 10_000, () => logs);
    expect(addresses(discovery.targets)).toEqual(['127.0.0.7:7000']);
    expect(applied).toHaveLength(1);
    const errorsBefore = logs.filter((l) => l.level === 'error').length;
    expect(errorsBefore).toBe(1);
    // The same server back on the same port, with a new answer.
    dns = await TestDnsServer.startOn(port);
    dns.set('keep.test', ['127.0.0.8']);
    await waitFor('resumed', () => addresses(discovery.targets).join() === '127.0.0.8:7000', 10_000);
  });

  it('a name without resolve is looked up once through the system resolver, each address a node named by the host', async () => {
    const { discovery } = recording(null);
    discovery.setServers(['localhost:7000']);
    await waitFor('looked up', () => discovery.targets.length > 0);
    expect(discovery.targets.map((t) => t.name)).toEqual(discovery.targets.map(() => 'localhost'));
    expect(addresses(discovery.targets)).toContain('127.0.0.1:7000');
  });

  it('a resolver given by name is refused: node:dns needs the IP address of a name server', () => {
    expect(() => recording({ servers: ['dns.example.com:53'], validMs: null, ipv4: true, ipv6: true, timeoutMs: 1000 }))
      .toThrow(/resolver "dns.example.com:53": zonesync needs the IP address of a name server/);
  });

  it('with no resolver directive, resolve lines ask the system\'s name servers (/etc/resolv.conf), with resolver_timeout', () => {
    const sync = (text: string) => syncOptionsOf(parseConfigText(`stream { ${text} server { listen 1; zone_sync; zone_sync_server cluster.example.com:12345 resolve; } }`, '/x/zonesync.conf').stream!.sync!);
    const system = sync('resolver_timeout 3s;').resolver!;
    expect(system).toEqual({ servers: [], validMs: null, ipv4: true, ipv6: true, timeoutMs: 3000 });
    expect(resolverFor(system).getServers()).toEqual(getServers());
    const configured = sync('resolver 127.0.0.53:5353 valid=10s ipv6=off;').resolver!;
    expect(configured).toEqual({ servers: ['127.0.0.53:5353'], validMs: 10_000, ipv4: true, ipv6: false, timeoutMs: 30_000 });
    expect(resolverFor(configured).getServers()).toEqual(['127.0.0.53:5353']);
  });

  it('a resolve line on the system\'s name servers is re-resolved as with a resolver directive', async () => {
    const asked: string[] = [];
    const fake: DnsClient = {
      lookup: async (host) => { asked.push(`lookup ${host}`); return ['127.0.0.1']; },
      resolve: async (host, family) => { asked.push(`resolve ${host} ${family}`); return family === 4 ? [{ address: '127.0.0.9', ttl: 0 }] : []; },
    };
    const discovery = new Discovery({
      resolver: { servers: [], validMs: 50, ipv4: true, ipv6: false, timeoutMs: 1000 }, timers: realTimers, log: memoryLogger([]), apply: () => {}, dns: fake,
    });
    discoveries.push(discovery);
    discovery.setServers([{ address: 'cluster.example.com:7000', resolve: true }]);
    await waitFor('resolved three times', () => asked.length >= 3);
    expect(new Set(asked)).toEqual(new Set(['resolve cluster.example.com 4']));
    expect(addresses(discovery.targets)).toEqual(['127.0.0.9:7000']);
  });

  it('HUP: lines removed are forgotten, lines kept keep their addresses, unix paths pass as written', async () => {
    dns = await TestDnsServer.start();
    dns.set('a.test', ['127.0.1.1']);
    dns.set('b.test', ['127.0.2.1']);
    const { discovery } = recording(resolverOf(dns, 60_000));
    const a: ServerSpec = { address: 'a.test:7000', resolve: true };
    discovery.setServers([a, { address: 'b.test:7000', resolve: true }]);
    await waitFor('both resolved', () => discovery.targets.length === 2);
    dns.set('a.test', ['127.0.1.2']); // not seen before valid= (60 s) is over
    discovery.setServers([a, 'unix:/run/zs.sock']);
    expect(addresses(discovery.targets)).toEqual(['127.0.1.1:7000', 'unix:/run/zs.sock']);
    expect(dns.queryCount('a.test', 'A')).toBe(1);
  });
});

describe('a cluster found by DNS', () => {
  it('nodes join and leave a running cluster as the DNS answer changes, with no restart, and converge', async () => {
    dns = await TestDnsServer.start();
    const hosts = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
    const port = await sharedPort(hosts);
    dns.set('cluster.test', hosts.slice(0, 2));
    const resolver = resolverOf(dns);
    const started = async (i: number): Promise<TestNode> => {
      const n = new TestNode(201 + i, KV, { listen: `${hosts[i]}:${port}` });
      nodes.push(n);
      await n.engine.start();
      const discovery = new Discovery({ resolver, timers: realTimers, log: memoryLogger(n.logs), apply: (targets) => n.engine.setServers(targets) });
      discoveries.push(discovery);
      discovery.setServers([{ address: `cluster.test:${port}`, resolve: true }]);
      return n;
    };
    const online = (n: TestNode) => n.engine.readCounters().status.nodes_online;
    const outboundTo = (n: TestNode, i: number) => n.engine.peers().find((p) => p.direction === 'outbound' && p.address === `${hosts[i]}:${port}`);

    const [n1, n2] = [await started(0), await started(1)];
    await waitFor('1 and 2 meet', () => online(n1) === 1 && online(n2) === 1, 10_000, () => [n1.engine.peers(), n2.engine.peers()]);
    for (const n of [n1, n2]) expect(n.engine.readCounters().extra.self_detected).toBe(1); // each found itself in the answer
    n1.write('k1', 'from-1');
    n2.write('k2', 'from-2');
    await waitFor('1 and 2 agree', () => n1.dump().length === 2 && sameRecords([n1, n2]));

    // Join: node 3 starts (it finds 1 and 2), then DNS lists it and 1 and 2 dial it.
    const n3 = await started(2);
    n3.write('k3', 'from-3');
    expect(outboundTo(n1, 2)).toBeUndefined();
    dns.set('cluster.test', hosts);
    await waitFor('everyone online with both others', () => [n1, n2, n3].every((n) => online(n) === 2), 10_000, () => nodes.map((n) => n.engine.peers()));
    await waitFor('3 nodes agree', () => n1.dump().length === 3 && sameRecords([n1, n2, n3]), 10_000, () => nodes.map((n) => n.dump().length));
    expect(n3.get('k1')).toBe('from-1'); // by snapshot from 1

    // Leave: DNS drops node 2; 1 and 3 close their connections to it and forget it.
    dns.set('cluster.test', [hosts[0]!, hosts[2]!]);
    await waitFor('1 and 3 forgot 2', () => outboundTo(n1, 1) === undefined && outboundTo(n3, 1) === undefined, 10_000, () => [n1.engine.peers(), n3.engine.peers()]);
    expect(n1.logs.some((l) => l.message === 'zone_sync server removed' && l.fields.peer === `${hosts[1]}:${port}`)).toBe(true);
    await waitFor('2 no longer receives from 1 and 3', () => n2.engine.readCounters().extra.inbound_online === 0);
    await n2.engine.stop();
    n1.write('after', 'leave');
    await waitFor('1 and 3 go on', () => n3.get('after') === 'leave');
    expect(online(n1)).toBe(1);
    expect(online(n3)).toBe(1);
    expect(sameRecords([n1, n3])).toBe(true);
  });
});
