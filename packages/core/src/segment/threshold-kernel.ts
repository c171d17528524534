/**
 * The threshold's slab kernel, apart from the method (threshold.ts) so that a worker
 * loading segment/tasks.ts does not load zod with it (parallel/task-modules.ts: about
 * 60 ms of CPU per worker).
 */
import { LITTLE_ENDIAN } from '../endian.js';

export const THRESHOLD_TASK = 'segment.threshold';

export interface ThresholdSlabPayload {
  src: Float32Array | Int16Array;
  out: Uint8Array;
  lo: number;
  hi: number;
  start: number;
  end: number;
}

/** Kernel: out[v] = lo ≤ src[v] ≤ hi ? 1 : 0 for v in [start, end). */
export function thresholdSlab(p: ThresholdSlabPayload): void {
  const { src, out, lo, hi, start, end } = p;
  if (src instanceof Int16Array) {
    // Integer HU: lo ≤ x ≤ hi ⇔ 0 ≤ x − ⌈lo⌉ ≤ ⌊hi⌋ − ⌈lo⌉, one unsigned comparison (no
    // branch to mispredict at every bone edge); the bounds are clamped to the Int16 range
    // so the difference never wraps.
    const loI = Math.max(-32768, Math.ceil(lo));
    const span = Math.min(32767, Math.floor(hi)) - loI;
    if (!(span >= 0)) out.fill(0, start, end);
    else {
      const v = wordKernel(src, out, loI, loI + span, start, end);
      for (let t = v; t < end; t++) out[t] = (src[t]! - loI) >>> 0 <= span ? 1 : 0;
    }
    return;
  }
  for (let v = start; v < end; v++) {
    const x = src[v]!;
    out[v] = x >= lo && x <= hi ? 1 : 0;
  }
}

/**
 * thresholdSlab's Int16 loop four voxels at a time where the memory allows it (two 32-bit
 * words in, one out): lo ≤ x ≤ hi is the sign bit of (x − lo) | (hi − x) being clear (both
 * within ±2¹⁷ for int16 x and clamped bounds), so no branch and a quarter of the stores;
 * on the phantom head ~85 → ~65 ms CPU on a fresh mask. Returns where it stopped (the
 * caller does the rest one voxel at a time).
 */
function wordKernel(src: Int16Array, out: Uint8Array, lo: number, hi: number, start: number, end: number): number {
  if (!LITTLE_ENDIAN || (start & 3) !== 0 || src.byteOffset % 4 !== 0 || out.byteOffset % 4 !== 0) return start;
  const s32 = new Int32Array(src.buffer, src.byteOffset, src.length >>> 1);
  const o32 = new Uint32Array(out.buffer, out.byteOffset, out.length >>> 2);
  const w1 = end >>> 2;
  for (let w = start >>> 2, t = w << 1; w < w1; w++, t += 2) {
    const a = s32[t]!, b = s32[t + 1]!;
    const a0 = (a << 16) >> 16, a1 = a >> 16, b0 = (b << 16) >> 16, b1 = b >> 16;
    o32[w] = (~((a0 - lo) | (hi - a0)) >>> 31) | ((~((a1 - lo) | (hi - a1)) >>> 31) << 8) | ((~((b0 - lo) | (hi - b0)) >>> 31) << 16) | ((~((b1 - lo) | (hi - b1)) >>> 31) << 24);
  }
  return w1 << 2;
}
