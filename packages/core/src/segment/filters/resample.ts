/**
 * Resampling to isotropic spacing (trilinear). The new grid keeps origin and direction
 * (voxel (0,0,0) stays where it was) and covers the same extent: dims =
 * ⌊(n − 1)·old / new⌋ + 1 per axis. `auto` = the finest axis spacing, so thick slices
 * are interpolated up to the in-plane resolution (FIELD-NOTES: a label map should be
 * 2–5× finer than the surface error accepted).
 */
import type { Volume } from '../../geometry/types.js';
import type { Grid, Vec3 } from '../../geometry/grid.js';
import { voxelCount } from '../../geometry/grid.js';
import type { StageContext, StageResult } from '../../pipeline/record.js';
import { round, timedAsync } from '../../pipeline/record.js';
import { usageError } from '../../errors.js';
import { allocLike, poolFor, runSlabs, toShared } from './slabs.js';

export const RESAMPLE_TASK = 'segment.resample-trilinear';

export interface ResamplePayload {
  src: Float32Array | Int16Array;
  dst: Float32Array;
  srcDims: Vec3;
  dstDims: Vec3;
  /** Source index step per destination voxel, per axis. */
  step: Vec3;
  kStart: number;
  kEnd: number;
}

/** Grid of the isotropic resampling at `spacing_mm`. */
export function isotropicGrid(grid: Grid, spacing_mm: number): Grid {
  const dims = grid.dims.map((n, a) => Math.max(1, Math.floor(((n - 1) * grid.spacing_mm[a]!) / spacing_mm + 1e-6) + 1)) as Vec3;
  return { dims, spacing_mm: [spacing_mm, spacing_mm, spacing_mm], origin_mm: [...grid.origin_mm] as Vec3, direction: [...grid.direction] as Grid['direction'] };
}

export function resampleSlab(p: ResamplePayload): void {
  const { src, dst, srcDims, dstDims, step, kStart, kEnd } = p;
  const [sx, sy, sz] = srcDims;
  const [dx, dy] = dstDims;
  const splane = sx * sy;
  // Per-i source columns and weights are the same for every row: precompute once.
  const i0 = new Int32Array(dx);
  const fi = new Float64Array(dx);
  for (let i = 0; i < dx; i++) {
    const x = Math.min(i * step[0], sx - 1);
    const a = Math.min(Math.floor(x), Math.max(0, sx - 2));
    i0[i] = a;
    fi[i] = sx > 1 ? x - a : 0;
  }
  const i1off = sx > 1 ? 1 : 0;
  for (let k = kStart; k < kEnd; k++) {
    const z = Math.min(k * step[2], sz - 1);
    const k0 = Math.min(Math.floor(z), Math.max(0, sz - 2));
    const fk = sz > 1 ? z - k0 : 0;
    const k1 = sz > 1 ? k0 + 1 : k0;
    for (let j = 0; j < dy; j++) {
      const y = Math.min(j * step[1], sy - 1);
      const j0 = Math.min(Math.floor(y), Math.max(0, sy - 2));
      const fj = sy > 1 ? y - j0 : 0;
      const j1 = sy > 1 ? j0 + 1 : j0;
      const r00 = k0 * splane + j0 * sx;
      const r01 = k0 * splane + j1 * sx;
      const r10 = k1 * splane + j0 * sx;
      const r11 = k1 * splane + j1 * sx;
      const out = (k * dy + j) * dx;
      for (let i = 0; i < dx; i++) {
        const a = i0[i]!;
        const f = fi[i]!;
        const b = a + i1off;
        const c00 = src[r00 + a]! + f * (src[r00 + b]! - src[r00 + a]!);
        const c01 = src[r01 + a]! + f * (src[r01 + b]! - src[r01 + a]!);
        const c10 = src[r10 + a]! + f * (src[r10 + b]! - src[r10 + a]!);
        const c11 = src[r11 + a]! + f * (src[r11 + b]! - src[r11 + a]!);
        const c0 = c00 + fj * (c01 - c00);
        const c1 = c10 + fj * (c11 - c10);
        dst[out + i] = c0 + fk * (c1 - c0);
      }
    }
  }
}

/** Trilinear resampling to isotropic spacing (`auto` = finest axis). */
export async function resampleIsotropic(volume: Volume, spacing: number | 'auto', ctx: StageContext = {}): Promise<StageResult<Volume>> {
  return timedAsync(async () => {
    const sp = volume.grid.spacing_mm;
    const s = spacing === 'auto' ? Math.min(sp[0], sp[1], sp[2]) : spacing;
    if (!Number.isFinite(s) || s <= 0) throw usageError('BAD_ISOTROPIC', `isotropic spacing must be > 0 mm, got ${spacing}`);
    const grid = isotropicGrid(volume.grid, s);
    const n = voxelCount(grid);
    if (n > 2 ** 31 / 4) throw usageError('RESAMPLE_TOO_LARGE', `resampling to ${s} mm gives ${grid.dims.join('×')} voxels: too large; choose a coarser spacing or crop first`);
    const pool = poolFor(ctx, n);
    const shared = pool !== undefined;
    const src = shared ? toShared(volume.data) : volume.data;
    const dst = allocLike(Float32Array, n, shared);
    const step: Vec3 = [s / sp[0], s / sp[1], s / sp[2]];
    await runSlabs<ResamplePayload>(pool, RESAMPLE_TASK, resampleSlab, grid.dims[2], (kStart, kEnd) => ({
      src,
      dst,
      srcDims: volume.grid.dims,
      dstDims: grid.dims,
      step,
      kStart,
      kEnd,
    }));
    return {
      output: { grid, data: dst },
      record: {
        stage: 'preprocess',
        method: 'resample-isotropic',
        params: { spacing: spacing === 'auto' ? 'auto (finest axis)' : spacing, spacing_mm: round(s, 4), interpolation: 'trilinear' },
        figures: { dimsBefore: [...volume.grid.dims], dimsAfter: [...grid.dims], spacingBefore_mm: [...sp] },
      },
    };
  });
}
