/**
 * Wide blurs on a coarser grid: block means by an integer factor, the Gaussian there, and
 * trilinear interpolation back. A σ 5 mm blur of the working grid's 1.35 mm voxels costs
 * ~67 taps a voxel over ~2 M voxels; at twice the spacing it is ~35 taps over an eighth of
 * the voxels, and what it smooths away (detail finer than σ) the coarse grid did not hold
 * anyway. The stage-2 context features (eleven per-group probability blurs) use it.
 */
import type { Grid, Vec3 } from '../../geometry/grid.js';
import { voxelCount } from '../../geometry/grid.js';
import type { WorkerPool } from '../../parallel/pool.js';
import { sharedFloat32 } from '../../parallel/pool.js';
import { blurMm, scratchFor, type Scratch } from './features.js';
import { downsampleSlab, FOREST_DOWNSAMPLE_TASK, type DownsamplePayload } from './kernels.js';
import { forestSlabs, planesPerPiece } from './slabs.js';

export const FOREST_UPSAMPLE_LINEAR_TASK = 'segment.forest.upsample-linear';

/** The coarse grid's spacing is at most σ / COARSE_SIGMA_RATIO (σ ≥ 1.25 coarse voxels). */
export const COARSE_SIGMA_RATIO = 1.25;

export interface LinearUpsamplePayload {
  src: Float32Array;
  srcDims: Vec3;
  factor: Vec3;
  dst: Float32Array;
  dims: Vec3;
  kStart: number;
  kEnd: number;
}

/** Per axis: lower and upper coarse neighbour and weight of each fine index (block b has centre b·f + (f − 1)/2). */
function axisTable(count: number, f: number, nc: number): { lo: Int32Array; hi: Int32Array; t: Float64Array } {
  const lo = new Int32Array(count);
  const hi = new Int32Array(count);
  const t = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let u = (i - (f - 1) / 2) / f;
    if (u < 0) u = 0;
    if (u > nc - 1) u = nc - 1;
    lo[i] = Math.floor(u);
    hi[i] = Math.min(nc - 1, lo[i]! + 1);
    t[i] = u - lo[i]!;
  }
  return { lo, hi, t };
}

/** Trilinear from the block-mean grid `src` back onto the fine grid, planes [kStart, kEnd). */
export function upsampleLinearSlab(p: LinearUpsamplePayload): void {
  const { src, srcDims, factor, dst, dims, kStart, kEnd } = p;
  const [cx, cy, cz] = srcDims;
  const [nx, ny] = dims;
  const cplane = cx * cy;
  const X = axisTable(nx, factor[0], cx);
  const Y = axisTable(ny, factor[1], cy);
  const Z = axisTable(kEnd, factor[2], cz);
  for (let k = kStart; k < kEnd; k++) {
    const tz = Z.t[k]!;
    for (let j = 0; j < ny; j++) {
      const ty = Y.t[j]!;
      const r00 = Z.lo[k]! * cplane + Y.lo[j]! * cx;
      const r01 = Z.lo[k]! * cplane + Y.hi[j]! * cx;
      const r10 = Z.hi[k]! * cplane + Y.lo[j]! * cx;
      const r11 = Z.hi[k]! * cplane + Y.hi[j]! * cx;
      let v = (k * ny + j) * nx;
      for (let i = 0; i < nx; i++, v++) {
        const x0 = X.lo[i]!;
        const x1 = X.hi[i]!;
        const tx = X.t[i]!;
        const a = src[r00 + x0]! + (src[r00 + x1]! - src[r00 + x0]!) * tx;
        const b = src[r01 + x0]! + (src[r01 + x1]! - src[r01 + x0]!) * tx;
        const c = src[r10 + x0]! + (src[r10 + x1]! - src[r10 + x0]!) * tx;
        const d = src[r11 + x0]! + (src[r11 + x1]! - src[r11 + x0]!) * tx;
        const e = a + (b - a) * ty;
        const f = c + (d - c) * ty;
        dst[v] = e + (f - e) * tz;
      }
    }
  }
}

/** Coarsening factor per axis for a blur of σ mm on `grid` (1 where the axis is already coarse). */
export function coarseFactor(grid: Grid, sigma_mm: number): Vec3 {
  return grid.spacing_mm.map((s, a) => (grid.dims[a]! > 1 ? Math.max(1, Math.floor(sigma_mm / (COARSE_SIGMA_RATIO * s))) : 1)) as Vec3;
}

/**
 * σ per axis on the coarse grid so that, with the smoothing the block mean ((f² − 1)·s²/12)
 * and the linear interpolation back (on average (f·s)²/6) add, the variance is σ².
 */
export function coarseSigma(fine: Grid, factor: Vec3, sigma_mm: number): Vec3 {
  return fine.spacing_mm.map((s, a) => {
    const f = factor[a]!;
    if (f === 1) return sigma_mm;
    return Math.sqrt(Math.max(0, sigma_mm * sigma_mm - ((f * f - 1) * s * s) / 12 - (f * s) ** 2 / 6));
  }) as Vec3;
}

/** Buffers for coarse blurs of one σ on one grid, reused across calls. */
export interface CoarseBlur {
  factor: Vec3;
  grid: Grid;
  small: Float32Array;
  blurred: Float32Array;
  scratch: Scratch;
}

export function coarseBlurFor(grid: Grid, sigma_mm: number, pool: WorkerPool | undefined): CoarseBlur {
  const factor = coarseFactor(grid, sigma_mm);
  const dims = grid.dims.map((d, a) => Math.ceil(d / factor[a]!)) as Vec3;
  const cg: Grid = { ...grid, dims, spacing_mm: grid.spacing_mm.map((s, a) => s * factor[a]!) as Vec3 };
  const m = voxelCount(cg);
  const alloc = (k: number) => (pool ? sharedFloat32(k) : new Float32Array(k));
  return { factor, grid: cg, small: alloc(m), blurred: alloc(m), scratch: scratchFor(m, pool) };
}

/** Gaussian (σ mm) of `src` into `dst` (both on the fine grid) computed on the coarse grid of `cb`. */
export async function blurCoarse(src: Float32Array, dst: Float32Array, fine: Grid, sigma_mm: number, cb: CoarseBlur, pool: WorkerPool | undefined): Promise<void> {
  const { factor, grid: cg, small, blurred } = cb;
  const cd = cg.dims;
  const fd = fine.dims;
  await forestSlabs<DownsamplePayload>(pool, FOREST_DOWNSAMPLE_TASK, downsampleSlab, cd[2], planesPerPiece(fd[0] * fd[1] * factor[2]), (kStart, kEnd) => ({
    src,
    srcDims: fd,
    dst: small,
    dims: cd,
    factor,
    kStart,
    kEnd,
  }));
  await blurMm(small, blurred, cg, coarseSigma(fine, factor, sigma_mm), pool, cb.scratch);
  await forestSlabs<LinearUpsamplePayload>(pool, FOREST_UPSAMPLE_LINEAR_TASK, upsampleLinearSlab, fd[2], planesPerPiece(fd[0] * fd[1]), (kStart, kEnd) => ({
    src: blurred,
    srcDims: cd,
    factor,
    dst,
    dims: fd,
    kStart,
    kEnd,
  }));
}
