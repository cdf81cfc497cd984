// proxy_pass https:// through a real node to real HTTPS servers on 127.0.0.1, with
// certificates made by openssl: nginx's defaults (no verification, no SNI), proxy_ssl_verify
// with the right CA and with another, proxy_ssl_server_name and proxy_ssl_name, a client
// certificate, connections kept alive over TLS, and a WebSocket through an https upstream.
// Configuration errors (a missing file, verify without a CA) name their file and line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { spawnSync } from 'node:child_process';
import { PRIMARY, api, freePorts, tempDir, waitFor, writeConfig } from '../runtime/cluster-helpers.js';
import { makeTestCerts, type CertFiles, type TestCerts } from '../util/certs.js';
import { SERVING_PATHS, startNodeOn, type RunningNode } from './serving-paths.js';
import { TestUpstream, fresh, type UpstreamBehaviour } from './test-upstream.js';

const named: UpstreamBehaviour = (req, res, upstream) => res.end(`${upstream.name} ${req.url}`);

function serverTls(files: CertFiles): https.ServerOptions {
  return { cert: readFileSync(files.cert), key: readFileSync(files.key), requestCert: true, rejectUnauthorized: false };
}

/** A WebSocket echo server over TLS. */
class SecureEcho {
  readonly server: https.Server;
  private readonly wss = new WebSocketServer({ noServer: true });

  constructor(files: CertFiles) {
    this.server = https.createServer(serverTls(files), (_req, res) => res.end('no upgrade'));
    this.server.on('upgrade', (req, socket, head) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(`hello over tls ${req.url}`);
        ws.on('message', (data, binary) => ws.send(data, { binary }));
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let certs: TestCerts;
beforeAll(() => { certs = makeTestCerts(); });
afterAll(() => certs?.cleanup());

describe.each(SERVING_PATHS)('proxy_pass https:// on $name', (path) => {
  let running: RunningNode | undefined;
  let port = 0;
  const up: Record<string, TestUpstream> = {};
  let echo: SecureEcho;

  beforeAll(async () => {
    up['self'] = await TestUpstream.start('self', named, { tls: serverTls(certs.ca) }); // a self-signed certificate
    up['good'] = await TestUpstream.start('good', named, { tls: serverTls(certs.good) });
    up['kept'] = await TestUpstream.start('kept', named, { tls: serverTls(certs.good) });
    up['strangerA'] = await TestUpstream.start('strangerA', named, { tls: serverTls(certs.untrusted) });
    up['strangerB'] = await TestUpstream.start('strangerB', named, { tls: serverTls(certs.untrusted) });
    echo = new SecureEcho(certs.good);
    const echoAddress = await echo.start();
    [port] = (await freePorts(1)) as [number];
    const good = up['good']!.port;
    const verify = `proxy_ssl_verify on; proxy_ssl_trusted_certificate ${certs.ca.cert};`;
    const config = `
http {
    upstream backend   { server ${up['good']!.address}; }
    upstream kept      { server ${up['kept']!.address}; keepalive 4; }
    upstream strangers { server ${up['strangerA']!.address}; server ${up['strangerB']!.address}; }
    upstream secure_ws { server ${echoAddress}; }
    server {
        listen 127.0.0.1:${port};
        location /self/      { proxy_pass https://${up['self']!.address}; }
        location /verified/  { proxy_pass https://${up['good']!.address}; ${verify} }
        location /strangers/ { proxy_pass https://strangers; ${verify} proxy_ssl_name localhost; }
        location /mismatch/  { proxy_pass https://backend; ${verify} proxy_ssl_name wrong.example.com; }
        location /no-sni/    { proxy_pass https://localhost:${good}; }
        location /sni/       { proxy_pass https://localhost:${good}; proxy_ssl_server_name on; }
        location /sni-upstream/ { proxy_pass https://backend; proxy_ssl_server_name on; }
        location /sni-named/ { proxy_pass https://backend; proxy_ssl_server_name on; proxy_ssl_name localhost; ${verify} }
        location /client/    { proxy_pass https://backend; proxy_ssl_certificate ${certs.other.cert}; proxy_ssl_certificate_key ${certs.other.key}; }
        location /kept/      { proxy_pass https://kept; }
        location /ws/        { proxy_pass https://secure_ws; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"; }
        location /api        { api; }
    }
}`;
    running = await startNodeOn(path, 'tls-upstream.conf', config);
  }, 300_000);

  afterAll(async () => {
    await running?.stop();
    for (const u of Object.values(up)) await u.close();
    await echo?.close();
  });

  it('proxy_ssl_verify off (the default): a self-signed certificate is taken, no client certificate is presented', async () => {
    expect(await fresh(port, '/self/a')).toEqual({ status: 200, text: 'self /self/a' });
    expect(up['self']!.seen.at(-1)!.tls).toEqual({ servername: false, clientCertificate: '' });
  });

  it('proxy_ssl_verify on with the CA that signed the server\'s certificate: answered', async () => {
    expect(await fresh(port, '/verified/b')).toEqual({ status: 200, text: 'good /verified/b' });
  });

  it('proxy_ssl_verify on with another CA: 502, nginx\'s log line, and the try counted as a failure of each server', async () => {
    expect((await fresh(port, '/strangers/c')).status).toBe(502);
    expect(up['strangerA']!.seen.length + up['strangerB']!.seen.length).toBe(0);
    await waitFor(() => /upstream SSL certificate verify error: \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/.test(running!.node.output), 10_000,
      () => `no verify error logged:\n${running!.node.output}`);
    const peers = (await api(port, '/api/9/http/upstreams/strangers')).body.peers as Array<{ fails: number; state: string }>;
    expect(peers.map((p) => p.fails)).toEqual([1, 1]);
    expect(peers.map((p) => p.state)).toEqual(['unavail', 'unavail']);
  });

  it('a certificate that does not match proxy_ssl_name: 502, and the name in the log line', async () => {
    expect((await fresh(port, '/mismatch/d')).status).toBe(502);
    await waitFor(() => running!.node.output.includes('upstream SSL certificate does not match \\"wrong.example.com\\"'), 10_000,
      () => `no name mismatch logged:\n${running!.node.output}`);
  });

  it.each([
    ['/no-sni/', false],
    ['/sni/', 'localhost'],
    ['/sni-upstream/', 'backend'],
    ['/sni-named/', 'localhost'],
  ] as const)('%s: the server name sent (SNI) is %s', async (location, servername) => {
    expect((await fresh(port, `${location}x`)).status).toBe(200);
    expect(up['good']!.seen.at(-1)!.tls!.servername).toBe(servername);
  });

  it('proxy_ssl_certificate: the server gets the client certificate', async () => {
    expect((await fresh(port, '/client/e')).status).toBe(200);
    expect(up['good']!.seen.at(-1)!.tls!.clientCertificate).toBe('localhost');
  });

  it('keepalive over TLS: later requests reuse the connections', async () => {
    const kept = up['kept']!;
    for (let i = 0; i < 10; i++) expect((await fresh(port, `/kept/${i}`)).status).toBe(200);
    expect(kept.seen.length).toBe(10);
    expect(kept.accepted).toBeLessThanOrEqual(path.threads);
  });

  it('a WebSocket through an https upstream', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/x`);
    const [first] = await once(ws, 'message');
    expect(String(first)).toBe('hello over tls /ws/x');
    const echoed = once(ws, 'message');
    ws.send('ping over tls');
    expect(String((await echoed)[0])).toBe('ping over tls');
    ws.close();
    await once(ws, 'close');
  });
});

describe('proxy_ssl_* files are read when the node starts and by -t', () => {
  it.each([
    ['a missing trusted certificate', (c: TestCerts) => `proxy_ssl_verify on;\n        proxy_ssl_trusted_certificate ${c.dir}/missing.pem;`,
      /cannot read "proxy_ssl_trusted_certificate" file ".*missing\.pem".* in .*tls\.conf:7/],
    ['verify without a trusted certificate', () => 'proxy_ssl_verify on;', /no "proxy_ssl_trusted_certificate" is defined for "proxy_ssl_verify" in .*tls\.conf:6/],
    ['a certificate without its key', (c: TestCerts) => `proxy_ssl_certificate ${c.other.cert};`,
      /no "proxy_ssl_certificate_key" is defined for certificate ".*other\.crt" in .*tls\.conf:6/],
    ['an encrypted key without a password file', (c: TestCerts) => `proxy_ssl_certificate ${c.encrypted.cert};\n        proxy_ssl_certificate_key ${c.encrypted.key};`,
      /cannot load "proxy_ssl_certificate_key" ".*encrypted\.key": it is encrypted and no password file is set in .*tls\.conf:7/],
  ])('%s', (_what, directives, message) => {
    const dir = tempDir();
    try {
      const file = writeConfig(dir.dir, 'tls.conf', `
http {
    server {
        listen 127.0.0.1:1;
        location / {
        ${directives(certs)}
            proxy_pass https://127.0.0.1:2;
        }
    }
}`);
      for (const args of [['-t', '-c', file], ['-c', file]]) {
        const r = spawnSync(process.execPath, [PRIMARY, ...args], { encoding: 'utf8', timeout: 20_000 });
        expect(r.status, args.join(' ')).toBe(1);
        expect(r.stderr, args.join(' ')).toMatch(message);
      }
    } finally {
      dir.cleanup();
    }
  });
});
