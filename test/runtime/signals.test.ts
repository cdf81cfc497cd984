// nginx's command line for a running node: the `pid` directive's file is written at start
// and removed at exit, and `-s quit|stop|reload|reopen` signals the process it names. Real
// node processes, real signals.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NodeProcess, PRIMARY, api, cleanupsAfterEach, freePorts, waitFor, writeConfig } from './cluster-helpers.js';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [PRIMARY, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function nodeConfig(dir: string, http: number, extra = ''): string {
  return `pid ${join(dir, 'run', 'zonesync.pid')};
error_log ${join(dir, 'error.log')} info;
${extra}
http {
    server {
        listen 127.0.0.1:${http};
        location /api { api write=on; }
    }
}
`;
}

describe('pid file and -s', () => {
  const cleanups = cleanupsAfterEach();

  async function started(extra = ''): Promise<{ dir: string; conf: string; node: NodeProcess; http: number; pidPath: string }> {
    const dir = cleanups.tempDir();
    const [http] = await freePorts(1);
    const conf = writeConfig(dir, 'node.conf', nodeConfig(dir, http!, extra));
    const node = new NodeProcess(conf);
    cleanups.push(() => node.stop());
    await node.ready();
    return { dir, conf, node, http: http!, pidPath: join(dir, 'run', 'zonesync.pid') };
  }

  it.each([['quit'], ['stop']])('-s %s ends the node, which removes its pid file', async (signal) => {
    const { conf, node, pidPath } = await started();
    expect(readFileSync(pidPath, 'utf8')).toBe(`${node.child.pid}\n`);
    const r = cli(['-c', conf, '-s', signal]);
    expect(r.code, r.err).toBe(0);
    expect(await node.exited).toBe(0);
    expect(existsSync(pidPath)).toBe(false);
  });

  it('-s reload applies the changed configuration (a new generation in /api/9/nginx)', async () => {
    const { dir, conf, http } = await started();
    expect((await api(http, '/api/9/nginx')).body.generation).toBe(0);
    writeFileSync(conf, nodeConfig(dir, http, 'worker_processes 1;'));
    expect(cli(['-c', conf, '-s', 'reload']).code).toBe(0);
    await waitFor(async () => (await api(http, '/api/9/nginx')).body.generation === 1, 10_000, () => 'the reload was not applied');
    expect(readFileSync(join(dir, 'error.log'), 'utf8')).toContain('configuration reloaded');
  });

  it('-s reopen writes to a new error log after the old one was moved away', async () => {
    const { dir, conf } = await started();
    const log = join(dir, 'error.log');
    await waitFor(() => existsSync(log), 5_000, () => 'no error log');
    renameSync(log, join(dir, 'error.log.1'));
    expect(cli(['-c', conf, '-s', 'reopen']).code).toBe(0);
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('log files reopened'), 10_000, () => 'the log was not reopened');
    expect(readFileSync(join(dir, 'error.log.1'), 'utf8')).not.toContain('log files reopened');
  });

  it.each([
    ['an unknown signal', (conf: string) => ['-c', conf, '-s', 'restart'], /invalid option: "-s restart"/],
    ['no pid directive', (conf: string) => ['-c', conf.replace('node.conf', 'nopid.conf'), '-s', 'reload'], /no "pid" directive in .*nopid\.conf/],
    ['no pid file', (conf: string) => ['-c', conf, '-s', 'quit'], /\[error\] open\(\) ".*zonesync\.pid" failed \(ENOENT/],
    ['a pid file without a number', (conf: string) => {
      writeFileSync(join(conf, '..', 'run', 'zonesync.pid'), 'x\n');
      return ['-c', conf, '-s', 'quit'];
    }, /invalid PID number "x"/],
    ['a process that is gone', (conf: string) => {
      writeFileSync(join(conf, '..', 'run', 'zonesync.pid'), '999999999\n');
      return ['-c', conf, '-s', 'quit'];
    }, /kill\(999999999, SIGQUIT\) failed \(ESRCH/],
  ])('-s with %s fails with the reason, exit 1', async (_what, args, message) => {
    const dir = cleanups.tempDir();
    const conf = writeConfig(dir, 'node.conf', nodeConfig(dir, 1));
    writeConfig(dir, 'nopid.conf', 'http { }\n');
    spawnSync('mkdir', ['-p', join(dir, 'run')]);
    const r = cli(args(conf));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });
});
