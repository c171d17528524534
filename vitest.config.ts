import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  resolve: {
    alias: {
      // Specs run against the source of core; workers run the compiled dist (built first).
      '@scan2print/core': fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url)),
      '@scan2print/server': fileURLToPath(new URL('./packages/server/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['packages/*/src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
    setupFiles: ['test/loop-watch.ts'],
    globalSetup: ['test/global-setup.ts'],
  },
});
