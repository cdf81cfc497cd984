// TLS on sync connections with certificates made at run time (test/util/certs.ts): every
// verification failure refused with its reason, in the log and the peer's status; verify
// off accepts anything; verify depth as OpenSSL counts it; mutual TLS; SNI; passphrases;
// records replicate over TLS as over TCP.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect as connectTls, createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Discovery, listenTls, outgoingTls, realTimers, startSyncThread, type ListenTlsOptions, type OutgoingTlsOptions,
} from '../../dist/sync/index.js';
import { makeTestCerts, type CertFiles, type TestCerts } from '../util/certs.js';
import { TestNode, memoryLogger, sameRecords, startMesh, stopAll, waitFor } from './helpers.js';

const KV = [{ name: 'kv' }];
let certs: TestCerts;
let nodes: TestNode[] = [];
let rawServers: TlsServer[] = [];

beforeAll(() => {
  certs = makeTestCerts();
});

afterAll(() => certs.cleanup());

afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
  await Promise.all(rawServers.map((s) => new Promise((r) => s.close(r))));
  rawServers = [];
});

function node(id: number, options: ConstructorParameters<typeof TestNode>[2] = {}): TestNode {
  const n = new TestNode(id, KV, options);
  nodes.push(n);
  return n;
}

/** The listener's TLS with `files` as its certificate. */
function serving(files: CertFiles, settings: Partial<ListenTlsOptions> = {}): ListenTlsOptions {
  return listenTls({ certificates: [files.cert], certificateKeys: [files.key], ...settings });
}

/** Verifying against the test root CA. */
function verifying(settings: Partial<OutgoingTlsOptions> = {}): OutgoingTlsOptions {
  return outgoingTls({ verify: true, trustedCertificate: certs.ca.cert, ...settings });
}

/** B listens with `listener`, A dials it with `dialer`; A does not listen. */
async function dial(listener: ListenTlsOptions, dialer: OutgoingTlsOptions): Promise<{ a: TestNode; b: TestNode }> {
  const b = node(2, { listenTls: listener });
  const a = node(1, { tls: dialer, listen: null });
  await b.engine.start();
  await a.engine.start();
  a.engine.setServers([b.address]);
  return { a, b };
}

async function expectAccepted(a: TestNode, b: TestNode): Promise<void> {
  await waitFor('A online with B', () => a.engine.readCounters().status.nodes_online === 1, 10_000, () => a.engine.peers());
  a.write('over-tls', 'yes');
  await waitFor('the record reached B', () => b.get('over-tls') === 'yes');
  expect(a.engine.peers()[0]!.lastError).toBeNull();
  expect(a.engine.readCounters().extra.tls_failures).toBe(0);
}

/** A refused B's certificate: the reason in A's peer status and in one error line naming B. */
async function expectDialerRefused(a: TestNode, b: TestNode, reason: string, code: RegExp): Promise<void> {
  await waitFor(`A refused B: ${reason}`, () => a.engine.peers()[0]?.lastError?.startsWith(`TLS: ${reason}`) === true, 10_000, () => a.engine.peers());
  const status = a.engine.peers()[0]!;
  expect(status.address).toBe(b.address);
  expect(status.lastError).toMatch(code);
  const line = a.logs.find((l) => l.level === 'error' && l.fields.reason === reason);
  expect(line?.fields.peer).toBe(b.address);
  expect(line?.message).toContain(`refused: ${reason}`);
  expect(a.engine.readCounters().status.nodes_online).toBe(0);
  expect(a.engine.readCounters().extra.tls_failures).toBeGreaterThanOrEqual(1);
  expect(b.engine.readCounters().extra.inbound_online).toBe(0);
}

describe('zone_sync_ssl_verify on: the listener certificate', () => {
  it('a certificate signed by the trusted CA with the dialled address in it is accepted', async () => {
    const { a, b } = await dial(serving(certs.good), verifying());
    await expectAccepted(a, b);
  });

  it('an expired certificate is refused: expired', async () => {
    const { a, b } = await dial(serving(certs.expired), verifying());
    await expectDialerRefused(a, b, 'expired', /CERT_HAS_EXPIRED/);
  });

  it('a certificate for another name is refused: name mismatch; zone_sync_ssl_name set to that name accepts it', async () => {
    const { a, b } = await dial(serving(certs.wrongName), verifying());
    await expectDialerRefused(a, b, 'name mismatch', /ERR_TLS_CERT_ALTNAME_INVALID/);
    await stopAll(nodes);
    nodes = [];
    const named = await dial(serving(certs.wrongName), verifying({ name: 'wrong.example.com' }));
    await expectAccepted(named.a, named.b);
  });

  it('a certificate of an unknown CA is refused: unknown CA', async () => {
    const { a, b } = await dial(serving(certs.untrusted), verifying());
    await expectDialerRefused(a, b, 'unknown CA', /UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  it('a revoked certificate is refused with zone_sync_ssl_crl: revoked; a good one passes the same CRL', async () => {
    const { a, b } = await dial(serving(certs.revoked), verifying({ crl: certs.caCrl }));
    await expectDialerRefused(a, b, 'revoked', /CERT_REVOKED/);
    await stopAll(nodes);
    nodes = [];
    const ok = await dial(serving(certs.good), verifying({ crl: certs.caCrl }));
    await expectAccepted(ok.a, ok.b);
  });

  it('zone_sync_ssl_verify_depth: 1 refuses two intermediate CAs (chain too deep), 2 accepts them, the default accepts one', async () => {
    const deep = await dial(serving(certs.chained2), verifying({ verifyDepth: 1 }));
    await expectDialerRefused(deep.a, deep.b, 'chain too deep', /2 intermediate CAs, zone_sync_ssl_verify_depth is 1/);
    await stopAll(nodes);
    nodes = [];
    const two = await dial(serving(certs.chained2), verifying({ verifyDepth: 2 }));
    await expectAccepted(two.a, two.b);
    await stopAll(nodes);
    nodes = [];
    const one = await dial(serving(certs.chained1), verifying());
    await expectAccepted(one.a, one.b);
  });

  it('a repeated refusal is counted each time and logged once', async () => {
    const { a, b } = await dial(serving(certs.expired), verifying());
    await expectDialerRefused(a, b, 'expired', /CERT_HAS_EXPIRED/);
    await waitFor('a few more refusals', () => a.engine.readCounters().extra.tls_failures >= 3);
    expect(a.logs.filter((l) => l.fields.reason === 'expired')).toHaveLength(1);
  });

  it('a refusal is logged again when its reason changes, and once per reason until it changes again', async () => {
    const first = await dial(serving(certs.expired), verifying());
    const a = first.a;
    const address = first.b.address;
    let b = first.b;
    /** A refused B for `reason`, then twice more for the same reason. */
    const refusedThrice = async (reason: string): Promise<void> => {
      await waitFor(`A refused B: ${reason}`, () => a.engine.peers()[0]?.lastError?.startsWith(`TLS: ${reason}`) === true, 10_000, () => a.engine.peers());
      const failures = a.engine.readCounters().extra.tls_failures;
      await waitFor(`two more refusals: ${reason}`, () => a.engine.readCounters().extra.tls_failures >= failures + 2);
    };
    await refusedThrice('expired');
    // B comes back on the same address with another certificate; A keeps dialling it.
    for (const [files, reason] of [[certs.untrusted, 'unknown CA'], [certs.expired, 'expired']] as const) {
      await b.engine.stop();
      b = node(2, { listenTls: serving(files), listen: address });
      await b.engine.start();
      await refusedThrice(reason);
    }
    const lines = a.logs.filter((l) => l.level === 'error' && l.fields.direction === 'outbound');
    expect(lines.map((l) => l.fields.reason)).toEqual(['expired', 'unknown CA', 'expired']);
    expect(lines.every((l) => l.fields.peer === address)).toBe(true);
  });
});

describe('the name checked by default', () => {
  it('is the host name of a zone_sync_server line (resolved by Discovery), and the address of a literal one', async () => {
    const b = node(2, { listenTls: serving(certs.dnsOnly) });
    const a = node(1, { tls: verifying(), listen: null });
    await b.engine.start();
    await a.engine.start();
    const discovery = new Discovery({ resolver: null, timers: realTimers, log: memoryLogger(a.logs), apply: (t) => a.engine.setServers(t) });
    try {
      discovery.setServers([`localhost:${b.address.split(':')[1]}`]);
      await waitFor('A reached B as localhost', () => a.engine.readCounters().status.nodes_online === 1, 10_000, () => a.engine.peers());
      expect(a.engine.peers().find((p) => p.state === 'open')!.address).toBe(b.address); // localhost → 127.0.0.1
    } finally {
      discovery.stop();
    }
    const literal = node(3, { tls: verifying(), listen: null });
    await literal.engine.start();
    literal.engine.setServers([b.address]);
    await waitFor('refused by address', () => literal.engine.peers()[0]?.lastError?.startsWith('TLS: name mismatch') === true);
  });
});

describe('zone_sync_ssl_verify off (the default)', () => {
  for (const [what, files] of [['expired', 'expired'], ['wrong name', 'wrongName'], ['unknown CA', 'untrusted']] as const) {
    it(`accepts a certificate that would fail verification (${what})`, async () => {
      const { a, b } = await dial(serving(certs[files]), outgoingTls());
      await expectAccepted(a, b);
    });
  }
});

describe('mutual TLS (ssl_verify_client)', () => {
  const mutual = (): ListenTlsOptions => serving(certs.good, { verifyClient: 'on', trustedCertificate: certs.ca.cert });

  it('refuses a dialer without a client certificate: no client certificate, logged by the listener with the dialer address', async () => {
    const { a, b } = await dial(mutual(), verifying());
    await waitFor('B refused A', () => b.logs.some((l) => l.fields.reason === 'no client certificate'), 10_000, () => b.logs);
    const line = b.logs.find((l) => l.fields.reason === 'no client certificate')!;
    expect(line.level).toBe('error');
    expect(line.fields.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(b.engine.readCounters().extra.tls_failures).toBeGreaterThanOrEqual(1);
    await waitFor('A saw the connection closed', () => a.engine.peers()[0]?.lastError !== null);
    expect(a.engine.readCounters().status.nodes_online).toBe(0);
    expect(b.engine.readCounters().extra.inbound_online).toBe(0);
  });

  it('refuses an expired client certificate: expired', async () => {
    await dial(mutual(), verifying({ certificate: certs.expired.cert, certificateKey: certs.expired.key }));
    const b = nodes[0]!;
    await waitFor('B refused A', () => b.logs.some((l) => l.fields.reason === 'expired' && l.fields.direction === 'inbound'), 10_000, () => b.logs);
  });

  it('accepts a client certificate of the trusted CA, and records flow', async () => {
    const { a, b } = await dial(mutual(), verifying({ certificate: certs.other.cert, certificateKey: certs.other.key }));
    await expectAccepted(a, b);
  });

  it('ssl_verify_depth applies to client chains (where Node shows them); ssl_client_certificate trusts like ssl_trusted_certificate', async () => {
    const first = await dial(serving(certs.good, { verifyClient: 'on', clientCertificate: certs.ca.cert }), verifying({ certificate: certs.chained2.cert, certificateKey: certs.chained2.key }));
    if (await serverSeesClientChains(certs)) {
      const b = nodes[0]!;
      await waitFor('B refused the deep chain', () => b.logs.some((l) => l.fields.reason === 'chain too deep' && l.fields.direction === 'inbound'), 10_000, () => b.logs);
    } else {
      // This Node gives a server only the client's own certificate (nodejs/node#65579): the
      // chain was verified by OpenSSL, its length cannot be checked, so it is accepted.
      await expectAccepted(first.a, first.b);
    }
    await stopAll(nodes);
    nodes = [];
    const ok = await dial(serving(certs.good, { verifyClient: 'on', clientCertificate: certs.ca.cert, verifyDepth: 2 }),
      verifying({ certificate: certs.chained2.cert, certificateKey: certs.chained2.key }));
    await expectAccepted(ok.a, ok.b);
  });

  it('optional accepts a dialer without a certificate', async () => {
    const { a, b } = await dial(serving(certs.good, { verifyClient: 'optional', trustedCertificate: certs.ca.cert }), verifying());
    await expectAccepted(a, b);
  });
});

/** Whether this Node shows a TLS server the chain its client sent (not only the leaf). */
async function serverSeesClientChains(c: TestCerts): Promise<boolean> {
  let length = 0;
  const server = createTlsServer({
    cert: readFileSync(c.good.cert), key: readFileSync(c.good.key), requestCert: true, rejectUnauthorized: false, ca: readFileSync(c.ca.cert),
  }, (socket: TLSSocket) => {
    for (let cert: any = socket.getPeerCertificate(true), seen = new Set(); cert && Object.keys(cert).length > 0 && !seen.has(cert); cert = cert.issuerCertificate) {
      seen.add(cert);
      length++;
    }
    socket.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => {
    const socket = connectTls({ port, host: '127.0.0.1', cert: readFileSync(c.chained2.cert), key: readFileSync(c.chained2.key), rejectUnauthorized: false });
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
    socket.resume();
  });
  await new Promise((r) => server.close(r));
  return length > 1;
}

describe('keys, SNI, protocols', () => {
  it('a key with a passphrase opens with the password file (its first line is wrong), and fails clearly without', async () => {
    const enc = certs.encrypted;
    const { a, b } = await dial(serving(enc, { passwordFile: enc.passwordFile }), verifying({ certificate: enc.cert, certificateKey: enc.key, passwordFile: enc.passwordFile }));
    await expectAccepted(a, b);
    expect(() => new TestNode(9, KV, { listenTls: serving(enc) })).toThrow(/ssl_certificate_key.*encrypted and no password file/);
    expect(() => new TestNode(9, KV, { tls: outgoingTls({ certificate: enc.cert, certificateKey: enc.key, passwordFile: certs.ca.cert }) }))
      .toThrow(/none of the \d+ passphrases/);
  });

  interface Handshake { servername: string | false | undefined; protocol: string | null; cipher: string }

  /** A bare TLS listener that reports what the first dialer's handshake carried. */
  async function rawListener(): Promise<{ address: string; seen: Promise<Handshake> }> {
    let report: (value: Handshake) => void = () => {};
    const seen = new Promise<Handshake>((r) => { report = r; });
    const server = createTlsServer({ cert: readFileSync(certs.good.cert), key: readFileSync(certs.good.key) },
      (socket: TLSSocket) => {
        report({ servername: socket.servername, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
        socket.resume(); // read (and drop) what the engine sends, so that its close is seen
      });
    rawServers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }

  it('zone_sync_ssl_server_name on sends zone_sync_ssl_name as SNI; off sends none', async () => {
    const on = await rawListener();
    node(1, { tls: outgoingTls({ serverName: true, name: 'sync.example.test' }), listen: null });
    await nodes[0]!.engine.start();
    nodes[0]!.engine.setServers([on.address]);
    expect((await on.seen).servername).toBe('sync.example.test');
    const off = await rawListener();
    node(2, { tls: outgoingTls({ name: 'sync.example.test' }), listen: null });
    await nodes[1]!.engine.start();
    nodes[1]!.engine.setServers([off.address]);
    expect((await off.seen).servername).toBeFalsy();
  });

  it('with server_name on and no zone_sync_ssl_name, the host name of the server line is sent, an IP address never', async () => {
    const named = await rawListener();
    node(1, { tls: outgoingTls({ serverName: true }), listen: null });
    await nodes[0]!.engine.start();
    nodes[0]!.engine.setServers([{ address: named.address, name: 'node2.cluster.test' }]);
    expect((await named.seen).servername).toBe('node2.cluster.test');
    const ip = await rawListener();
    node(2, { tls: outgoingTls({ serverName: true }), listen: null });
    await nodes[1]!.engine.start();
    nodes[1]!.engine.setServers([ip.address]);
    expect((await ip.seen).servername).toBeFalsy();
  });

  it('zone_sync_ssl_protocols and the Ciphersuites conf command reach the handshake', async () => {
    const v12 = await rawListener();
    node(1, { tls: outgoingTls({ protocols: ['TLSv1.2'] }), listen: null });
    await nodes[0]!.engine.start();
    nodes[0]!.engine.setServers([v12.address]);
    expect((await v12.seen).protocol).toBe('TLSv1.2');
    const suite = await rawListener();
    node(2, { tls: outgoingTls({ confCommands: [{ name: 'Ciphersuites', value: 'TLS_CHACHA20_POLY1305_SHA256' }] }), listen: null });
    await nodes[1]!.engine.start();
    nodes[1]!.engine.setServers([suite.address]);
    expect(await suite.seen).toMatchObject({ protocol: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256' });
  });

  it('refuses settings node:tls cannot honour, naming the directive', () => {
    const make = (tls: Partial<OutgoingTlsOptions>) => () => new TestNode(9, KV, { tls: outgoingTls(tls) });
    expect(make({ protocols: ['SSLv3' as never] })).toThrow(/"SSLv3" in "zone_sync_ssl_protocols" is not supported/);
    expect(make({ confCommands: [{ name: 'Options', value: 'NoSuchOption' }] })).toThrow(/zone_sync_ssl_conf_command Options.*NoSuchOption/);
    expect(make({ confCommands: [{ name: 'VerifyMode', value: 'Peer' }] })).toThrow(/unsupported command "VerifyMode" in "zone_sync_ssl_conf_command"/);
    expect(make({ confCommands: [{ name: 'MinProtocol', value: 'SSLv3' }] })).toThrow(/"SSLv3" in "zone_sync_ssl_conf_command MinProtocol" is not supported/);
    expect(make({ confCommands: [{ name: 'MinProtocol', value: 'TLSv1.3' }, { name: 'MaxProtocol', value: 'TLSv1.2' }] })).toThrow(/minimum protocol TLSv1.3 is above the maximum TLSv1.2/);
    expect(make({ trustedCertificate: '/nonexistent/ca.pem' })).toThrow(/cannot read "zone_sync_ssl_trusted_certificate" file "\/nonexistent\/ca.pem"/);
    expect(make({ verify: true })).toThrow(/no "zone_sync_ssl_trusted_certificate"/);
    // Accepted: Groups, SignatureAlgorithms and Options Node can apply.
    expect(make({ confCommands: [{ name: 'Groups', value: 'P-256:X25519' }, { name: 'SignatureAlgorithms', value: 'ECDSA+SHA256:RSA-PSS+SHA256' }, { name: 'Options', value: 'ServerPreference,-SessionTicket' }] })()).toBeInstanceOf(TestNode);
  });
});

describe('the sync thread', () => {
  it('fails to start with the reason when a certificate file is missing', async () => {
    const n = new TestNode(21, KV);
    await expect(startSyncThread({
      nodeId: 21, nodeName: 'n21', descriptors: n.descriptors, clockBuffer: n.clockBuffer,
      options: { listen: '127.0.0.1:0', listenTls: listenTls({ certificates: ['/nonexistent/node.crt'], certificateKeys: [certs.good.key] }) },
    })).rejects.toThrow(/failed to start: cannot read "ssl_certificate" file "\/nonexistent\/node.crt"/);
  });
});

describe('records replicate over TLS as over TCP', () => {
  it('a three-node mesh with mutual TLS and verification converges, snapshots included', async () => {
    const tlsFor = (files: CertFiles) => ({
      listenTls: serving(files, { verifyClient: 'on' as const, trustedCertificate: certs.ca.cert }),
      tls: verifying({ certificate: files.cert, certificateKey: files.key }),
    });
    const [x, y] = [node(11, tlsFor(certs.good)), node(12, tlsFor(certs.other))];
    for (let k = 0; k < 200; k++) x!.write(`early${k}`, `e${k}`); // before the mesh: snapshot
    const z = node(13, tlsFor(certs.chained1));
    await startMesh([x!, y!, z]);
    await waitFor('everyone online', () => nodes.every((n) => n.engine.readCounters().status.nodes_online === 2), 15_000, () => nodes.map((n) => n.engine.peers()));
    nodes.forEach((n, i) => {
      for (let k = 0; k < 100; k++) n.write(`n${i}-${k}`, `v${k}`);
    });
    await waitFor('identical zones', () => nodes.every((n) => n.dump().length === 500) && sameRecords(nodes), 15_000, () => nodes.map((n) => n.dump().length));
    for (const n of nodes) {
      const c = n.engine.readCounters();
      expect(c.extra.tls_failures).toBe(0);
      expect(c.extra.self_detected).toBe(1);
      expect(c.extra.malformed).toBe(0);
    }
  });
});
