// The Node binary for the tests of worker threads that serve HTTP themselves: a Node whose
// threads can share a listening socket (22.12+ or 23.1+, on Linux). This process's Node when
// it is one; else Node 22 through `npx -y node@22`, found once. When neither can be had the
// tests fail with the reason: they never skip.
import { execFileSync } from 'node:child_process';
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
