// A handler module's file is checked with the configuration, as nginx checks the files its
// directives name: `-t`, a start and a HUP reload fail on a zonesync_handler or --handler
// file that is not a readable regular file, naming the directive, the path, the reason and
// where it was written; the module is not run. Real `node dist/primary.js` processes.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startNode } from 'zonesync';
import { api, cleanupsAfterEach, freePorts, NodeProcess, PRIMARY, waitFor, writeConfig } from './cluster-helpers.js';

const cleanups = cleanupsAfterEach();

/** Handler paths that cannot be loaded, made under `dir` (as root can read any file, none of them is a mode-000 file). */
const UNREADABLE = [
  { name: 'a missing file', make: (_dir: string) => 'app/missing.mjs', reason: 'ENOENT: No such file or directory' },
  { name: 'a directory', make: (dir: string) => { mkdirSync(join(dir, 'app/handlers'), { recursive: true }); return 'app/handlers'; }, reason: 'EISDIR: Is a directory' },
  { name: 'a dangling symbolic link', make: (dir: string) => { symlinkSync('gone.mjs', join(dir, 'app/link.mjs')); return 'app/link.mjs'; }, reason: 'ENOENT: No such file or directory' },
  { name: 'a device', make: (dir: string) => { symlinkSync('/dev/null', join(dir, 'app/null.mjs')); return 'app/null.mjs'; }, reason: 'not a regular file' },
  { name: 'a path through a regular file', make: (dir: string) => { writeFileSync(join(dir, 'app/plain'), 'x'); return 'app/plain/handler.mjs'; }, reason: 'ENOTDIR: Not a directory' },
];

const NAMED_BY = [
  {
    by: 'zonesync_handler',
    // Written relative: it resolves against the configuration file's directory (conf/), not the working directory.
    setup: (relative: string) => ({ directive: `zonesync_handler ../${relative};`, args: [] as string[] }),
    where: (conf: string) => `in ${conf}:6`,
    what: 'zonesync_handler',
  },
  {
    by: '--handler',
    // Given relative: it resolves against the working directory.
    setup: (relative: string) => ({ directive: '', args: ['--handler', relative] }),
    where: () => 'given on the command line',
    what: '--handler',
  },
];

function configText(http: number, directive: string, extraLocation = ''): string {
  return `worker_processes 1;
http {
    server {
        listen 127.0.0.1:${http};
        location /app {
            ${directive}
        }
        ${extraLocation}
    }
}
`;
}

/** Runs `node dist/primary.js ARGS` in `cwd` until it exits, or until it announces it serves (then stops it). */
async function runPrimary(args: string[], cwd: string): Promise<{ outcome: number | 'started'; output: string }> {
  const child = spawn(process.execPath, [PRIMARY, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | 'started'>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  const started = new Promise<'started'>((resolve) => {
    const look = (d: Buffer) => {
      output += d;
      if (/serving http:\/\//.test(output)) resolve('started');
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
  });
  const outcome = await Promise.race([exited, started]);
  if (outcome === 'started') {
    child.kill('SIGKILL');
    await exited;
  }
  return { outcome, output };
}

/** A temp directory with conf/ (the configuration) and app/ (handler files) in it. */
function layout(): { dir: string; confDir: string } {
  const dir = cleanups.tempDir();
  mkdirSync(join(dir, 'conf'));
  mkdirSync(join(dir, 'app'));
  return { dir, confDir: join(dir, 'conf') };
}

describe('a handler file that cannot be read', () => {
  const cases = ['-t', 'start'].flatMap((mode) => NAMED_BY.flatMap((named) => UNREADABLE.map((file) => ({ mode, ...named, ...file }))));

  it.each(cases)('$mode fails on $name named by $by, naming it', async ({ mode, setup, where, what, make, reason }) => {
    const { dir, confDir } = layout();
    const relative = make(dir);
    const [http] = await freePorts(1);
    const { directive, args } = setup(relative);
    const conf = writeConfig(confDir, 'zonesync.conf', configText(http!, directive));
    const resolved = join(dir, relative);
    const { outcome, output } = await runPrimary([...(mode === '-t' ? ['-t'] : []), '-c', conf, ...args], dir);
    expect(outcome, output).toBe(1);
    expect(output).toContain(`zonesync: [emerg] cannot read "${what}" file "${resolved}" (${reason}) ${where(conf)}`);
    if (mode === '-t') expect(output).toContain(`configuration file ${conf} test failed`);
  });

  it.each(['-t', 'start'])('%s accepts a readable handler file, relative to the configuration, without running it', async (mode) => {
    const { dir, confDir } = layout();
    // Run, it would throw at import and write a file: neither may happen at -t nor at start.
    const marker = join(dir, 'imported');
    writeFileSync(join(dir, 'app/handler.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nthrow new Error('imported');\n`);
    const [http] = await freePorts(1);
    const conf = writeConfig(confDir, 'zonesync.conf', configText(http!, 'zonesync_handler ../app/handler.mjs;'));
    const { outcome, output } = await runPrimary([...(mode === '-t' ? ['-t'] : []), '-c', conf], dir);
    expect(outcome, output).toBe(mode === '-t' ? 0 : 'started');
    if (mode === '-t') expect(output).toContain('test is successful');
    expect(existsSync(marker)).toBe(false);
  });
});

describe('a HUP reload naming a handler file that cannot be read', () => {
  const HANDLER = 'export default function handle() { return { body: "old handler" }; }\n';

  it.each([
    { by: 'zonesync_handler', inConfig: true },
    { by: '--handler', inConfig: false },
  ])('is refused with the reason, the old configuration serving on ($by)', async ({ inConfig }) => {
    const { dir, confDir } = layout();
    const handler = join(dir, 'app/handler.mjs');
    writeFileSync(handler, HANDLER);
    const [http] = await freePorts(1);
    const directive = inConfig ? `zonesync_handler ${handler};` : '';
    const conf = writeConfig(confDir, 'zonesync.conf', configText(http!, directive));
    const node = new NodeProcess(conf, inConfig ? [] : ['--handler', handler]);
    cleanups.push(() => node.stop());
    await node.ready();
    expect((await api(http!, '/app')).body).toBe('old handler');

    const missing = join(dir, 'app/missing.mjs');
    const added = 'location /new { return 200 "new configuration"; }';
    if (inConfig) writeConfig(confDir, 'zonesync.conf', configText(http!, `zonesync_handler ${missing};`, added));
    else {
      rmSync(handler);
      writeConfig(confDir, 'zonesync.conf', configText(http!, '', added));
    }
    node.signal('SIGHUP');
    await waitFor(() => /configuration reload failed/.test(node.output), 10_000, () => `no reload failure logged:\n${node.output}`);
    const failure = node.output.split('\n').find((l) => /configuration reload failed/.test(l))!;
    expect(failure).toContain('the old configuration stays');
    expect(failure).toContain(inConfig
      ? `cannot read \\"zonesync_handler\\" file \\"${missing}\\" (ENOENT: No such file or directory) in ${conf}:6`
      : `cannot read \\"--handler\\" file \\"${handler}\\" (ENOENT: No such file or directory) given on the command line`);
    expect((await api(http!, '/new')).status).toBe(404);
    // (With --handler, the file is gone: a worker thread that had not loaded the module yet answers 500.)
    if (inConfig) expect((await api(http!, '/app')).body).toBe('old handler');

    // The file back, the same reload applies: what refused it was the file alone.
    writeFileSync(inConfig ? missing : handler, HANDLER);
    node.signal('SIGHUP');
    await waitFor(async () => (await api(http!, '/new')).body === 'new configuration', 10_000, () => `the reload did not apply:\n${node.output}`);
  });
});

describe('a node embedded with startNode', () => {
  it.each([
    { by: "startNode's handler option", viaOption: true, message: (path: string) => `cannot read "handler" file "${path}" (ENOENT: No such file or directory) given in startNode's options` },
    // Written in code, the location has no file and line to name.
    { by: 'a location written in code', viaOption: false, message: (path: string) => `cannot read "zonesync_handler" file "${path}" (ENOENT: No such file or directory)` },
  ])('does not start with a missing handler file named by $by', async ({ viaOption, message }) => {
    const missing = join(cleanups.tempDir(), 'missing.mjs');
    const [http] = await freePorts(1);
    const location = { pattern: '/app', settings: viaOption ? {} : { handler: missing } };
    const started = startNode({ workerProcesses: 1, http: { servers: [{ listen: [`127.0.0.1:${http}`], locations: [location] }] } }, { workers: 1, ...(viaOption ? { handler: missing } : {}) });
    cleanups.push(() => started.then((node) => node.stop(), () => {}));
    await expect(started).rejects.toMatchObject({ message: message(missing) });
  });
});
