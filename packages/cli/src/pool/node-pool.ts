import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { WorkerPool } from '@scan2print/core';

interface Job {
  id: number;
  task: string;
  payload: unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * The compiled worker script. When this module runs from source (tests), the
 * worker still runs the compiled JavaScript in dist/: the test command builds first.
 */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const direct = resolve(here, 'worker-entry.js');
  if (existsSync(direct)) return direct;
  const fromSrc = resolve(here, '../../dist/pool/worker-entry.js');
  if (existsSync(fromSrc)) return fromSrc;
  throw new Error(`worker script not found next to ${here}; run "npm run build" first`);
}

/** A pool of worker_threads running @scan2print/core tasks by name. */
export function createNodePool(size = Math.max(1, Math.min(availableParallelism(), 8))): WorkerPool {
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

  for (let i = 0; i < size; i++) {
    const w = new Worker(script);
    w.unref();
    w.on('message', (msg: { id: number; ok: boolean; result?: unknown; error?: { message: string; code?: string; kind?: string; file?: string } }) => {
      const job = running.get(w);
      running.delete(w);
      idle.push(w);
      if (job) {
        if (msg.ok) job.resolve(msg.result);
        else job.reject(Object.assign(new Error(msg.error?.message ?? 'worker task failed'), msg.error ?? {}));
      }
      pump();
    });
    w.on('error', (err) => {
      const job = running.get(w);
      running.delete(w);
      if (job) job.reject(err);
    });
    workers.push(w);
    idle.push(w);
  }

  return {
    size,
    run<R>(task: string, payload: unknown): Promise<R> {
      if (closed) return Promise.reject(new Error('worker pool is closed'));
      return new Promise<R>((res, rej) => {
        queue.push({ id: nextId++, task, payload, resolve: res as (v: unknown) => void, reject: rej });
        pump();
      });
    },
    async close() {
      closed = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
