import { configDefaults, defineConfig } from 'vitest/config';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SHARED_MODULE_SPECS } from './test/shared-module-specs.js';
import { SlowestFirst } from './test/sequencer.js';
import { launcherV8Flags } from './test/launcher.js';

const shared = [...SHARED_MODULE_SPECS];

export default defineConfig({
  resolve: {
    // Specs run against the source of core; workers run the compiled dist (built first).
    // Whole names only: '@scan2print/core/job' is its own entry, not a path under the index.
    alias: [
      { find: /^@scan2print\/core$/, replacement: fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url)) },
      { find: /^@scan2print\/core\/job$/, replacement: fileURLToPath(new URL('./packages/core/src/job-entry.ts', import.meta.url)) },
      { find: /^@scan2print\/server$/, replacement: fileURLToPath(new URL('./packages/server/src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // expect.poll gives up after 1 s by default: a page or server the loaded 2-core machine
    // stalls for longer would fail a check that only waits for it. Polls that wait for real
    // work (a job, a convert) give their own, longer limit.
    expect: { poll: { timeout: 30_000 } },
    pool: 'forks',
    // Test processes are reused (isolate: false here), so the short specs of project
    // 'shared-modules' (test/shared-module-specs.ts) load core and the server once per process,
    // not once per file. Every other spec gets a fresh module graph (its project's isolate:
    // true resets the modules before each file) in a reused process.
    // The V8 flags the `scan2print` launcher passes on this machine (read from it; it says why):
    // specs that run the pipeline in-process run it as the command does.
    poolOptions: { forks: { maxForks: 2, minForks: 1, isolate: false, execArgv: launcherV8Flags(availableParallelism()) } },
    reporters: ['default'],
    // Slowest spec files first, by a committed table of durations (test/sequencer.ts): a fresh clone has no earlier run to sort by.
    sequence: { sequencer: SlowestFirst },
    // test/cpu-by-file.ts does nothing unless SCAN2PRINT_CPU_BY_FILE names a file to write to
    setupFiles: ['test/loop-watch.ts', 'test/cpu-by-file.ts'],
    globalSetup: ['test/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'isolated', include: ['packages/*/src/**/*.spec.ts', 'test/**/*.spec.ts'], exclude: [...configDefaults.exclude, ...shared], poolOptions: { forks: { isolate: true } } } },
      { extends: true, test: { name: 'shared-modules', include: shared, poolOptions: { forks: { isolate: false } } } },
    ],
  },
});
