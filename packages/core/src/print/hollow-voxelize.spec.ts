/**
 * The parity voxeliser on columns that run exactly along a shared edge: a box's faces are two
 * triangles split by a diagonal, and at the hollowing grid (h = wall / 3 = 0.6667 mm) columns
 * such as x = 2.6668, y = 2.0001 lie on the 40 × 30 face's diagonal (y = 0.75 x) to the last
 * bit. Each triangle's edge test was rounded from its own start, so both or neither claimed the
 * column; the odd count left the whole column outside, and hollowing kept a pillar of wall
 * around it through the cavity.
 */
import { describe, expect, it } from 'vitest';
import { box } from '../testing/meshes.js';
import { labelShells } from '../surface/mesh-utils.js';
import { voxelizeSolid, type VoxelGrid } from './hollow-voxelize.js';
import { hollowSolid } from './hollow.js';

const H = 0.6667; // hollowSolid's voxel for a 2 mm wall: wall / 3, rounded to 4 places
const SIZE: [number, number, number] = [40, 30, 20];

/** Euler characteristic (V − E + F) of each shell of a closed mesh: 2 for a sphere-like shell, less for each handle. */
function eulerPerShell(m: { indices: Uint32Array; positions: Float32Array | Float64Array }): number[] {
  const sh = labelShells(m as never);
  const v = new Array<number>(sh.shellCount).fill(0);
  const f = new Array<number>(sh.shellCount).fill(0);
  const seen = new Uint8Array(m.positions.length / 3);
  for (let t = 0; t < m.indices.length / 3; t++) {
    const s = sh.shellOf[t]!; // per triangle
    f[s]!++;
    for (let q = 0; q < 3; q++) {
      const i = m.indices[3 * t + q]!;
      if (!seen[i]) v[s]!++;
      seen[i] = 1;
    }
  }
  return v.map((n, s) => n - 1.5 * f[s]! + f[s]!);
}

describe('voxelizeSolid on columns along a shared edge', () => {
  for (const n of [1, 2]) {
    it(`a 40 × 30 × 20 mm box (faces split ${n}×${n}): every voxel farther than 1 µm from a face is classified as the box says`, () => {
      const g: VoxelGrid = { origin: [-2 * H, -2 * H, -2 * H], h: H, dims: SIZE.map((s) => Math.ceil(s / H) + 5) as [number, number, number] };
      const mask = voxelizeSolid(box([0, 0, 0], SIZE, n), g);
      const [nx, ny, nz] = g.dims;
      const wrong: string[] = [];
      for (let k = 0; k < nz; k++) {
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++) {
            const p = [g.origin[0] + i * H, g.origin[1] + j * H, g.origin[2] + k * H];
            const gap = Math.min(...p.map((c, a) => Math.min(Math.abs(c), Math.abs(c - SIZE[a]!))));
            if (gap < 1e-6) continue;
            const inside = p.every((c, a) => c > 0 && c < SIZE[a]!);
            if (inside !== (mask[i + nx * (j + ny * k)] === 1) && wrong.length < 5) wrong.push(p.map((c) => c.toFixed(4)).join(', '));
          }
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it('hollowing that box with a 2 mm wall leaves one cavity and no pillar through it', async () => {
    const h = await hollowSolid(box([0, 0, 0], SIZE, 2), { wall_mm: 2, drainHoles: 0 }, [0, 0, 1], 'box');
    // Outer surface and cavity, each without a handle (a pillar through the cavity is one).
    expect(eulerPerShell(h.mesh)).toEqual([2, 2]);
    const cavity = (SIZE[0] - 4) * (SIZE[1] - 4) * (SIZE[2] - 4);
    expect(Math.abs(h.removed_mm3 / cavity - 1)).toBeLessThan(0.01);
  });
});
