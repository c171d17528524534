/**
 * Coarse cell centres (anatomy/coarse-grid.ts) agree with the grid's own index → LPS mapping
 * on an oblique grid (a gantry tilt of 18.5°, as ct/ge-head-tilt-variable-spacing): the
 * positions the identification reads (levels, sides) must be the patient's.
 */
import { describe, expect, it } from 'vitest';
import type { Grid } from '../geometry/grid.js';
import { indexToPhysical } from '../geometry/grid.js';
import { coarseGridOf } from './coarse-grid.js';

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
