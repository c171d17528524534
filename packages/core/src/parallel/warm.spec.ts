import { describe, expect, it } from 'vitest';
import { createInlinePool, type WorkerPool } from './pool.js';
import { getTask } from './registry.js';
import { WARM_TASK, warmPool } from './warm.js';
import './all-tasks.js';

/** A pool of `size` that runs inline and records the tasks it was given. */
function recordingPool(size: number, fail = false): { pool: WorkerPool; tasks: string[] } {
  const inline = createInlinePool();
  const tasks: string[] = [];
  return {
    tasks,
    pool: {
      size,
      run<R>(task: string, payload: unknown): Promise<R> {
        tasks.push(task);
        return fail ? Promise.reject(new Error('worker could not start')) : inline.run<R>(task, payload);
      },
      close: () => inline.close(),
    },
  };
}

describe('warmPool', () => {
  it('starts a pool of several workers with one no-op task a worker can run, and leaves a one-thread pool alone', async () => {
    const many = recordingPool(2);
    warmPool(many.pool);
    expect(many.tasks).toEqual([WARM_TASK]);
    expect(await getTask(WARM_TASK)(null)).toBeNull();
    const one = recordingPool(1);
    warmPool(one.pool);
    warmPool(undefined);
    expect(one.tasks).toEqual([]);
  });

  it('does not surface a pool that fails to start as an unhandled rejection (the first real task reports it)', async () => {
    const broken = recordingPool(4, true);
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    warmPool(broken.pool);
    await new Promise((r) => setTimeout(r, 20));
    process.off('unhandledRejection', onUnhandled);
    expect(broken.tasks).toEqual([WARM_TASK]);
    expect(unhandled).toEqual([]);
  });
});
