import type { WorkerPool } from '../packages/core/src/parallel/pool.js';

/**
 * `pool` for a spec that checks which tasks a step sends to it: each task's name is counted in
 * `ran`. Closing it does nothing (the spec closes the pool it made).
 */
export function countingPool(pool: WorkerPool, ran: Map<string, number>): WorkerPool {
  return { size: pool.size, run: (task, payload) => (ran.set(task, (ran.get(task) ?? 0) + 1), pool.run(task, payload)), close: async () => {} };
}
