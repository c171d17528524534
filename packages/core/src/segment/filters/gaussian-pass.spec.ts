/**
 * The shared Gaussian pass, laid out for speed (row-wise, zero rows skipped), against its
 * voxel-by-voxel definition: bit for bit on every axis, for Float32 and Int16 sources with
 * whole zero rows and scattered zeros, whatever the slab split.
 */
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../geometry/grid.js';
import { mulberry32 } from '../../synthetic/random.js';
import { gaussianPass, gaussianWeights, type GaussianPassPayload } from './gaussian.js';

const dims: Vec3 = [23, 17, 11];
const n = dims[0] * dims[1] * dims[2];

/** The definition: per voxel, taps −r … +r in order, edges replicated, summed in double. */
function definition(p: GaussianPassPayload): void {
  const { src, dst, dims: [nx, ny, nz], axis, weights } = p;
  const r = (weights.length - 1) >> 1;
  const len = axis === 0 ? nx : axis === 1 ? ny : nz;
  const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
  for (let v = 0; v < nx * ny * nz; v++) {
    const pos = [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))][axis]!;
    let acc = 0;
    for (let t = -r; t <= r; t++) acc += weights[t + r]! * src[v + (Math.min(len - 1, Math.max(0, pos + t)) - pos) * stride]!;
    dst[v] = acc;
  }
}

/** Random values with whole zero rows and scattered zeros (what the zero-row shortcut meets). */
function field(seed: number, int: boolean): Float32Array | Int16Array {
  const r = mulberry32(seed);
  const a = int ? new Int16Array(n) : new Float32Array(n);
  for (let v = 0; v < n; v++) a[v] = r() < 0.3 ? 0 : int ? Math.round(r() * 4000 - 1000) : r() * 2000 - 1000;
  for (let row = 0; row < n / dims[0]; row += 3) a.fill(0, row * dims[0], (row + 1) * dims[0]);
  return a;
}

describe('gaussianPass', () => {
  it('equals the voxel-by-voxel definition bit for bit on every axis, whatever the slab split', () => {
    for (const int of [false, true]) {
      const src = field(int ? 2 : 1, int);
      for (const axis of [0, 1, 2] as const) {
        for (const sv of [0.7, 2.3, 6]) {
          const weights = gaussianWeights(sv);
          const ref = new Float32Array(n);
          definition({ src, dst: ref, dims, axis, weights, kStart: 0, kEnd: dims[2] });
          const got = new Float32Array(n).fill(NaN);
          gaussianPass({ src, dst: got, dims, axis, weights, kStart: 0, kEnd: 4 });
          gaussianPass({ src, dst: got, dims, axis, weights, kStart: 4, kEnd: dims[2] });
          expect(Buffer.from(got.buffer).equals(Buffer.from(ref.buffer)), `${int ? 'Int16' : 'Float32'} axis ${axis} σ ${sv}`).toBe(true);
        }
      }
    }
  });
});
