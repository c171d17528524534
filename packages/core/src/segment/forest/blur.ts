/**
 * The forest's separable Gaussian pass: the same arithmetic as segment/filters/gaussian.ts
 * (weights of gaussianWeights, edges replicated, taps summed in double from −r to +r,
 * stored as Float32), so results are bit-identical, but laid out for speed: along x the
 * interior needs no clamping, and along y and z a whole output row accumulates tap by tap
 * from contiguous source rows instead of striding through memory voxel by voxel. Rows whose
 * every tap reads zeros are written as zeros without the arithmetic (exactly what the sum
 * gives): the forest blurs masks and probabilities that are zero over most of the air.
 */
import type { Vec3 } from '../../geometry/grid.js';

export const FOREST_GAUSS_TASK = 'segment.forest.gauss';

export interface GaussPayload {
  src: Float32Array;
  dst: Float32Array;
  dims: Vec3;
  axis: 0 | 1 | 2;
  weights: Float64Array;
  kStart: number;
  kEnd: number;
}

/** Whether source row `row` (nx values from index `row`) is all zero, memoised in `flags` (−1 unknown, 0 zero, 1 not). */
function rowIsZero(src: Float32Array, row: number, nx: number, flags: Int8Array, r: number): boolean {
  let f = flags[r]!;
  if (f < 0) {
    f = 0;
    for (let i = 0; i < nx; i++) if (src[row + i] !== 0) { f = 1; break; }
    flags[r] = f;
  }
  return f === 0;
}

/** Along x: one contiguous line per (j, k). */
function passX(p: GaussPayload): void {
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
function passRows(p: GaussPayload): void {
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

/** One 1-D Gaussian along `axis` for output planes [kStart, kEnd). */
export function gaussSlab(p: GaussPayload): void {
  if (p.axis === 0) passX(p);
  else passRows(p);
}
