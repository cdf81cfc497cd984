// -t warns of a static zone_sync_server name that does not resolve (the node would start and
// retry it), and stays silent for literals, `resolve` names, unix sockets and names that
// resolve. The real command checks with the system resolver; names are chosen so that no
// query leaves the machine ("localhost" from the hosts file, a label too long to be sent).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../dist/config/load.js';
import { unresolvedPeerNames, unresolvedUpstreamNames } from '../../dist/runtime/check-peer-names.js';
import { PRIMARY, tempDir, writeConfig } from './cluster-helpers.js';

const FILE = '/etc/zonesync/zonesync.conf';
const LONG_LABEL = `${'a'.repeat(64)}.example`;

function syncConfig(peers: string[], extra = '') {
  const text = `stream {\n  ${extra}\n  server {\n    listen 127.0.0.1:1;\n    zone_sync;\n${peers.map((p) => `    zone_sync_server ${p};`).join('\n')}\n  }\n}\n`;
  return parseConfigText(text, FILE).stream!.sync!;
}

describe('static zone_sync_server names at -t', () => {
  it.each<[string, string[], string, (host: string) => Promise<string[]>, string[]]>([
    ['a name that resolves', ['node1.example:9000'], '', async () => ['10.0.0.1'], []],
    ['a name that does not', ['node1.example:9000'], '', async () => { throw Object.assign(new Error('x'), { code: 'ENOTFOUND' }); },
      ['host not found in "node1.example:9000" of the "zone_sync_server" directive in /etc/zonesync/zonesync.conf:6 (ENOTFOUND): the node will retry it']],
    ['an empty answer', ['node1.example:9000'], '', async () => [], ['(no addresses)']],
    ['literals, unix sockets and resolve names are not looked up', ['10.0.0.1:9000', '[::1]:9000', 'unix:/run/zs.sock', 'cluster.example:9000 resolve'],
      'resolver 127.0.0.1;', async () => { throw new Error('looked up'); }, []],
    ['each failing name once, in order', ['a.example:1', '10.0.0.1:2', 'b.example:3'], '',
      async (host) => { if (host === 'a.example' || host === 'b.example') throw Object.assign(new Error('x'), { code: 'EAI_AGAIN' }); return ['10.0.0.9']; },
      ['"a.example:1"', '"b.example:3"']],
  ])('%s', async (_what, peers, extra, lookup, expected) => {
    const warnings = await unresolvedPeerNames(syncConfig(peers, extra), lookup);
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((part, i) => expect(warnings[i]).toContain(part));
  });

  it('node dist/primary.js -t warns and still succeeds; a name that resolves gives no warning', () => {
    const { dir, cleanup } = tempDir();
    try {
      const conf = (peer: string) => writeConfig(dir, 'n.conf', `stream {\n  server {\n    listen 127.0.0.1:1;\n    zone_sync;\n    zone_sync_server ${peer};\n  }\n}\n`);
      const bad = spawnSync(process.execPath, [PRIMARY, '-t', '-c', conf(`${LONG_LABEL}:9000`)], { encoding: 'utf8', timeout: 20_000 });
      expect(bad.status).toBe(0);
      expect(bad.stderr).toContain(`zonesync: [warn] host not found in "${LONG_LABEL}:9000" of the "zone_sync_server" directive in ${dir}/n.conf:5`);
      expect(bad.stderr).toContain('test is successful');
      const good = spawnSync(process.execPath, [PRIMARY, '-t', '-c', conf('localhost:9000')], { encoding: 'utf8', timeout: 20_000 });
      expect(good.status).toBe(0);
      expect(good.stderr).not.toContain('[warn]');
    } finally {
      cleanup();
    }
  });
});

describe('upstream server and proxy_pass names at -t', () => {
  const http = (body: string) => parseConfigText(`http {\n${body}\n}\n`, FILE).http!;
  const notFound = async (host: string): Promise<string[]> => {
    if (host.endsWith('.missing')) throw Object.assign(new Error('x'), { code: 'ENOTFOUND' });
    return ['10.0.0.1'];
  };

  it.each<[string, string, string[]]>([
    ['upstream servers by name, in order', 'upstream app {\n  server a.missing:8080;\n  server 10.0.0.2;\n  server b.example;\n  server c.missing backup;\n}',
      ['host not found in "a.missing:8080" of upstream "app" in /etc/zonesync/zonesync.conf:3 (ENOTFOUND): its requests will be answered 502 until it resolves',
        '"c.missing" of upstream "app"']],
    ['a proxy_pass URL that names a server', 'server {\n  listen 1;\n  location / { proxy_pass http://api.missing:9000/v1/; }\n}',
      ['host not found in "http://api.missing:9000/v1/" of the "proxy_pass" directive in /etc/zonesync/zonesync.conf:4 (ENOTFOUND)']],
    ['a proxy_pass to an upstream block, literals and unix sockets are not looked up',
      'upstream app { server unix:/run/app.sock; server [::1]:1; }\nserver {\n  listen 1;\n  location / { proxy_pass http://app; }\n  location /x { proxy_pass http://127.0.0.1:1; }\n}', []],
  ])('%s', async (_what, body, expected) => {
    const warnings = await unresolvedUpstreamNames(http(body), notFound);
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((part, i) => expect(warnings[i]).toContain(part));
  });

  it('node dist/primary.js -t warns of them and still succeeds', () => {
    const { dir, cleanup } = tempDir();
    try {
      const conf = writeConfig(dir, 'u.conf', `http {\n  server {\n    listen 127.0.0.1:1;\n    location / { proxy_pass http://${LONG_LABEL}:9000; }\n  }\n}\n`);
      const r = spawnSync(process.execPath, [PRIMARY, '-t', '-c', conf], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(0);
      expect(r.stderr).toContain(`zonesync: [warn] host not found in "http://${LONG_LABEL}:9000" of the "proxy_pass" directive in ${dir}/u.conf:4`);
      expect(r.stderr).toContain('test is successful');
    } finally {
      cleanup();
    }
  });
});
