import { describe, expect, it } from 'vitest';
import { mulberry32 as rng } from '../synthetic/random.js';
import type { Vec3 } from '../geometry/grid.js';
import { getTask } from '../parallel/registry.js';
import type { WorkerPool } from '../parallel/pool.js';
import { edt3d, edt3dParallel, surfaceMask } from './edt.js';
import './tasks.js';


function bruteForce(feature: Uint8Array, dims: Vec3, sp: Vec3): Float64Array {
  const [nx, ny, nz] = dims;
  const pts: number[][] = [];
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (feature[i + j * nx + k * nx * ny]) pts.push([i * sp[0], j * sp[1], k * sp[2]]);
  const out = new Float64Array(feature.length);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        let best = Infinity;
        for (const [x, y, z] of pts) best = Math.min(best, (i * sp[0] - x!) ** 2 + (j * sp[1] - y!) ** 2 + (k * sp[2] - z!) ** 2);
        out[i + j * nx + k * nx * ny] = Math.sqrt(best);
      }
    }
  }
  return out;
}

/** A pool that runs registered tasks inline but claims several workers, so slabs are split. */
function fakePool(size: number): WorkerPool {
  return { size, run: async (task, payload) => (await getTask(task)(payload)) as never, close: async () => {} };
}

describe('exact EDT', () => {
  it('matches brute force on random anisotropic volumes, also split into slabs', async () => {
    const r = rng(42);
    for (const [dims, sp, density] of [
      [[13, 9, 7], [0.7, 1.3, 2.1], 0.04],
      [[6, 11, 10], [0.5, 0.5, 2.5], 0.01],
      [[20, 3, 5], [1, 1, 1], 0.2],
    ] as [Vec3, Vec3, number][]) {
      const n = dims[0] * dims[1] * dims[2];
      const f = new Uint8Array(n);
      for (let p = 0; p < n; p++) f[p] = r() < density ? 1 : 0;
      f[r() * n | 0] = 1; // at least one feature
      const ref = bruteForce(f, dims, sp);
      const got = edt3d(f, dims, sp);
      let worst = 0;
      for (let p = 0; p < n; p++) worst = Math.max(worst, Math.abs(got[p]! - ref[p]!));
      expect(worst).toBeLessThan(1e-4);
      const par = await edt3dParallel(f, dims, sp, fakePool(3));
      expect(Array.from(par)).toEqual(Array.from(got));
      const sq = edt3d(f, dims, sp, { squared: true });
      for (let p = 0; p < n; p += 7) expect(Math.abs(sq[p]! - ref[p]! ** 2)).toBeLessThan(1e-3);
    }
  });

  it('uses the spacing of each axis: 2.5 mm between slices, 0.5 mm in-plane', () => {
    const dims: Vec3 = [9, 9, 9];
    const f = new Uint8Array(729);
    f[4 + 4 * 9 + 4 * 81] = 1;
    const d = edt3d(f, dims, [0.5, 0.5, 2.5]);
    expect(d[4 + 4 * 9 + 6 * 81]).toBeCloseTo(5, 6); // two slices up
    expect(d[6 + 4 * 9 + 4 * 81]).toBeCloseTo(1, 6); // two columns over
    expect(d[7 + 8 * 9 + 5 * 81]).toBeCloseTo(Math.hypot(1.5, 2, 2.5), 5);
    expect(edt3d(new Uint8Array(729), dims, [1, 1, 1])[100]).toBe(Infinity);
  });

  it('finds the 6-connected boundary voxels of a box', () => {
    const dims: Vec3 = [6, 6, 6];
    const m = new Uint8Array(216);
    for (let k = 1; k <= 4; k++) for (let j = 1; j <= 4; j++) for (let i = 1; i <= 4; i++) m[i + 6 * j + 36 * k] = 1;
    const s = surfaceMask(m, dims);
    let count = 0;
    for (let p = 0; p < 216; p++) count += s[p]!;
    expect(count).toBe(4 ** 3 - 2 ** 3); // the 2×2×2 core is interior
    expect(s[2 + 6 * 2 + 36 * 2]).toBe(0);
    // at the grid edge the outside counts as background
    const full = surfaceMask(new Uint8Array(27).fill(1), [3, 3, 3]);
    expect(full.reduce((a, b) => a + b, 0)).toBe(26);
  });
});
