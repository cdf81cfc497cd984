// `pm2 reload` of an app whose instances are cluster members (PM2 cluster mode, 2
// instances, startClusterMember then HTTP), run by the real PM2 with its home in a temp
// dir: PM2 starts each instance's new process while the old one still holds the member's
// sync address, and stops the old one only after. The reload must keep HTTP answered
// throughout and end with both new processes serving and syncing the zone.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { consecutivePorts, freePorts, tempDir, waitFor } from './cluster-helpers.js';

const APP = fileURLToPath(new URL('../fixtures/cluster/pm2-app.mjs', import.meta.url));
const PM2 = join(createRequire(import.meta.url).resolve('pm2/package.json'), '..', 'bin', 'pm2');

interface Answer { pid: number; instance: string; value: string | null }

/** One request on a connection of its own (PM2's primary hands each to an instance). */
function ask(port: number, query: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: `/?${query}`, agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as Answer) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

it('pm2 reload of 2 cluster-mode instances keeps every request answered, and the new instances sync the zone', async () => {
  const { dir, cleanup } = tempDir();
  // PM2's home in the temp dir; the "touch" file and PM2_DISABLE_VERSION_CHECK keep it off the network.
  const home = join(dir, 'pm2');
  const env = { ...process.env, PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: 'true' };
  const pm2 = (...args: string[]) => promisify(execFile)(process.execPath, [PM2, ...args], { env, cwd: dir });
  try {
    await pm2('ping');
    writeFileSync(join(home, 'touch'), '0');
    const [http] = await freePorts(1);
    const base = await consecutivePorts(2);
    writeFileSync(join(dir, 'ecosystem.config.cjs'), `module.exports = { apps: [{
      name: 'zs', script: ${JSON.stringify(APP)}, exec_mode: 'cluster', instances: 2,
      env: { ZONESYNC_CLUSTER_MEMBERS: '2', SYNC_BASE_PORT: '${base}', HTTP_PORT: '${http}' },
    }] };\n`);
    await pm2('start', join(dir, 'ecosystem.config.cjs'));

    const before = new Map<string, number>();
    await waitFor(async () => {
      const a = await ask(http!, 'set=greeting&value=hello&get=greeting');
      before.set(a.instance, a.pid);
      return before.size === 2;
    }, 60_000, () => `both instances never answered: ${[...before]}`);
    // Every instance reads the key, whichever wrote it.
    const readers = new Set<string>();
    await waitFor(async () => {
      const a = await ask(http!, 'get=greeting');
      if (a.value === 'hello') readers.add(a.instance);
      return readers.size === 2;
    }, 30_000, () => `instances that read the key: ${[...readers]}`);

    // Requests all through the reload, one connection each.
    const failures: string[] = [];
    let answered = 0;
    let reloading = true;
    const load = (async () => {
      while (reloading) {
        try {
          await ask(http!, 'get=greeting');
          answered++;
        } catch (error) {
          failures.push((error as Error).message);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      await pm2('reload', 'zs');
    } finally {
      reloading = false;
      await load;
    }
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(0);

    // Both instances are new processes, each a member that took over its address, and they sync.
    const after = new Map<string, Answer>();
    await waitFor(async () => {
      const a = await ask(http!, 'get=greeting');
      if (a.pid !== before.get(a.instance) && a.value === 'hello') after.set(a.instance, a);
      return after.size === 2;
    }, 60_000, () => `new instances serving the old key: ${JSON.stringify([...after])}`);
    await ask(http!, 'set=after&value=reload');
    const seen = new Set<string>();
    await waitFor(async () => {
      const a = await ask(http!, 'get=after');
      if (a.value === 'reload' && a.pid === after.get(a.instance)?.pid) seen.add(a.instance);
      return seen.size === 2;
    }, 30_000, () => `instances that read the key written after the reload: ${[...seen]}`);
    // No new process failed and was restarted by PM2: one restart each, the reload's.
    const processes = JSON.parse((await pm2('jlist')).stdout) as { name: string; pm2_env: { status: string; restart_time: number; unstable_restarts: number } }[];
    expect(processes.filter((p) => p.name === 'zs').map((p) => p.pm2_env)).toEqual([0, 1].map(() => expect.objectContaining({ status: 'online', restart_time: 1, unstable_restarts: 0 })));
    // Each new process said that it waited for the old one of its instance.
    const logs = readdirSync(join(home, 'logs')).map((f) => readFileSync(join(home, 'logs', f), 'utf8')).join('\n');
    for (const i of [0, 1]) {
      expect(logs).toContain(`cluster member ${i} of 2: 127.0.0.1:${base + i} is in use; waiting up to 30000 ms for the previous member ${i} to exit`);
    }
  } finally {
    await pm2('kill').catch(() => undefined);
    const pidFile = join(home, 'pm2.pid');
    if (existsSync(pidFile)) {
      try { process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL'); } catch { /* gone */ }
    }
    cleanup();
  }
}, 180_000);
