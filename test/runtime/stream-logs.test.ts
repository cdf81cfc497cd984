// The zone_sync server's access_log and error_log on real nodes: node B dials node A; when B
// stops, A's access log has the session in its log_format, and A's sync lines went to the
// stream error_log, not to the main one. Formatting and escaping are checked on their own.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeValue, formatSession, timeLocal } from '../../dist/runtime/stream-access-log.js';
import { NodeProcess, cleanupsAfterEach, freePorts, syncBlock, waitFor, writeConfig } from './cluster-helpers.js';

const session = {
  remoteAddress: '127.0.0.1:40000', serverAddress: '127.0.0.1:12345', bytesSent: 10, bytesReceived: 2048,
  startMs: 1_700_000_000_000, endMs: 1_700_000_001_500, status: 200, peerNodeId: 7, peerNodeName: 'b "one"',
};
const format = (text: string, escape: 'default' | 'json' | 'none' = 'default') => {
  const parts = text.split(/(\$[a-z_]+)/).filter((p) => p !== '').map((p) => (p.startsWith('$') ? { variable: p.slice(1) } : { text: p }));
  return { name: 'f', escape, parts };
};

describe('stream access log lines', () => {
  it.each<[string, Partial<typeof session>, string]>([
    ['$remote_addr $remote_port $server_port', {}, '127.0.0.1 40000 12345'],
    ['$remote_addr $remote_port', { remoteAddress: '[::1]:5' }, '::1 5'],
    ['$remote_addr', { remoteAddress: '[::ffff:10.1.2.3]:5' }, '10.1.2.3'],
    ['$remote_addr|$remote_port', { remoteAddress: 'unix:/run/s.sock' }, 'unix:|-'],
    ['$session_time $bytes_sent $bytes_received $status $protocol', {}, '1.500 10 2048 200 TCP'],
    ['$msec', {}, '1700000001.500'],
    ['$zone_sync_peer_id $zone_sync_peer_name', {}, '7 b \\x22one\\x22'],
    ['$zone_sync_peer_id $zone_sync_peer_name', { peerNodeId: -1, peerNodeName: '' }, '- -'],
    ['[$time_local]', {}, `[${timeLocal(1_700_000_001_500)}]`],
  ])('%s of %j', (text, change, line) => {
    expect(formatSession(format(text), { ...session, ...change })).toBe(line);
  });

  it.each<[string, 'default' | 'json' | 'none', string]>([
    ['a"b\\c', 'default', 'a\\x22b\\x5Cc'],
    ['tab\there', 'default', 'tab\\x09here'],
    ['é', 'default', '\\xC3\\xA9'],
    ['a"b\\c\n', 'json', 'a\\"b\\\\c\\n'],
    ['\u0001', 'json', '\\u0001'],
    ['a"b\\c\n', 'none', 'a"b\\c\n'],
  ])('escape %j as %s', (value, escape, out) => {
    expect(escapeValue(value, escape)).toBe(out);
  });
});

describe('zone_sync server logs on real nodes', () => {
  const cleanups = cleanupsAfterEach();

  it('A logs B\'s session when it ends, and its sync lines to the stream error_log', async () => {
    const dir = cleanups.tempDir();
    const [ha, sa, hb, sb] = await freePorts(4);
    const access = join(dir, 'sync-access.log');
    const streamErrors = join(dir, 'sync-error.log');
    const mainErrors = join(dir, 'main-error.log');
    const node = (http: number, sync: number, peers: number[], streamExtra: string, serverExtra: string, main = '') => `${main}
http {
    keyval_zone zone=one:1m timeout=1h sync;
    server { listen 127.0.0.1:${http}; location /api { api write=on; } }
}
${syncBlock(sync, peers.map((p) => `127.0.0.1:${p}`), serverExtra, streamExtra)}`;
    const a = new NodeProcess(writeConfig(dir, 'a.conf', node(ha!, sa!, [], `    log_format sync '$remote_addr $server_addr:$server_port $status $bytes_sent $bytes_received $session_time $zone_sync_peer_name';\n    error_log ${streamErrors} info;`, `        access_log ${access} sync;`, `error_log ${mainErrors} info;`)));
    cleanups.push(() => a.stop());
    await a.ready();
    const b = new NodeProcess(writeConfig(dir, 'b.conf', node(hb!, sb!, [sa!], '', '')));
    cleanups.push(() => b.stop());
    await b.ready();
    await waitFor(() => existsSync(streamErrors) && readFileSync(streamErrors, 'utf8').includes('zone_sync'), 10_000, () => `no sync line in the stream error log:\n${a.output}`);
    expect(readFileSync(access, 'utf8')).toBe('');
    b.signal('SIGQUIT');
    expect(await b.exited).toBe(0);
    await waitFor(() => readFileSync(access, 'utf8').includes('\n'), 10_000, () => `no access line:\n${a.output}`);
    const [line, more] = readFileSync(access, 'utf8').split('\n');
    expect(more).toBe('');
    const [remote, server, status, sent, received, time, peer] = line!.split(' ');
    expect(remote).toBe('127.0.0.1');
    expect(server).toBe(`127.0.0.1:${sa}`);
    expect(status).toBe('200');
    expect(Number(sent)).toBeGreaterThan(0);
    expect(Number(received)).toBeGreaterThan(0);
    expect(time).toMatch(/^\d+\.\d{3}$/);
    expect(peer).toMatch(new RegExp(`/127\\.0\\.0\\.1:${sb}$`));
    // The sync thread's lines went to the stream error_log, not to the node's.
    expect(existsSync(mainErrors) ? readFileSync(mainErrors, 'utf8') : '').not.toContain('zone_sync session closed');
    await waitFor(() => readFileSync(streamErrors, 'utf8').includes('zone_sync session closed'), 10_000, () => 'no session line');
  });

  it('a reload that changes them is refused: they apply at start', async () => {
    const dir = cleanups.tempDir();
    const [http, sync] = await freePorts(2);
    const conf = (file: string) => `http { server { listen 127.0.0.1:${http}; } }
${syncBlock(sync!, [], `access_log ${join(dir, file)} f;`, "log_format f '$status';")}`;
    const path = writeConfig(dir, 'n.conf', conf('one.log'));
    const node = new NodeProcess(path);
    cleanups.push(() => node.stop());
    await node.ready();
    writeFileSync(path, conf('two.log'));
    node.signal('SIGHUP');
    await waitFor(() => node.output.includes("the zone_sync server's error_log or access_log changed"), 10_000, () => `no refusal:\n${node.output}`);
    expect(existsSync(join(dir, 'one.log'))).toBe(true);
    expect(existsSync(join(dir, 'two.log'))).toBe(false);
  });
});
