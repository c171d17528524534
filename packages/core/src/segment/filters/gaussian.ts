/**
 * Gaussian smoothing with sigma in millimetres per axis: three separable 1-D passes,
 * each with sigma_mm / spacing_mm voxels, so anisotropic spacing blurs the same
 * physical distance along every axis. Kernel radius ⌈3σ⌉, normalised weights, edges
 * replicated (clamped index). Accumulates in double, stores Float32. Each pass splits
 * the output planes (k) into slabs; a voxel's value never depends on the slab split.
 */
import type { Volume } from '../../geometry/types.js';
import type { Vec3 } from '../../geometry/grid.js';
import { cloneGrid, voxelCount } from '../../geometry/grid.js';
import type { StageContext, StageResult } from '../../pipeline/record.js';
import { round, timedAsync } from '../../pipeline/record.js';
import { usageError } from '../../errors.js';
import { allocLike, poolFor, runSlabs, toShared } from './slabs.js';

export const GAUSSIAN_PASS_TASK = 'segment.gaussian-pass';

export interface GaussianPassPayload {
  src: Float32Array | Int16Array;
  dst: Float32Array;
  dims: Vec3;
  axis: 0 | 1 | 2;
  weights: Float64Array;
  kStart: number;
  kEnd: number;
}

/** Sampled, normalised Gaussian of sd `sigmaVox` voxels, radius ⌈3σ⌉. */
export function gaussianWeights(sigmaVox: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigmaVox));
  const w = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += w[i + r] = Math.exp(-(i * i) / (2 * sigmaVox * sigmaVox));
  for (let i = 0; i < w.length; i++) w[i]! /= s;
  return w;
}

/**
 * One 1-D convolution along `axis` for output planes [kStart, kEnd): for every voxel the
 * taps −r … +r in order, edges replicated, summed in double, stored as Float32 (the result
 * never depends on the slab split). Laid out for speed, not voxel by voxel: along x the
 * interior needs no clamping, and along y and z a whole output row accumulates tap by tap
 * from contiguous source rows. Rows whose every tap reads zeros are written as zeros without
 * the arithmetic (exactly what the sum gives): masks and probabilities are zero over most of
 * the air. gaussian-pass.spec checks it against the voxel-by-voxel definition bit for bit.
 */
export function gaussianPass(p: GaussianPassPayload): void {
  if (p.axis === 0) passX(p);
  else passRows(p);
}

/** Whether source row `row` (nx values from index `row`) is all zero, memoised in `flags` (−1 unknown, 0 zero, 1 not). */
function rowIsZero(src: Float32Array | Int16Array, row: number, nx: number, flags: Int8Array, r: number): boolean {
  let f = flags[r]!;
  if (f < 0) {
    f = 0;
    for (let i = 0; i < nx; i++) if (src[row + i] !== 0) { f = 1; break; }
    flags[r] = f;
  }
  return f === 0;
}

/** Along x: one contiguous line per (j, k). */
function passX(p: GaussianPassPayload): void {
  const { src, dst, dims, weights, kStart, kEnd } = p;
  const [nx, ny] = dims;
  const r = (weights.length - 1) >> 1;
  const taps = weights.length;
  const zero = new Int8Array(1).fill(-1);
  for (let k = kStart; k < kEnd; k++) {
    for (let j = 0; j < ny; j++) {
      const row = (k * ny + j) * nx;
      zero[0] = -1;
      if (rowIsZero(src, row, nx, zero, 0)) {
        dst.fill(0, row, row + nx);
        continue;
      }
      for (let i = 0; i < nx; i++) {
        let acc = 0;
        if (i >= r && i + r < nx) {
          const b = row + i - r;
          for (let t = 0; t < taps; t++) acc += weights[t]! * src[b + t]!;
        } else {
          for (let t = -r; t <= r; t++) {
            let q = i + t;
            if (q < 0) q = 0;
            else if (q >= nx) q = nx - 1;
            acc += weights[t + r]! * src[row + q]!;
          }
        }
        dst[row + i] = acc;
      }
    }
  }
}

/** Along y or z: each output row is the weighted sum of whole source rows, tap by tap. */
function passRows(p: GaussianPassPayload): void {
  const { src, dst, dims, axis, weights, kStart, kEnd } = p;
  const [nx, ny, nz] = dims;
  const r = (weights.length - 1) >> 1;
  const n = axis === 1 ? ny : nz;
  const stride = axis === 1 ? nx : nx * ny;
  const acc = new Float64Array(nx);
  // Zero flags of source rows (j, k) at j + k·ny, filled as rows are first read.
  const zero = new Int8Array(ny * nz).fill(-1);
  const rowOf = axis === 1 ? 1 : ny;
  for (let k = kStart; k < kEnd; k++) {
    for (let j = 0; j < ny; j++) {
      const row = (k * ny + j) * nx;
      const pos = axis === 1 ? j : k;
      const base = row - pos * stride;
      const flagBase = k * ny + j - pos * rowOf;
      let allZero = true;
      for (let q = Math.max(0, pos - r); q <= Math.min(n - 1, pos + r) && allZero; q++) {
        allZero = rowIsZero(src, base + q * stride, nx, zero, flagBase + q * rowOf);
      }
      if (allZero) {
        dst.fill(0, row, row + nx);
        continue;
      }
      acc.fill(0);
      for (let t = -r; t <= r; t++) {
        let q = pos + t;
        if (q < 0) q = 0;
        else if (q >= n) q = n - 1;
        const w = weights[t + r]!;
        const s = base + q * stride;
        for (let i = 0; i < nx; i++) acc[i]! += w * src[s + i]!;
      }
      for (let i = 0; i < nx; i++) dst[row + i] = acc[i]!;
    }
  }
}

export function sigmaVector(sigma_mm: number | Vec3): Vec3 {
  const s: Vec3 = typeof sigma_mm === 'number' ? [sigma_mm, sigma_mm, sigma_mm] : sigma_mm;
  if (s.some((x) => !Number.isFinite(x) || x < 0)) throw usageError('BAD_GAUSSIAN', `Gaussian sigma must be ≥ 0 mm, got ${s.join(',')}`);
  return s;
}

/** Gaussian-smoothed copy (Float32) of `volume`. */
export async function gaussianFilter(volume: Volume, sigma_mm: number | Vec3, ctx: StageContext = {}): Promise<StageResult<Volume>> {
  return timedAsync(async () => {
    const s = sigmaVector(sigma_mm);
    const dims = volume.grid.dims;
    const n = voxelCount(volume.grid);
    const pool = poolFor(ctx, n);
    const shared = pool !== undefined;
    let cur: Float32Array | Int16Array = shared ? toShared(volume.data) : volume.data;
    const sigmaVox: number[] = [];
    for (const axis of [0, 1, 2] as const) {
      const sv = s[axis]! / volume.grid.spacing_mm[axis]!;
      sigmaVox.push(round(sv, 4));
      // Below 0.1 voxel the kernel is a delta: skip the pass (exactly the identity).
      if (sv < 0.1 || dims[axis] === 1) continue;
      const weights = gaussianWeights(sv);
      const dst = allocLike(Float32Array, n, shared);
      const src = cur;
      await runSlabs<GaussianPassPayload>(pool, GAUSSIAN_PASS_TASK, gaussianPass, dims[2], (kStart, kEnd) => ({ src, dst, dims, axis, weights, kStart, kEnd }));
      cur = dst;
    }
    const data = cur instanceof Float32Array && cur !== volume.data ? cur : Float32Array.from(cur);
    return {
      output: { grid: cloneGrid(volume.grid), data },
      record: {
        stage: 'preprocess',
        method: 'gaussian',
        params: { sigma_mm: s, truncate_sd: 3, edges: 'replicate' },
        figures: { sigma_voxels: sigmaVox },
      },
    };
  });
}
