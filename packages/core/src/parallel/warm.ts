/**
 * Starting a host's pool ahead of its first real task. A lazily started pool (the CLI's) spawns
 * its worker threads on the first task, and each worker then loads core (about 0.5 s of CPU
 * each on the 2-core bench machine). The convert job's first pool task is the isosurface, after
 * segmentation, so it used to wait for that start-up; warming the pool when segmentation begins
 * lets the workers load on the otherwise idle cores while segmentation runs on the calling thread.
 */
import type { WorkerPool } from './pool.js';
import { registerTask } from './registry.js';

export const WARM_TASK = 'parallel.warm';

registerTask(WARM_TASK, () => null);

/** Starts the pool's workers without waiting for them; a failure shows again on the first real task. */
export function warmPool(pool: WorkerPool | undefined): void {
  if (!pool || pool.size < 2) return;
  pool.run(WARM_TASK, null).catch(() => {});
}
