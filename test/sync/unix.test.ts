// Unix-domain sockets carry a cluster: listen and zone_sync_server on "unix:/path", plain
// and with TLS (the name to verify given by zone_sync_ssl_name: a path has no host), and
// the "unix:" access rule.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accessRule } from '../util/access-rules.js';
import { listenTls, outgoingTls, type SyncOptionsInput } from '../../dist/sync/index.js';
import { makeTestCerts, type TestCerts } from '../util/certs.js';
import { TestNode, sameRecords, stopAll, waitFor } from './helpers.js';

const KV = [{ name: 'kv' }];
let nodes: TestNode[] = [];
let dir = '';
let certs: TestCerts;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zonesync-unix-'));
  certs = makeTestCerts();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  certs.cleanup();
});

afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

let sequence = 0;

/** n nodes on fresh socket paths, each given every path (itself included). */
async function unixMesh(n: number, options: (i: number) => SyncOptionsInput = () => ({})): Promise<TestNode[]> {
  const paths = Array.from({ length: n }, (_, i) => `unix:${join(dir, `n${sequence++}-${i}.sock`)}`);
  const made = paths.map((path, i) => new TestNode(301 + i, KV, { ...options(i), listen: path }));
  nodes.push(...made);
  await Promise.all(made.map((m) => m.engine.start()));
  made.forEach((m, i) => expect(m.address).toBe(paths[i]));
  for (const m of made) m.engine.setServers(paths);
  return made;
}

describe('unix-domain sockets', () => {
  it('three nodes converge over unix sockets, each skipping itself', async () => {
    const mesh = await unixMesh(3);
    await waitFor('online', () => mesh.every((m) => m.engine.readCounters().status.nodes_online === 2), 10_000, () => mesh.map((m) => m.engine.peers()));
    mesh.forEach((m, i) => {
      for (let k = 0; k < 50; k++) m.write(`u${i}-${k}`, `v${k}`);
    });
    await waitFor('identical', () => mesh.every((m) => m.dump().length === 150) && sameRecords(mesh));
    for (const m of mesh) expect(m.engine.readCounters().extra.self_detected).toBe(1);
    const inbound = mesh[0]!.engine.peers().filter((p) => p.direction === 'inbound' && p.state === 'open');
    expect(inbound).toHaveLength(2);
  });

  it('TLS over unix sockets verifies against zone_sync_ssl_name; without it the peer is refused (a path has no host)', async () => {
    const secure = (name: string | null) => (): SyncOptionsInput => ({
      listenTls: listenTls({ certificates: [certs.good.cert], certificateKeys: [certs.good.key] }),
      tls: outgoingTls({ verify: true, trustedCertificate: certs.ca.cert, name }),
    });
    const mesh = await unixMesh(2, secure('localhost'));
    await waitFor('online over TLS', () => mesh.every((m) => m.engine.readCounters().status.nodes_online === 1));
    mesh[0]!.write('tls-unix', 'ok');
    await waitFor('replicated', () => mesh[1]!.get('tls-unix') === 'ok');
    await stopAll(nodes);
    nodes = [];
    const unnamed = await unixMesh(2, secure(null));
    await waitFor('refused for want of a name', () => unnamed[0]!.engine.peers().some((p) => p.lastError?.startsWith('TLS: name mismatch') === true));
    expect(unnamed[0]!.engine.readCounters().status.nodes_online).toBe(0);
  });

  it('"deny unix:" closes unix-socket clients, "allow unix:" before it lets them in', async () => {
    const denied = await unixMesh(2, () => ({ access: [accessRule('deny', 'unix:')] }));
    await waitFor('denied', () => denied.every((m) => m.engine.readCounters().extra.access_denied >= 1));
    expect(denied.every((m) => m.engine.readCounters().status.nodes_online === 0)).toBe(true);
    await stopAll(nodes);
    nodes = [];
    const allowed = await unixMesh(2, () => ({ access: [accessRule('allow', 'unix:'), accessRule('deny', 'all')] }));
    await waitFor('online', () => allowed.every((m) => m.engine.readCounters().status.nodes_online === 1));
  });
});
