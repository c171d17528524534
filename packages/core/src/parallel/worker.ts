/**
 * What a pool's worker thread needs of core, and nothing more: every task by name and the
 * error helpers to send a failure back. A worker used to import all of core (its index: DICOM
 * writing, reports, PDF, signing, …), about 1.3 s of CPU per worker on the 2-core bench
 * machine; then every task module (all-tasks.ts), about 120 ms. Now a task's module loads when
 * the worker first runs that task (task-modules.ts). Hosts import this module as
 * `@scan2print/core/worker`; parallel/worker.spec.ts checks it reaches every task the index does.
 */
import { getTask, hasTask, taskNames, type TaskFn } from './registry.js';
import { loadTaskModule } from './task-modules.js';
import './warm.js';
import { ScanError } from '../errors.js';

export { getTask, type TaskFn } from './registry.js';
export { loadTaskModule } from './task-modules.js';
export * from '../errors.js';
// The host's deflater for this thread's 3MF tasks (the CLI's worker entry sets node:zlib).
export { setThreadDeflater } from '../formats/thread-deflater.js';

/**
 * The task called `name`, its module loaded first if this worker has not run one of its tasks
 * yet. A name task-modules.ts does not place (a task of a new module, added to all-tasks.ts
 * only) still runs: every task module is then loaded, as before the table.
 */
export async function loadTask(name: string): Promise<TaskFn> {
  try {
    if (!hasTask(name)) await loadTaskModule(name);
    if (!hasTask(name)) await import('./all-tasks.js');
  } catch (err) {
    // Mid-job, V8 would say only "Unexpected end of input" (no file) of a half-written module.
    const e = err as { name?: string; message?: string } | undefined;
    const why = `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
    const message = `a worker thread could not load the module of task ${name} (${why}): the compiled files are incomplete or changed while this ran (a build at the same time?)`;
    throw new ScanError('WORKER_FAILED', message, { kind: 'internal', cause: err });
  }
  return getTask(name); // a name no module registers throws here: `unknown worker task "…"`
}

/** The tasks whose modules this worker has loaded so far. */
export function loadedTaskNames(): string[] {
  return taskNames();
}
