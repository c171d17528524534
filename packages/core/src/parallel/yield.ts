/**
 * Cooperative time-slicing for long single-thread work (no pool, or a small pool). A
 * macrotask turn lets the host breathe between slices: a browser tab repaints, a Node
 * process answers its sockets and IPC, a test runner's worker answers its RPC (vitest
 * fails a run whose worker stays blocked for 60 s). setTimeout exists in browsers,
 * workers and Node, so core stays host-neutral.
 */
export function yieldToHost(): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/** Rough budget of synchronous work between two yields, in voxels or elements. */
export const SLICE_WORK_ITEMS = 4_000_000;

/**
 * A yield that happens only once `budget_ms` of synchronous work has passed since the last
 * one: cheap enough to call after every file or slice of a long loop.
 */
export function yieldEvery(budget_ms = 100): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < budget_ms) return;
    await yieldToHost();
    last = performance.now();
  };
}
