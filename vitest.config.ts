import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

/**
 * Tests that measure what real nodes do under a paced load (admission counts, kill -9 at
 * random points) or how soon their threads run (the threads of a start joining their port):
 * they run after every other file, one file at a time, so that the rest of the suite does
 * not starve the nodes they measure.
 */
const ALONE = ['test/runtime/limit-req-cluster.test.ts', 'test/runtime/crash.test.ts', 'test/runtime/listen-together.test.ts'];

// Tests run against the compiled packages (dist/), the same code that the worker threads
// they start load; `npm test` builds first (pretest). `zonesync` is the package's main entry;
// its subpaths (zonesync/express-rate-limit, ...) resolve through package.json "exports", as
// they do for a user.
export default defineConfig({
  resolve: {
    alias: [{ find: /^zonesync$/, replacement: fileURLToPath(new URL('./dist/index.js', import.meta.url)) }],
  },
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ALONE, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
