/**
 * Vitest setup: watches the test worker's event loop and names any test that blocked it
 * for long. A vitest worker whose loop is blocked cannot answer the runner's RPC; past 60 s
 * the run fails with "Timeout calling onTaskUpdate", and a loaded 2-core CI machine turns a
 * 20 s synchronous step into 60 s. Specs must await long work (child processes through
 * test/run-tool.ts, heavy core work on the pool or in small synchronous pieces). This only
 * reports (a warning on stderr); it asserts nothing about time.
 */
import { afterEach, beforeEach, expect } from 'vitest';

const WARN_MS = 15_000;
const TICK_MS = 250;
let last = performance.now();
let worst = 0;
const timer = setInterval(() => {
  const now = performance.now();
  worst = Math.max(worst, now - last - TICK_MS);
  last = now;
}, TICK_MS);
timer.unref();

function report(when: string): void {
  worst = Math.max(worst, performance.now() - last - TICK_MS);
  if (worst > WARN_MS) {
    const s = expect.getState();
    process.stderr.write(`[loop-watch] ${when} ${s.currentTestName ?? '?'} (${s.testPath ?? '?'}) the event loop was blocked for ${(worst / 1000).toFixed(1)} s\n`);
  }
  worst = 0;
  last = performance.now();
}

beforeEach(() => report('before')); // a beforeAll hook or module loading

afterEach(() => report('in'));
