/**
 * runSlabs with time-slicing: on the pool, as segment/filters/slabs.ts does; without one,
 * the range is cut into pieces of at most `unitsPerPiece` and the calling thread yields
 * to its host between pieces (a test runner or a browser tab must not be blocked for the
 * many seconds a forest takes on one core). Kernels write disjoint ranges, so the result
 * is the same however the range is cut.
 */
import type { WorkerPool } from '../../parallel/pool.js';
import { yieldEvery } from '../../parallel/yield.js';
import { runSlabs } from '../filters/slabs.js';

export async function forestSlabs<P>(
  pool: WorkerPool | undefined,
  task: string,
  kernel: (p: P) => unknown,
  n: number,
  unitsPerPiece: number,
  payload: (a: number, b: number) => P,
): Promise<void> {
  if (pool) return runSlabs(pool, task, kernel, n, payload);
  const step = Math.max(1, Math.floor(unitsPerPiece));
  const pause = yieldEvery(100);
  for (let a = 0; a < n; a += step) {
    kernel(payload(a, Math.min(n, a + step)));
    await pause();
  }
}

/** Planes per piece so a piece holds about 2 M voxels. */
export function planesPerPiece(planeVoxels: number): number {
  return Math.max(1, Math.floor(2_000_000 / Math.max(1, planeVoxels)));
}
