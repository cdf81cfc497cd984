import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Tests run against the compiled packages (dist/), the same code that the worker threads
// they start load; `npm test` builds first (pretest).
export default defineConfig({
  resolve: {
    alias: {
      zonesync: fileURLToPath(new URL('./dist/index.js', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
