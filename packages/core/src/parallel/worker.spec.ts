// A worker thread imports only parallel/worker.ts and loads a task's module when it first runs
// that task (task-modules.ts); every task that core registers anywhere must be reachable that
// way, or a worker would load every task module for it (or answer "unknown worker task").
import { describe, expect, it, vi } from 'vitest';

/** worker.ts in a module graph of its own: no task module loaded by an earlier test. */
async function freshWorker(): Promise<typeof import('./worker.js')> {
  vi.resetModules();
  return import('./worker.js');
}

describe('the worker module', () => {
  it('loads no task module until a task of it is run, then only that module', async () => {
    const worker = await freshWorker();
    expect(worker.loadedTaskNames()).toEqual(['parallel.warm']);
    expect(typeof (await worker.loadTask('formats.deflate-chunk'))).toBe('function');
    // the formats module's tasks (a chunk's deflate, a whole 3MF), and no other module's
    expect(worker.loadedTaskNames()).toEqual(['formats.3mf-file', 'formats.deflate-chunk', 'parallel.warm']);
    expect(worker.isScanError(new worker.ScanError('X', 'y', { kind: 'input' }))).toBe(true);
  });

  it('names, for every task that all of core registers, the module that registers it', async () => {
    const worker = await freshWorker();
    await import('../index.js');
    const full = worker.loadedTaskNames();
    expect(full.length).toBeGreaterThan(20);
    expect(full).toContain('dicom.decodeIntoStack');
    for (const task of full.filter((t) => t !== 'parallel.warm')) {
      const alone = await freshWorker();
      expect(await alone.loadTaskModule(task), task).toBe(true);
      expect(alone.loadedTaskNames(), task).toContain(task);
    }
  });

  it('looks in every task module for a name the table lacks before calling it unknown', async () => {
    const worker = await freshWorker();
    expect(await worker.loadTaskModule('no.such.task')).toBe(false);
    await expect(worker.loadTask('no.such.task')).rejects.toThrow('unknown worker task "no.such.task"');
    const loaded = worker.loadedTaskNames();
    await import('./all-tasks.js');
    expect(loaded.length).toBeGreaterThan(20);
    expect(loaded).toEqual(worker.loadedTaskNames());
  });

  it('says a task module that fails to load is a worker that could not load it, naming the task', async () => {
    vi.doMock('../formats/tasks.js', () => {
      throw new SyntaxError('Unexpected end of input');
    });
    try {
      const worker = await freshWorker();
      const err = await worker.loadTask('formats.deflate-chunk').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(worker.isScanError(err)).toBe(true);
      if (!worker.isScanError(err)) return;
      expect(err.kind).toBe('internal');
      expect(err.message).toContain('could not load the module of task formats.deflate-chunk');
      expect(err.code).toBe('WORKER_FAILED');
    } finally {
      vi.doUnmock('../formats/tasks.js');
    }
  });
});
