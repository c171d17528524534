/**
 * Named tasks a worker can run. Modules register their slab kernels here (in a
 * `tasks.ts` of their own, imported by `all-tasks.ts`), so a worker that imports
 * `@scan2print/core` can run any of them by name.
 */
export type TaskFn = (payload: any) => unknown | Promise<unknown>;

const tasks = new Map<string, TaskFn>();

export function registerTask(name: string, fn: TaskFn): void {
  tasks.set(name, fn);
}

export function hasTask(name: string): boolean {
  return tasks.has(name);
}

export function getTask(name: string): TaskFn {
  const fn = tasks.get(name);
  if (!fn) throw new Error(`unknown worker task "${name}"`);
  return fn;
}

export function taskNames(): string[] {
  return [...tasks.keys()].sort();
}
