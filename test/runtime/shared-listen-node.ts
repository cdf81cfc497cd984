// The Node binary for the tests of worker threads that serve HTTP themselves: a Node whose
// threads can share a listening socket (22.12+ or 23.1+, on Linux). This process's Node when
// it is one; else Node 22 through `npx -y node@22`, found once. When neither can be had the
// tests fail with the reason: they never skip.
import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll } from 'vitest';
import type { NodeProcess } from './cluster-helpers.js';
import { nodeHasReusePort } from '../../dist/runtime/shared-listen.js';

let found: string | null = null;

export function sharedListenNode(): string {
  if (found !== null) return found;
  if (process.platform !== 'linux') {
    throw new Error(`worker threads share a listening socket on Linux only; this is ${process.platform}: run these tests on Linux`);
  }
  if (nodeHasReusePort(process.versions.node)) return (found = process.execPath);
  let path: string;
  try {
    path = execFileSync('npx', ['-y', 'node@22', '-p', 'process.execPath'], { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    throw new Error(`Node ${process.versions.node} cannot share a listening socket between threads, and "npx -y node@22" failed: ${(e as Error).message}`);
  }
  const version = execFileSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  if (!nodeHasReusePort(version)) throw new Error(`"npx -y node@22" gave Node ${version}, which cannot share a listening socket between threads`);
  return (found = path);
}

/** What a test file of such nodes keeps: the nodes and temporary directories of the test running. */
export interface SharedListenFile {
  /** Nodes started by the test: stopped after it. */
  readonly running: NodeProcess[];
  /** Removals of the test's temporary directories: run after it. */
  readonly cleanups: Array<() => void>;
}

/** Registers a test file's hooks: that Node found before its tests, each test's nodes stopped and directories removed after it. */
export function sharedListenFile(): SharedListenFile {
  const file: SharedListenFile = { running: [], cleanups: [] };
  beforeAll(() => {
    sharedListenNode();
  }, 300_000);
  afterEach(async () => {
    await Promise.all(file.running.splice(0).map((n) => n.stop()));
    file.cleanups.splice(0).forEach((c) => c());
  });
  return file;
}
