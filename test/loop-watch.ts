/**
 * Vitest setup: watches the test worker's event loop and names any test that blocked it
 * for long. A vitest worker whose loop is blocked cannot answer the runner's RPC; past 60 s
 * the run fails with "Timeout calling onTaskUpdate", and a loaded 2-core CI machine turns a
 * 20 s synchronous step into 60 s. Specs must await long work (child processes through
 * test/run-tool.ts, heavy core work on the pool or in small synchronous pieces). This only
 * reports (a warning on stderr); it asserts nothing about time.
 */
import { afterEach, beforeEach, expect } from 'vitest';

// SCAN2PRINT_LOOP_WARN_MS=2000 lists the smaller blocks too (what a loaded machine stretches
// three- or fourfold): how the blocks of identify, convert-rescan, audit and
// self-intersections specs were found (they now await core's yieldToHost between pieces).
const WARN_MS = Number(process.env.SCAN2PRINT_LOOP_WARN_MS ?? 15_000);
const TICK_MS = 250;
// One watch per process: a test process may run several spec files (vitest.config.ts,
// project 'shared-modules'), and this file runs again before each of them.
interface Watch {
  last: number;
  worst: number;
}
const KEY = Symbol.for('scan2print.loop-watch');
const g = globalThis as typeof globalThis & { [KEY]?: Watch };
const w: Watch = (g[KEY] ??= (() => {
  const state: Watch = { last: performance.now(), worst: 0 };
  setInterval(() => {
    const now = performance.now();
    state.worst = Math.max(state.worst, now - state.last - TICK_MS);
    state.last = now;
  }, TICK_MS).unref();
  return state;
})());

function report(when: string): void {
  w.worst = Math.max(w.worst, performance.now() - w.last - TICK_MS);
  if (w.worst > WARN_MS) {
    const s = expect.getState();
    process.stderr.write(`[loop-watch] ${when} ${s.currentTestName ?? '?'} (${s.testPath ?? '?'}) the event loop was blocked for ${(w.worst / 1000).toFixed(1)} s\n`);
  }
  w.worst = 0;
  w.last = performance.now();
}

beforeEach(() => report('before')); // a beforeAll hook or module loading

afterEach(() => report('in'));
