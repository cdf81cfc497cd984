// The admin guide's steps 3-6 end to end, from configuration files, in real node processes:
// `listen … ssl` with ssl_certificate(_key), zone_sync_ssl with verification, client
// certificates with ssl_verify_client, cluster members from DNS (`resolver` and
// `zone_sync_server NAME:PORT resolve`, a DNS server on loopback), allow / deny, and a HUP
// that turns static lines into a resolve line.
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestCerts, type TestCerts } from '../util/certs.js';
import { TestDnsServer } from '../util/dns-server.js';
import { sharedPort } from '../util/ports.js';
import { NodeProcess, api, freePorts, tempDir, waitFor, writeConfig } from './cluster-helpers.js';

const running: NodeProcess[] = [];
const cleanups: Array<() => void | Promise<void>> = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  for (const c of cleanups.splice(0)) await c();
});

interface SecureNode { host: string; http: number; cert: string; key: string }

/** A plain-TCP node with a resolver; `servers` are its zone_sync_server lines. */
function plainConfig(host: string, http: number, syncPort: number, dnsAddress: string, servers: string[]): string {
  return `worker_processes 1;
http {
    keyval_zone zone=one:1m timeout=1h sync;
    server {
        listen 127.0.0.1:${http};
        location /api { api write=on; }
    }
}
stream {
    resolver ${dnsAddress} valid=200ms;
    server {
        listen ${host}:${syncPort};
        zone_sync;
        zone_sync_interval 50ms;
        zone_sync_connect_retry_interval 200ms;
${servers.map((line) => `        zone_sync_server ${line};`).join('\n')}
    }
}
`;
}

function secureConfig(self: SecureNode, syncPort: number, certs: TestCerts, dnsAddress: string, extraStream = ''): string {
  return `worker_processes 1;
http {
    keyval_zone zone=one:1m timeout=1h sync;
    server {
        listen 127.0.0.1:${self.http};
        location /api { api write=on; }
    }
}
stream {
    resolver ${dnsAddress} valid=200ms ipv6=off;
    server {
        listen ${self.host}:${syncPort} ssl;
        ssl_certificate         ${self.cert};
        ssl_certificate_key     ${self.key};
        ssl_verify_client       on;
        ssl_trusted_certificate ${certs.ca.cert};

        zone_sync;
        zone_sync_interval 50ms;
        zone_sync_connect_retry_interval 200ms;
        zone_sync_server cluster.test:${syncPort} resolve;

        zone_sync_ssl                     on;
        zone_sync_ssl_verify              on;
        zone_sync_ssl_trusted_certificate ${certs.ca.cert};
        zone_sync_ssl_certificate         ${self.cert};
        zone_sync_ssl_certificate_key     ${self.key};
        ${extraStream}
    }
}
`;
}

async function zoneSync(port: number): Promise<{ nodes_online: number }> {
  return (await api(port, '/api/9/stream/zone_sync')).body.status;
}

describe('a secure cluster found by DNS, from configuration files', () => {
  it('mutual TLS with verification; a node joins when DNS lists it, with no restart; keys replicate both ways', async () => {
    const certs = makeTestCerts();
    cleanups.push(() => certs.cleanup());
    const dns = await TestDnsServer.start();
    cleanups.push(() => dns.close());
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const hosts = ['127.0.0.1', '127.0.0.2'];
    const syncPort = await sharedPort(hosts);
    const [http1, http2] = await freePorts(2);
    const nodes: SecureNode[] = [
      { host: hosts[0]!, http: http1!, cert: certs.good.cert, key: certs.good.key },
      { host: hosts[1]!, http: http2!, cert: certs.other.cert, key: certs.other.key },
    ];
    dns.set('cluster.test', [hosts[0]!]);
    const procs = nodes.map((n, i) => new NodeProcess(writeConfig(dir, `node${i}.conf`, secureConfig(n, syncPort, certs, dns.address))));
    running.push(...procs);
    await Promise.all(procs.map((p) => p.ready()));
    // Node 2 finds node 1 in DNS and dials it; node 1 knows only itself.
    await waitFor(async () => (await zoneSync(nodes[1]!.http)).nodes_online === 1, 20_000, () => `node 2 never reached node 1:\n${procs[1]!.output}`);
    expect((await zoneSync(nodes[0]!.http)).nodes_online).toBe(0);
    // DNS lists node 2: node 1 dials it, over TLS, with no restart.
    dns.set('cluster.test', hosts);
    await waitFor(async () => (await zoneSync(nodes[0]!.http)).nodes_online === 1, 20_000, () => `node 1 never dialled node 2:\n${procs[0]!.output}`);
    expect((await api(nodes[0]!.http, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify({ a: 'from-1' }) })).status).toBe(201);
    expect((await api(nodes[1]!.http, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify({ b: 'from-2' }) })).status).toBe(201);
    for (const n of nodes) {
      await waitFor(async () => {
        const body = (await api(n.http, '/api/9/http/keyvals/one')).body;
        return body.a === 'from-1' && body.b === 'from-2';
      }, 10_000, () => `keys did not replicate to ${n.host}`);
    }
    expect(procs[0]!.output).not.toMatch(/refused/);
  });

  it('a node whose certificate has expired is refused with its reason in the log; a denied address cannot sync', async () => {
    const certs = makeTestCerts();
    cleanups.push(() => certs.cleanup());
    const dns = await TestDnsServer.start();
    cleanups.push(() => dns.close());
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const hosts = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
    const syncPort = await sharedPort(hosts);
    const http = await freePorts(3);
    const good: SecureNode = { host: hosts[0]!, http: http[0]!, cert: certs.good.cert, key: certs.good.key };
    const expired: SecureNode = { host: hosts[1]!, http: http[1]!, cert: certs.expired.cert, key: certs.expired.key };
    const guarded: SecureNode = { host: hosts[2]!, http: http[2]!, cert: certs.other.cert, key: certs.other.key };
    dns.set('cluster.test', hosts);
    // Every dial on loopback comes from 127.0.0.1 (the route's source address): the guarded
    // node's rule keeps every other node from pushing to it, while it may push to them.
    const extra = ['', '', 'deny 127.0.0.1; allow all;'];
    const procs = [good, expired, guarded].map((n, i) => new NodeProcess(writeConfig(dir, `node${i}.conf`, secureConfig(n, syncPort, certs, dns.address, extra[i]))));
    running.push(...procs);
    await Promise.all(procs.map((p) => p.ready()));
    // Both ways: node 1 refuses node 2's server certificate, and its client certificate.
    const outbound = `zone_sync TLS connection to 127.0.0.2:${syncPort} refused: expired`;
    await waitFor(() => procs[0]!.output.includes(outbound), 20_000, () => `no refusal logged:\n${procs[0]!.output}`);
    await waitFor(() => /zone_sync TLS connection from 127\.0\.0\.1:\d+ refused: expired/.test(procs[0]!.output), 20_000, () => procs[0]!.output);
    await waitFor(() => /denied by an access rule/.test(procs[2]!.output), 20_000, () => `no denial logged:\n${procs[2]!.output}`);
    // The guarded node reaches the good one (its certificate is good, the good node has no rules).
    await waitFor(async () => (await zoneSync(guarded.http)).nodes_online === 1, 20_000, () => procs[2]!.output);
    const body = (await api(good.http, '/api/9/stream/zone_sync')).body;
    expect(body.status.nodes_online).toBe(0); // .2 refused for its certificate, .3 closed on us by its rule
    // The reason is in the per-peer status of the API too.
    const peer = body.peers.find((p: { address: string; direction: string }) => p.address === `127.0.0.2:${syncPort}` && p.direction === 'outbound');
    expect(peer.lastError).toMatch(/^TLS: expired: certificate verify failed \(CERT_HAS_EXPIRED\)/);
  });

  it('HUP turns static zone_sync_server lines into a resolve line: the node then follows DNS', async () => {
    const dns = await TestDnsServer.start();
    cleanups.push(() => dns.close());
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const hosts = ['127.0.0.1', '127.0.0.2'];
    const syncPort = await sharedPort(hosts);
    const [http1, http2] = await freePorts(2);
    dns.set('cluster.test', hosts);
    // Node 1 starts knowing only itself; node 2 follows DNS and pushes to node 1.
    const config1 = writeConfig(dir, 'node1.conf', plainConfig(hosts[0]!, http1!, syncPort, dns.address, [`${hosts[0]}:${syncPort}`]));
    const config2 = writeConfig(dir, 'node2.conf', plainConfig(hosts[1]!, http2!, syncPort, dns.address, [`cluster.test:${syncPort} resolve`]));
    const procs = [new NodeProcess(config1), new NodeProcess(config2)];
    running.push(...procs);
    await Promise.all(procs.map((p) => p.ready()));
    await waitFor(async () => (await zoneSync(http2!)).nodes_online === 1, 20_000, () => procs[1]!.output);
    expect((await zoneSync(http1!)).nodes_online).toBe(0);
    writeConfig(dir, 'node1.conf', plainConfig(hosts[0]!, http1!, syncPort, dns.address, [`cluster.test:${syncPort} resolve`]));
    procs[0]!.signal('SIGHUP');
    await waitFor(async () => (await zoneSync(http1!)).nodes_online === 1, 20_000, () => `node 1 did not follow DNS after HUP:\n${procs[0]!.output}`);
    expect((await api(http1!, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify({ hup: 'dns' }) })).status).toBe(201);
    await waitFor(async () => (await api(http2!, '/api/9/http/keyvals/one')).body.hup === 'dns', 10_000, () => 'key did not replicate after HUP');
  });
});
