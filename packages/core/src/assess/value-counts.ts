/**
 * How many voxels of an Int16 volume hold each of the 65536 values (index v + 32768), and the
 * largest value of each block of BLOCK voxels (memory order). The assessment's histogram, the
 * automatic threshold's histogram and the metal flag (its maximum, and where metal can be)
 * all derive from these; each of them reading the whole volume again cost one pass over it
 * (~60 ms CPU for 37 M voxels). So they are kept per array (WeakMap: they go with the array)
 * and computed once. Stages never write into a volume they are given (each makes a new
 * one), which is what keeps them right for that array.
 */
import { slabRanges, type WorkerPool } from '../parallel/pool.js';

export interface Int16Summary {
  counts: Uint32Array;
  /** Largest value of voxels [b·BLOCK, (b + 1)·BLOCK). */
  blockMax: Int16Array;
}

export const SUMMARY_BLOCK = 256;

const kept = new WeakMap<Int16Array, Int16Summary>();

/** The counts and block maxima of `data` (read only; the caller must not modify them). */
export function int16Summary(data: Int16Array): Int16Summary {
  let s = kept.get(data);
  if (s) return s;
  s = summaryOfBlocks(data, 0, Math.ceil(data.length / SUMMARY_BLOCK));
  kept.set(data, s);
  return s;
}

/** Counts of the voxels of blocks [b0, b1) of `data`, and those blocks' maxima (blockMax[0] is block b0's). */
function summaryOfBlocks(data: Int16Array, b0: number, b1: number): Int16Summary {
  const counts = new Uint32Array(65536);
  const n = data.length;
  const blockMax = new Int16Array(Math.max(0, b1 - b0));
  for (let b = b0, p = b0 * SUMMARY_BLOCK; b < b1; b++) {
    // two running maxima (pairs of voxels): the counting, not the maximum, sets the pace
    let m0 = -32768, m1 = -32768;
    const e = Math.min(n, p + SUMMARY_BLOCK);
    for (; p + 1 < e; p += 2) {
      const x = data[p]!, y = data[p + 1]!;
      counts[x + 32768]!++;
      counts[y + 32768]!++;
      m0 = Math.max(m0, x);
      m1 = Math.max(m1, y);
    }
    if (p < e) {
      const x = data[p++]!;
      counts[x + 32768]!++;
      m0 = Math.max(m0, x);
    }
    blockMax[b - b0] = Math.max(m0, m1);
  }
  return { counts, blockMax };
}

export const VALUE_COUNTS_TASK = 'assess.value-counts';

export interface ValueCountsPayload {
  data: Int16Array;
  /** Blocks [b0, b1) of SUMMARY_BLOCK voxels. */
  b0: number;
  b1: number;
}

/** Kernel: the counts and block maxima of one run of blocks. */
export function valueCountsSlab(p: ValueCountsPayload): Int16Summary {
  return summaryOfBlocks(p.data, p.b0, p.b1);
}

/** Below this many voxels the summary is left to the first caller (on its thread). */
const MIN_POOL_VOXELS = 1 << 20;

/**
 * `pool` where a volume's summary is made there at import (this file's, float-histogram.ts's):
 * two or more threads, `data` on shared memory and at least MIN_POOL_VOXELS voxels; else undefined.
 */
export function summaryPool(data: Int16Array | Float32Array, pool: WorkerPool | undefined): WorkerPool | undefined {
  if (!pool || pool.size < 2 || typeof SharedArrayBuffer === 'undefined' || !(data.buffer instanceof SharedArrayBuffer) || data.length < MIN_POOL_VOXELS) return undefined;
  return pool;
}

/**
 * Makes int16Summary(data) in runs of blocks on `pool` and keeps it, where the volume is an
 * Int16 one on shared memory, large enough, and a pool of two or more threads is given;
 * otherwise does nothing (int16Summary then counts on its caller's thread, when first asked).
 * The import calls it beside the outlier-slice count, so that the assessment, the automatic
 * threshold and the metal flag read the counts instead of a pass over the volume on the
 * calling thread. Counts are sums and each block's maximum is its own, so the runs, joined in
 * block order, give int16Summary's arrays whatever thread counted which run.
 */
export async function keepInt16SummaryOnPool(data: Int16Array | Float32Array, pool: WorkerPool | undefined): Promise<void> {
  if (!(data instanceof Int16Array) || kept.has(data)) return;
  pool = summaryPool(data, pool);
  if (!pool) return;
  const blocks = Math.ceil(data.length / SUMMARY_BLOCK);
  const runs = slabRanges(blocks, 2 * pool.size);
  const parts = await Promise.all(runs.map(([b0, b1]) => pool.run<Int16Summary>(VALUE_COUNTS_TASK, { data, b0, b1 } satisfies ValueCountsPayload)));
  if (kept.has(data)) return; // counted on this thread meanwhile: that one is already handed out
  const counts = new Uint32Array(65536);
  const blockMax = new Int16Array(blocks);
  parts.forEach((part, i) => {
    for (let q = 0; q < 65536; q++) counts[q]! += part.counts[q]!;
    blockMax.set(part.blockMax, runs[i]![0]);
  });
  kept.set(data, { counts, blockMax });
}

/** Counts per value of `data` (int16Summary's). */
export function int16ValueCounts(data: Int16Array): Uint32Array {
  return int16Summary(data).counts;
}

/** The largest value with a non-zero count, or −Infinity for no voxels. */
export function maxOfCounts(counts: Uint32Array): number {
  for (let q = 65535; q >= 0; q--) if (counts[q] !== 0) return q - 32768;
  return -Infinity;
}
