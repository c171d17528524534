/**
 * Resampling a sheared and/or unevenly spaced slice stack onto an orthogonal,
 * uniformly spaced grid (gantry tilt and variable slice spacing correction).
 *
 * The source is m slices of rows × columns pixels that share row (u) and column (v)
 * directions and pixel spacing; slice s lies at distance d[s] along the normal n and is
 * shifted in-plane by (offU[s], offV[s]) mm from slice 0. The output grid has axes u, v, n
 * (orthonormal) and a uniform step along n. Each output point is interpolated between the
 * two source slices that bracket it along n, at their true positions: bilinear inside
 * each slice (at the point's in-plane coordinates in that slice, which differ between
 * slices when the stack is sheared), linear between the slices — trilinear on the true
 * sheared lattice. Points outside a source slice's field take `fill`.
 */
import { slabRanges, type WorkerPool } from '../parallel/pool.js';
import { SLICE_WORK_ITEMS, yieldToHost } from '../parallel/yield.js';

export interface StackResamplePlan {
  columns: number;
  rows: number;
  /** Number of source slices. */
  slices: number;
  /** Source slice positions along the normal, relative to slice 0, increasing (mm). */
  d_mm: Float64Array;
  /** Source in-plane offsets of each slice from slice 0 along u and v (mm). */
  offU_mm: Float64Array;
  offV_mm: Float64Array;
  /** Source pixel spacing along u (between columns) and v (between rows). */
  du_mm: number;
  dv_mm: number;
  /** Output grid size and spacing. */
  nx: number;
  ny: number;
  nz: number;
  hx_mm: number;
  hy_mm: number;
  hz_mm: number;
  /** Output voxel (0,0,0) relative to slice 0's first pixel: along u, v (mm) and along n (mm). */
  outU0_mm: number;
  outV0_mm: number;
  outD0_mm: number;
  fill: number;
}

const EDGE_EPS = 1e-4;

/** Resamples output slices [k0, k1) of the plan into `out` (length nx·ny·nz). */
export function resampleStackSlab(src: Float32Array | Int16Array, plan: StackResamplePlan, out: Float32Array, k0: number, k1: number): void {
  const { columns: C, rows: R, slices: M, nx, ny, fill } = plan;
  const D = plan.d_mm;
  const plane = C * R;
  const rowA = new Float32Array(nx), rowB = new Float32Array(nx);
  const cScale = plan.hx_mm / plan.du_mm;
  let s = 0;
  for (let k = k0; k < k1; k++) {
    const z = plan.outD0_mm + k * plan.hz_mm;
    // bracketing slices s, s+1 with D[s] <= z <= D[s+1] (D increasing)
    while (s + 2 < M && D[s + 1]! < z) s++;
    while (s > 0 && D[s]! > z) s--;
    let sA = s, sB = Math.min(s + 1, M - 1), w = 0;
    if (M > 1) {
      const span = D[sB]! - D[sA]!;
      w = span > 0 ? (z - D[sA]!) / span : 0;
      w = w < 0 ? 0 : w > 1 ? 1 : w;
    }
    if (w <= 1e-9) sB = sA;
    else if (w >= 1 - 1e-9) { sA = sB; w = 0; }
    // column coordinate of output i in slice s: c = i·(hx/du) + (outU0 − offU[s])/du
    const cA0 = (plan.outU0_mm - plan.offU_mm[sA]!) / plan.du_mm;
    const cB0 = (plan.outU0_mm - plan.offU_mm[sB]!) / plan.du_mm;
    const outK = k * nx * ny;
    for (let j = 0; j < ny; j++) {
      const y = plan.outV0_mm + j * plan.hy_mm;
      const o = outK + j * nx;
      sampleRow(src, sA * plane, C, R, (y - plan.offV_mm[sA]!) / plan.dv_mm, cA0, cScale, fill, rowA);
      if (sB === sA) {
        out.set(rowA, o);
      } else {
        sampleRow(src, sB * plane, C, R, (y - plan.offV_mm[sB]!) / plan.dv_mm, cB0, cScale, fill, rowB);
        for (let i = 0; i < nx; i++) {
          const a = rowA[i]!;
          out[o + i] = a + w * (rowB[i]! - a);
        }
      }
    }
  }
}

/** Bilinear samples of one source slice along an output row (row coordinate r, columns c0 + i·cScale). */
function sampleRow(src: Float32Array | Int16Array, base: number, C: number, R: number, r: number, c0: number, cScale: number, fill: number, row: Float32Array): void {
  const n = row.length;
  if (r < -EDGE_EPS || r > R - 1 + EDGE_EPS) {
    row.fill(fill);
    return;
  }
  let r0 = Math.floor(r);
  r0 = r0 < 0 ? 0 : R > 1 && r0 > R - 2 ? R - 2 : R === 1 ? 0 : r0;
  let fr = r - r0;
  fr = fr < 0 ? 0 : fr > 1 ? 1 : fr;
  const rowStride = R > 1 ? C : 0;
  const colStep = C > 1 ? 1 : 0;
  const cMax = C > 1 ? C - 2 : 0;
  const rowBase = base + r0 * C;
  for (let i = 0; i < n; i++) {
    const c = c0 + i * cScale;
    if (c < -EDGE_EPS || c > C - 1 + EDGE_EPS) {
      row[i] = fill;
      continue;
    }
    let ci = Math.floor(c);
    ci = ci < 0 ? 0 : ci > cMax ? cMax : ci;
    let fc = c - ci;
    fc = fc < 0 ? 0 : fc > 1 ? 1 : fc;
    const p = rowBase + ci;
    const v00 = src[p]!, v01 = src[p + colStep]!, v10 = src[p + rowStride]!, v11 = src[p + rowStride + colStep]!;
    const top = v00 + fc * (v01 - v00);
    const bot = v10 + fc * (v11 - v10);
    row[i] = top + fr * (bot - top);
  }
}

export interface StackResamplePayload {
  src: Float32Array | Int16Array;
  out: Float32Array;
  plan: StackResamplePlan;
  k0: number;
  k1: number;
}

export const RESAMPLE_STACK_TASK = 'geometry.resampleStack';

/** Minimum output voxels before resampling is split into slabs on the pool. */
export const PARALLEL_MIN_VOXELS = 8_000_000;

/**
 * Resamples the whole stack. `out` must hold nx·ny·nz values. With a pool of more than
 * one worker and shared memory (SharedArrayBuffer-backed arrays), output slabs run in
 * parallel; each voxel depends only on the source, so the result is identical.
 */
export async function resampleStack(src: Float32Array | Int16Array, plan: StackResamplePlan, out: Float32Array, pool?: WorkerPool, minParallelVoxels = PARALLEL_MIN_VOXELS): Promise<void> {
  const total = plan.nx * plan.ny * plan.nz;
  const shared =
    typeof SharedArrayBuffer !== 'undefined' && src.buffer instanceof SharedArrayBuffer && out.buffer instanceof SharedArrayBuffer;
  if (!pool || pool.size < 2 || !shared || total < minParallelVoxels) {
    // On one thread, in slabs with a yield between them: the result is the same, and the
    // host (a browser tab, a server, a test worker) is never blocked for the whole volume.
    const slab = Math.max(1, Math.floor(SLICE_WORK_ITEMS / Math.max(1, plan.nx * plan.ny)));
    for (let k0 = 0; k0 < plan.nz; k0 += slab) {
      resampleStackSlab(src, plan, out, k0, Math.min(plan.nz, k0 + slab));
      if (k0 + slab < plan.nz) await yieldToHost();
    }
    return;
  }
  await Promise.all(
    slabRanges(plan.nz, pool.size * 2).map(([k0, k1]) => pool.run(RESAMPLE_STACK_TASK, { src, out, plan, k0, k1 } satisfies StackResamplePayload)),
  );
}
