/**
 * Coarse cell centres (anatomy/coarse-grid.ts) agree with the grid's own index → LPS mapping
 * on an oblique grid (a gantry tilt of 18.5°, as ct/ge-head-tilt-variable-spacing): the
 * positions the identification reads (levels, sides) must be the patient's.
 */
import { describe, expect, it } from 'vitest';
import type { Grid } from '../geometry/grid.js';
import { IDENTITY_DIRECTION, indexToPhysical } from '../geometry/grid.js';
import { mulberry32 } from '../synthetic/random.js';
import { coarseGridOf, forEachNonZeroVoxel } from './coarse-grid.js';

const c = Math.cos((18.5 * Math.PI) / 180);
const s = Math.sin((18.5 * Math.PI) / 180);
// Axis j tilted toward −z, axis k toward +y (DICOM LPS).
const grid: Grid = { dims: [6, 8, 5], spacing_mm: [0.5, 0.5, 1], origin_mm: [-10, 20, 30], direction: [1, 0, 0, 0, c, -s, 0, s, c] };

describe('coarse grid on an oblique series', () => {
  it('puts each cell at the mean LPS position of its voxels', () => {
    const cg = coarseGridOf(grid, 1); // 2 × 2 × 1 voxels per cell
    expect(cg.factors).toEqual([2, 2, 1]);
    for (const [a, b, k] of [[0, 0, 0], [2, 3, 4], [1, 2, 3]] as const) {
      const q = a + b * cg.dims[0] + k * cg.dims[0] * cg.dims[1];
      const want = indexToPhysical(grid, 2 * a + 0.5, 2 * b + 0.5, k);
      for (let t = 0; t < 3; t++) expect(cg.centre[3 * q + t]!).toBeCloseTo(want[t]!, 3);
    }
  });
});

describe('forEachNonZeroVoxel', () => {
  it('visits exactly the non-zero voxels, in order, with the cell of ⌊i/f0⌋, ⌊j/f1⌋, ⌊k/f2⌋: byte maps read by words (at any offset) or not, 16-bit maps', () => {
    const rand = mulberry32(3);
    for (let trial = 0; trial < 30; trial++) {
      const dims: [number, number, number] = [1 + Math.floor(rand() * 37), 1 + Math.floor(rand() * 9), 1 + Math.floor(rand() * 6)];
      const g: Grid = { dims, spacing_mm: [0.4 + rand(), 0.4 + rand(), 0.5 + 2 * rand()], origin_mm: [0, 0, 0], direction: IDENTITY_DIRECTION };
      const cg = coarseGridOf(g, 2);
      const n = dims[0] * dims[1] * dims[2];
      // sparse runs and lone voxels, as a bone mask has; offset 1 makes the byte map unaligned (no word reads)
      const fill = rand();
      const at = trial % 3 === 1 ? 1 : 0;
      const bytes = new Uint8Array(n + at).subarray(at);
      for (let p = 0; p < n; p++) bytes[p] = rand() < fill * 0.3 ? 1 + Math.floor(rand() * 3) : 0;
      const maps: ArrayLike<number>[] = [bytes, Uint16Array.from(bytes)];
      const want: string[] = [];
      for (let p = 0; p < n; p++) {
        if (!bytes[p]) continue;
        const i = p % dims[0], j = Math.floor(p / dims[0]) % dims[1], k = Math.floor(p / (dims[0] * dims[1]));
        const q = Math.floor(i / cg.factors[0]) + Math.floor(j / cg.factors[1]) * cg.dims[0] + Math.floor(k / cg.factors[2]) * cg.dims[0] * cg.dims[1];
        want.push(`${p}:${q}`);
      }
      for (const data of maps) {
        const got: string[] = [];
        forEachNonZeroVoxel(g, cg, data, (p, q) => got.push(`${p}:${q}`));
        expect(got, `trial ${trial}`).toEqual(want);
      }
    }
  });
});
