import { configDefaults, defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { SHARED_MODULE_SPECS } from './test/shared-module-specs.js';

const shared = [...SHARED_MODULE_SPECS];

export default defineConfig({
  resolve: {
    alias: {
      // Specs run against the source of core; workers run the compiled dist (built first).
      '@scan2print/core': fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url)),
      '@scan2print/server': fileURLToPath(new URL('./packages/server/src/index.ts', import.meta.url)),
    },
  },
  test: {
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Test processes are reused (isolate: false here), so the short specs of project
    // 'shared-modules' (test/shared-module-specs.ts) load core and the server once per process,
    // not once per file. Every other spec gets a fresh module graph (its project's isolate:
    // true resets the modules before each file) in a reused process.
    poolOptions: { forks: { maxForks: 2, minForks: 1, isolate: false } },
    reporters: ['default'],
    setupFiles: ['test/loop-watch.ts'],
    globalSetup: ['test/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'isolated', include: ['packages/*/src/**/*.spec.ts', 'test/**/*.spec.ts'], exclude: [...configDefaults.exclude, ...shared], poolOptions: { forks: { isolate: true } } } },
      { extends: true, test: { name: 'shared-modules', include: shared, poolOptions: { forks: { isolate: false } } } },
    ],
  },
});
