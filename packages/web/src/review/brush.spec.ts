import { describe, expect, it } from 'vitest';
import { readNiftiLabels } from '@scan2print/core';
import { brushOffsets, brushRadiusVoxels, stamp, strokePoints, type StrokeBefore, type Vec3 } from './brush.js';
import { readData, TOTALSEG } from './spec-data.js';

// The Philips phantom's grid (0.4512 mm pixels, 1 mm slices) and a real label map.
const PHANTOM: Vec3 = [0.4512, 0.4512, 1.0];

describe('brush size in mm → voxels', () => {
  it('converts the radius with each axis\'s spacing and holds the slice plane\'s normal at 0', () => {
    expect(brushRadiusVoxels(2, PHANTOM, 0)).toEqual([2 / 0.4512, 2 / 0.4512, 0]);
    expect(brushRadiusVoxels(2, PHANTOM, 1)).toEqual([2 / 0.4512, 0, 2]);
    expect(brushRadiusVoxels(2, PHANTOM, 2)).toEqual([0, 2 / 0.4512, 2]);
  });

  it('an axial disk of 2 mm covers about π·2² mm² of voxels; a coronal one spans ±2 slices', () => {
    const axial = brushOffsets(2, PHANTOM, 0);
    const area = axial.length * PHANTOM[0] * PHANTOM[1];
    expect(area).toBeGreaterThan(Math.PI * 4 * 0.85);
    expect(area).toBeLessThan(Math.PI * 4 * 1.15);
    expect(axial.every(([, , dz]) => dz === 0)).toBe(true);
    expect(Math.max(...axial.map(([dx]) => dx))).toBe(4); // 4 · 0.4512 = 1.8 mm ≤ 2 < 5 · 0.4512
    const coronal = brushOffsets(2, PHANTOM, 1);
    expect(coronal.every(([, dy]) => dy === 0)).toBe(true);
    expect(Math.max(...coronal.map(([, , dz]) => dz))).toBe(2);
    // A brush thinner than a voxel still paints the voxel under the pointer.
    expect(brushOffsets(0.1, PHANTOM, 0)).toEqual([[0, 0, 0]]);
  });

  it('paints and erases on a real label map, recording first values for undo, clipped at the edge', async () => {
    const map = readNiftiLabels(await readData(...TOTALSEG, 'example_seg_fast_force_split.nii.gz'), 'seg');
    const labels = map.data as Uint8Array;
    const dims = map.grid.dims as Vec3;
    const offs = brushOffsets(6, map.grid.spacing_mm as Vec3, 0); // 3 mm voxels: radius 2 voxels, 13 in the disk
    expect(offs).toHaveLength(13);
    const before: StrokeBefore = new Map();
    const orig = labels.slice();
    const centre: Vec3 = [60, 50, 56];
    stamp(labels, dims, centre, offs, 1, before);
    stamp(labels, dims, [61, 50, 56], offs, 1, before); // overlapping stamp: first values kept
    for (const [i, v] of before) expect(v).toBe(orig[i]);
    expect(labels[60 + dims[0] * (50 + dims[1] * 56)]).toBe(1);
    const erase: StrokeBefore = new Map();
    stamp(labels, dims, centre, offs, 0, erase);
    expect(labels[60 + dims[0] * (50 + dims[1] * 56)]).toBe(0);
    // At a corner only the part inside the grid is painted.
    const corner: StrokeBefore = new Map();
    const n = stamp(labels, dims, [0, 0, 0], offs, 9, corner);
    expect(n).toBe(6); // the quarter disk of radius 2: (0..2, 0) (0, 1..2) (1, 1)
  });

  it('fills a fast stroke without gaps', () => {
    const pts = strokePoints([0, 0, 5], [10, 3, 5]);
    expect(pts[0]).toEqual([0, 0, 5]);
    expect(pts.at(-1)).toEqual([10, 3, 5]);
    for (let k = 1; k < pts.length; k++) expect(Math.abs(pts[k]![0] - pts[k - 1]![0])).toBeLessThanOrEqual(1);
  });
});
