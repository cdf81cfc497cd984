// The package as a user gets it: `npm pack` of this repository installed with `npm install`
// into an empty project (its runtime dependencies come from the registry; native-free-shm is
// bundled), compiled against from TypeScript with strict settings, and run: a zone shared by
// two threads. Also what the tarball holds: the licence, the documentation its README links
// to, sources for its source maps, and no build leftovers. Everything lives in a temporary
// directory, npm's cache included.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CONSUMER = fileURLToPath(new URL('./consumer/', import.meta.url));
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

let tmp = '';
let app = '';
let installed = '';
let env: NodeJS.ProcessEnv = {};

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** The package's own files, as the tarball held them (the bundled dependency included). */
const packaged = () => [...files(installed)].map((f) => relative(installed, f)).sort();

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'zonesync-pack-'));
  app = join(tmp, 'app');
  env = {
    ...process.env,
    npm_config_cache: join(tmp, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  await run('npm', ['pack', '--pack-destination', tmp], { cwd: REPO, env });
  const tarball = readdirSync(tmp).find((f) => /^zonesync-.*\.tgz$/.test(f));
  expect(tarball, `npm pack wrote no tarball in ${tmp}`).toBeDefined();
  await run('mkdir', [app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', join(tmp, tarball!)], { cwd: app, env });
  installed = join(app, 'node_modules', 'zonesync');
}, 240_000);

afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

describe('the packed package, installed in an empty project', () => {
  it('holds the licence, the README and docs, the bundled native-free-shm, and no build leftovers', () => {
    const list = packaged();
    for (const path of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/primary.js', 'examples/zonesync.conf',
      'docs/PROTOCOL.md', 'docs/ARCHITECTURE.md', 'docs/DECISIONS.md',
      'node_modules/native-free-shm/package.json', 'node_modules/native-free-shm/LICENSE', 'node_modules/native-free-shm/dist/index.js']) {
      expect(list, path).toContain(path);
    }
    expect(list.filter((f) => /tsbuildinfo|^test\/|^bench\/|^dist-bench\/|tsconfig/.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('resolves native-free-shm to its bundled copy: nothing of it is fetched from a registry', () => {
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { inBundle?: boolean; resolved?: string }> };
    const entry = lock.packages['node_modules/zonesync/node_modules/native-free-shm'];
    expect(entry?.inBundle).toBe(true);
    expect(entry?.resolved).toBeUndefined();
    expect(Object.keys(lock.packages).filter((p) => p.endsWith('native-free-shm'))).toEqual(['node_modules/zonesync/node_modules/native-free-shm']);
  });

  it('has every source its source maps name, and every map its code names', () => {
    let maps = 0;
    for (const file of packaged().filter((f) => f.endsWith('.map'))) {
      const map = JSON.parse(readFileSync(join(installed, file), 'utf8')) as { sources: string[]; sourceRoot?: string };
      for (const source of map.sources) expect(existsSync(resolve(installed, dirname(file), map.sourceRoot ?? '', source)), `${file} → ${source}`).toBe(true);
      maps++;
    }
    expect(maps).toBeGreaterThan(100);
    for (const file of packaged().filter((f) => /\.(js|d\.ts)$/.test(f) && f.includes('dist/'))) {
      const named = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(installed, file), 'utf8'))?.[1];
      if (named !== undefined) expect(existsSync(join(installed, dirname(file), named)), `${file} → ${named}`).toBe(true);
    }
  });

  it('has every file its README links to', () => {
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(3);
    for (const link of links) expect(existsSync(join(installed, link)) && statSync(join(installed, link)).isFile(), link).toBe(true);
  });

  it('runs the node\'s CLI through the package\'s bin: npx zonesync', async () => {
    const version = await run('npx', ['--no-install', 'zonesync', '--version'], { cwd: app, env });
    expect(version.stdout.trim()).toContain(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
    const tested = await run('npx', ['--no-install', 'zonesync', '-t', '-c', join(installed, 'examples', 'zonesync.conf')], { cwd: app, env });
    expect(`${tested.stdout}${tested.stderr}`).toMatch(/test is successful/);
  }, 60_000);

  it('compiles a strict TypeScript program against it and runs it: a zone created in one thread, attached in another, each seeing the other\'s write', async () => {
    for (const name of ['main.ts', 'tsconfig.json']) copyFileSync(join(CONSUMER, name), join(app, name));
    try {
      await run(process.execPath, [TSC, '-p', app, '--typeRoots', join(REPO, 'node_modules', '@types')], { cwd: app, env });
    } catch (error) {
      throw new Error(`tsc failed:\n${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`);
    }
    const { stdout } = await run(process.execPath, [join(app, 'out', 'main.js')], { cwd: app, env, timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ workerSaw: 'hello', mainSees: 'hi' });
  }, 120_000);
});
