import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { ScanError, scanErrorFromWire, type ScanErrorWire, type WorkerPool } from '@scan2print/core/job';

interface Job {
  id: number;
  task: string;
  payload: unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * The compiled worker script, beside this module: dist/pool/worker-entry.js, or the bundle's
 * (dist/bundle/, scripts/bundle.mjs). When this module runs from source (tests), the worker
 * still runs the compiled JavaScript in dist/: the test command builds first.
 */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [resolve(here, 'worker-entry.js'), resolve(here, '../../dist/pool/worker-entry.js')]) {
    if (existsSync(p)) return p;
  }
  throw new Error(`worker script not found next to ${here}; run "npm run build" first`);
}

/**
 * The error for a worker that died. A worker that dies before its ready message could not
 * load its modules: V8 then says only "Unexpected end of input" (no file), as when a build
 * rewrites dist/ under a running command; said plainly instead of a bare internal error.
 */
function workerFailure(script: string, err: unknown, loaded: boolean, task: string | undefined): ScanError {
  const e = err as { name?: string; message?: string } | undefined;
  const why = `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
  const message = loaded
    ? `a worker thread stopped${task ? ` while running ${task}` : ''}: ${why}`
    : `a worker thread could not load ${script} and the modules it imports (${why}): the compiled files are incomplete or ` +
      'changed while this command ran (a build at the same time?); finish the build (npm run build) and run the command again';
  return new ScanError('WORKER_FAILED', message, { kind: 'internal', cause: err });
}

/**
 * Most workers a pool starts by default. The launcher (bin/scan2print) keeps V8's background
 * compilers only above this many cores, where the pool leaves some idle (launcher.spec checks the two agree).
 */
export const MAX_POOL_WORKERS = 8;

/** One worker per core this process may use, at most MAX_POOL_WORKERS. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_POOL_WORKERS));
}

/** A pool of worker_threads running @scan2print/core tasks by name. */
export function createNodePool(size = defaultPoolSize()): WorkerPool {
  const script = workerScript();
  const workers: Worker[] = [];
  const idle: Worker[] = [];
  const queue: Job[] = [];
  const running = new Map<Worker, Job>();
  let nextId = 1;
  let closed = false;

  const pump = () => {
    while (idle.length && queue.length) {
      const w = idle.pop()!;
      const job = queue.shift()!;
      running.set(w, job);
      w.postMessage({ id: job.id, task: job.task, payload: job.payload });
    }
  };

  /** Why the last worker died: told to every task that comes after the pool is empty (a warmed pool dies idle). */
  let lastFailure: ScanError | undefined;
  /** A dead worker leaves the pool; when none is left, no queued task would ever run. */
  const retire = (w: Worker, failure: ScanError) => {
    lastFailure = failure;
    const job = running.get(w);
    running.delete(w);
    for (const list of [workers, idle]) if (list.includes(w)) list.splice(list.indexOf(w), 1);
    if (job) job.reject(failure);
    if (workers.length === 0) for (const queued of queue.splice(0)) queued.reject(failure);
  };

  for (let i = 0; i < size; i++) {
    const w = new Worker(script);
    w.unref();
    let loaded = false;
    w.on('message', (msg: { ready?: true; id: number; ok: boolean; result?: unknown; error?: ScanErrorWire }) => {
      if (msg.ready) {
        loaded = true; // worker-entry's modules are all evaluated
        return;
      }
      const job = running.get(w);
      running.delete(w);
      idle.push(w);
      if (job) {
        if (msg.ok) job.resolve(msg.result);
        else job.reject(scanErrorFromWire(msg.error ?? { message: 'worker task failed' }));
      }
      pump();
    });
    w.on('error', (err) => retire(w, workerFailure(script, err, loaded, running.get(w)?.task)));
    w.on('exit', (code) => {
      // after an 'error' the worker is already retired, with the better reason
      if (!closed && workers.includes(w)) retire(w, workerFailure(script, new Error(`exited with code ${code}`), loaded, running.get(w)?.task));
    });
    workers.push(w);
    idle.push(w);
  }

  return {
    size,
    run<R>(task: string, payload: unknown): Promise<R> {
      if (closed) return Promise.reject(new Error('worker pool is closed'));
      if (workers.length === 0) return Promise.reject(lastFailure ?? new ScanError('WORKER_FAILED', `no worker thread is left to run ${task}`, { kind: 'internal' }));
      return new Promise<R>((res, rej) => {
        queue.push({ id: nextId++, task, payload, resolve: res as (v: unknown) => void, reject: rej });
        pump();
      });
    },
    async close() {
      closed = true;
      await Promise.all([...workers].map((w) => w.terminate()));
    },
  };
}
