/**
 * Slab scheduling shared by the segmentation kernels. A kernel is a plain function of
 * a payload (typed arrays + a range); the same function runs inline or, registered in
 * segment/tasks.ts, on a worker of the host's pool. Outputs are written in place into
 * SharedArrayBuffer-backed arrays, so the result does not depend on the pool size or
 * on the order slabs finish.
 */
import type { StageContext } from '../../pipeline/record.js';
import { slabRanges, type WorkerPool } from '../../parallel/pool.js';

export { isShared, toShared } from '../../parallel/pool.js';

/** Below this many voxels a volume is processed on the calling thread. */
export const MIN_PARALLEL_VOXELS = 1 << 20;

export type NumArray = Float32Array | Int16Array | Uint8Array | Uint16Array;

/** Allocate an output array, shared when it will be written by workers. */
export function allocLike<T extends NumArray>(Ctor: new (n: number | ArrayBufferLike) => T, n: number, shared: boolean): T {
  if (shared && typeof SharedArrayBuffer !== 'undefined') {
    const bytes = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT * n;
    return new Ctor(new SharedArrayBuffer(bytes));
  }
  return new Ctor(n);
}

/** The pool to use for `voxels` voxels, or undefined for the calling thread. */
export function poolFor(ctx: StageContext | undefined, voxels: number): WorkerPool | undefined {
  const pool = ctx?.pool;
  if (!pool || pool.size <= 1 || voxels < MIN_PARALLEL_VOXELS) return undefined;
  return pool;
}

/**
 * Runs `kernel` over [0, n) split into slabs: on the pool by task name when one is
 * given, else inline. `payload(a, b)` builds the payload of slab [a, b).
 */
export async function runSlabs<P>(
  pool: WorkerPool | undefined,
  task: string,
  kernel: (p: P) => unknown,
  n: number,
  payload: (a: number, b: number) => P,
): Promise<void> {
  if (!pool) {
    kernel(payload(0, n));
    return;
  }
  // A few slabs per worker balances uneven slabs without much overhead.
  const ranges = slabRanges(n, pool.size * 2);
  await Promise.all(ranges.map(([a, b]) => pool.run(task, payload(a, b))));
}
