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

/** One 1-D convolution along `axis` for output planes [kStart, kEnd). */
export function gaussianPass(p: GaussianPassPayload): void {
  const { src, dst, dims, axis, weights, kStart, kEnd } = p;
  const [nx, ny, nz] = dims;
  const r = (weights.length - 1) >> 1;
  const n = axis === 0 ? nx : axis === 1 ? ny : nz;
  const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
  const plane = nx * ny;
  for (let k = kStart; k < kEnd; k++) {
    for (let j = 0; j < ny; j++) {
      const row = k * plane + j * nx;
      for (let i = 0; i < nx; i++) {
        const pos = axis === 0 ? i : axis === 1 ? j : k;
        const base = row + i - pos * stride; // index of the line's element 0
        let acc = 0;
        for (let t = -r; t <= r; t++) {
          let q = pos + t;
          if (q < 0) q = 0;
          else if (q >= n) q = n - 1;
          acc += weights[t + r]! * src[base + q * stride]!;
        }
        dst[row + i] = acc;
      }
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
