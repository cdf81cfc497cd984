// allow / deny on the sync listener: first match wins (nginx's access module, net/access.ts);
// a denied connection is closed at once, before any byte and before TLS, and logged.
// Other hosts are stood for by source addresses 127.0.0.2 and up.
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accessRule } from '../util/access-rules.js';
import { listenTls } from '../../dist/sync/index.js';
import { makeTestCerts, type TestCerts } from '../util/certs.js';
import { SourceAddressTransport } from '../util/source-address.js';
import { TestNode, stopAll, waitFor } from './helpers.js';

const KV = [{ name: 'kv' }];
let nodes: TestNode[] = [];
let certs: TestCerts;

beforeAll(() => {
  certs = makeTestCerts();
});

afterAll(() => certs.cleanup());

afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

function node(id: number, options: ConstructorParameters<typeof TestNode>[2], from?: string): TestNode {
  const n = new TestNode(id, KV, options, from === undefined ? undefined : new SourceAddressTransport(from));
  nodes.push(n);
  return n;
}

/** A raw connection from `from`: resolves with the bytes it received before it was closed. */
function rawFrom(from: string, address: string): Promise<number> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    let received = 0;
    const socket = netConnect({ host, port, localAddress: from });
    socket.on('data', (d: Buffer) => { received += d.length; });
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
}

describe('allow / deny on the sync listener', () => {
  it('a denied address cannot sync; an allowed one can; the denial is counted and logged with the address', async () => {
    const b = node(2, { access: [accessRule('deny', '127.0.0.2'), accessRule('allow', 'all')] });
    const denied = node(1, { listen: null }, '127.0.0.2');
    const allowed = node(3, { listen: null }, '127.0.0.1');
    await Promise.all(nodes.map((n) => n.engine.start()));
    denied.engine.setServers([b.address]);
    allowed.engine.setServers([b.address]);
    denied.write('from-denied', 'x');
    allowed.write('from-allowed', 'y');
    await waitFor('the allowed node synced', () => b.get('from-allowed') === 'y');
    await waitFor('denials counted', () => b.engine.readCounters().extra.access_denied >= 2, 10_000, () => b.engine.readCounters().extra);
    expect(b.get('from-denied')).toBeUndefined();
    expect(denied.engine.readCounters().status.nodes_online).toBe(0);
    expect(denied.engine.readCounters().extra.connects).toBe(0);
    expect(allowed.engine.readCounters().status.nodes_online).toBe(1);
    expect(b.engine.readCounters().extra.inbound_online).toBe(1);
    const line = b.logs.find((l) => l.message.includes('denied by an access rule'))!;
    expect(line.level).toBe('warn');
    expect(line.fields.peer).toMatch(/^127\.0\.0\.2:\d+$/);
    expect(b.logs.some((l) => l.message.includes('denied') && String(l.fields.peer).startsWith('127.0.0.1:'))).toBe(false);
  });

  it('first match wins, CIDR blocks included; a denied connection gets no byte', async () => {
    const b = node(2, { access: [accessRule('allow', '127.0.0.3'), accessRule('deny', '127.0.0.0/24'), accessRule('allow', 'all')] });
    await b.engine.start();
    expect(await rawFrom('127.0.0.1', b.address)).toBe(0);
    expect(await rawFrom('127.0.0.9', b.address)).toBe(0);
    expect(b.engine.readCounters().extra.access_denied).toBe(2);
    const allowed = node(3, { listen: null }, '127.0.0.3');
    await allowed.engine.start();
    allowed.engine.setServers([b.address]);
    await waitFor('127.0.0.3 synced', () => allowed.engine.readCounters().status.nodes_online === 1);
    expect(b.engine.readCounters().extra.access_denied).toBe(2);
  });

  it('rules apply before the TLS handshake: a denied client never gets a certificate', async () => {
    const b = node(2, {
      access: [accessRule('deny', '127.0.0.2')],
      listenTls: listenTls({ certificates: [certs.good.cert], certificateKeys: [certs.good.key] }),
    });
    await b.engine.start();
    const [host, port] = ['127.0.0.1', Number(b.address.split(':')[1])];
    const outcome = await new Promise<string>((resolve) => {
      const socket = tlsConnect({ host, port, localAddress: '127.0.0.2', rejectUnauthorized: false });
      socket.once('secureConnect', () => { resolve('handshake'); socket.destroy(); });
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(outcome).not.toBe('handshake');
    expect(b.engine.readCounters().extra.access_denied).toBe(1);
    expect(b.engine.readCounters().extra.tls_failures).toBe(0);
    const ok = await new Promise<string>((resolve) => {
      const socket = tlsConnect({ host, port, localAddress: '127.0.0.1', rejectUnauthorized: false });
      socket.once('secureConnect', () => { resolve('handshake'); socket.destroy(); });
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(ok).toBe('handshake');
  });
});
