import { describe, expect, it } from 'vitest';
import { gridBounds_mm, indexToPhysical, physicalToIndex, type Grid } from './grid.js';

const tilted: Grid = {
  dims: [4, 5, 6],
  spacing_mm: [0.5, 0.7, 2],
  origin_mm: [-10, 20, 30],
  // a rotation about x by 30°
  direction: [1, 0, 0, 0, Math.cos(Math.PI / 6), Math.sin(Math.PI / 6), 0, -Math.sin(Math.PI / 6), Math.cos(Math.PI / 6)],
};

describe('grid', () => {
  it('maps index → LPS → index exactly for an oblique grid', () => {
    const p = indexToPhysical(tilted, 1.5, 2.25, 3);
    const q = physicalToIndex(tilted, p[0], p[1], p[2]);
    expect(q[0]).toBeCloseTo(1.5, 9);
    expect(q[1]).toBeCloseTo(2.25, 9);
    expect(q[2]).toBeCloseTo(3, 9);
    // k steps along the third axis by spacing 2 mm
    const a = indexToPhysical(tilted, 0, 0, 0);
    const b = indexToPhysical(tilted, 0, 0, 1);
    expect(Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2])).toBeCloseTo(2, 9);
  });
  it('bounds enclose all corner voxel centres', () => {
    const { min, max } = gridBounds_mm({ ...tilted, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] });
    expect(min).toEqual([-10, 20, 30]);
    expect(max).toEqual([-10 + 1.5, 20 + 2.8, 30 + 10]);
  });
});
