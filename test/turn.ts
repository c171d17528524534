/**
 * One turn of the event loop, for specs that run long synchronous core work (seconds each)
 * in sequence: awaiting it between the pieces lets the test process answer vitest's RPC.
 * A loaded 2-core CI machine stretches 5 s of blocked loop to ~18 s; past 60 s the run
 * fails ("Timeout calling onTaskUpdate"; test/loop-watch.ts names the test that did it).
 */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
