/**
 * The worker pool contract. The host supplies the pool (Node worker_threads in the
 * CLI and server, Web Workers in the browser); core code only names a task and
 * passes a payload. Typed arrays in payloads should live on SharedArrayBuffer so
 * slabs are read and written without copies.
 *
 * Every task must give the same result whichever worker runs it and in whatever
 * order slabs finish: results are combined in slab order, never in arrival order.
 */
import { getTask } from './registry.js';

export interface WorkerPool {
  /** Number of workers (1 for the inline pool). */
  readonly size: number;
  run<R>(task: string, payload: unknown): Promise<R>;
  close(): Promise<void>;
}

/** Runs tasks on the calling thread: the browser fallback and the reference for determinism tests. */
export function createInlinePool(): WorkerPool {
  return {
    size: 1,
    async run<R>(task: string, payload: unknown): Promise<R> {
      return (await getTask(task)(payload)) as R;
    },
    async close() {},
  };
}

/** Split [0, n) into at most `parts` contiguous ranges of near-equal size. */
export function slabRanges(n: number, parts: number): Array<[number, number]> {
  const p = Math.max(1, Math.min(parts, n));
  const out: Array<[number, number]> = [];
  for (let s = 0; s < p; s++) {
    const a = Math.floor((s * n) / p);
    const b = Math.floor(((s + 1) * n) / p);
    if (b > a) out.push([a, b]);
  }
  return out;
}

/** Allocate a typed array on a SharedArrayBuffer when the platform allows it. */
export function sharedFloat32(n: number): Float32Array {
  return typeof SharedArrayBuffer !== 'undefined' ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
}
export function sharedUint8(n: number): Uint8Array {
  return typeof SharedArrayBuffer !== 'undefined' ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
}
export function sharedInt16(n: number): Int16Array {
  return typeof SharedArrayBuffer !== 'undefined' ? new Int16Array(new SharedArrayBuffer(n * 2)) : new Int16Array(n);
}
export function sharedUint32(n: number): Uint32Array {
  return typeof SharedArrayBuffer !== 'undefined' ? new Uint32Array(new SharedArrayBuffer(n * 4)) : new Uint32Array(n);
}
export function sharedFloat64(n: number): Float64Array {
  return typeof SharedArrayBuffer !== 'undefined' ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
}

type NumericArray = Float32Array | Float64Array | Int16Array | Uint8Array | Uint16Array | Uint32Array;

export function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/**
 * `a` on a SharedArrayBuffer, to post to a pool task without a copy per worker: `a` itself when
 * it already is there (or sharing is unavailable), else a copy. Every kernel and mesh step calls
 * this one (segmentation slabs, the isosurface, smoothing, the repair, 3MF).
 */
export function toShared<T extends NumericArray>(a: T): T {
  if (typeof SharedArrayBuffer === 'undefined' || isShared(a)) return a;
  const out = new (a.constructor as new (b: ArrayBufferLike) => T)(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}
