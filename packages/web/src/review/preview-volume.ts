/**
 * A small copy of the CT for the first picture: block means of f×f×f voxels on a grid that
 * covers the same box in space (spacing × f, origin moved to the first block's centre). The
 * review page shows it while NiiVue takes in the full volume: on a machine without a graphics
 * card (SwiftShader) NiiVue's texture passes over a 37-megavoxel CT take seconds, over a
 * twenty-seventh of it a fraction of one.
 */
import type { Grid, Volume } from '@scan2print/core';

/** The smallest whole factor that brings the volume to at most `maxVoxels` (1 when it is small already). */
export function previewFactor(dims: readonly [number, number, number], maxVoxels: number): number {
  const n = dims[0] * dims[1] * dims[2];
  let f = 1;
  while (Math.ceil(dims[0] / f) * Math.ceil(dims[1] / f) * Math.ceil(dims[2] / f) > maxVoxels && f < 64) f++;
  return n > 0 ? f : 1;
}

/** The grid of f×f×f blocks (a partial block at an edge is one voxel of the preview too). */
export function previewGrid(g: Grid, f: number): Grid {
  const d = g.direction;
  const half = (f - 1) / 2;
  const origin: [number, number, number] = [0, 0, 0];
  for (let r = 0; r < 3; r++) {
    // The centre of block (0, 0, 0) is continuous index (f−1)/2 along each axis.
    origin[r] = g.origin_mm[r]! + half * (g.spacing_mm[0] * d[r]! + g.spacing_mm[1] * d[3 + r]! + g.spacing_mm[2] * d[6 + r]!);
  }
  return {
    dims: [Math.ceil(g.dims[0] / f), Math.ceil(g.dims[1] / f), Math.ceil(g.dims[2] / f)],
    spacing_mm: [g.spacing_mm[0] * f, g.spacing_mm[1] * f, g.spacing_mm[2] * f],
    origin_mm: origin,
    direction: [...g.direction],
  };
}

/** Block means (rounded) of `v` on previewGrid(v.grid, f), as Int16 (CT in HU). */
export function previewVolume(v: Volume, f: number): Volume {
  const [nx, ny, nz] = v.grid.dims;
  const grid = previewGrid(v.grid, f);
  const [px, py, pz] = grid.dims;
  const sum = new Float64Array(px * py * pz);
  const cnt = new Uint32Array(px * py * pz);
  const src = v.data;
  // Block column of each x, looked up (no division in the 37-megavoxel inner loop).
  const bx = new Int32Array(nx);
  for (let x = 0; x < nx; x++) bx[x] = (x / f) | 0;
  let i = 0;
  for (let z = 0; z < nz; z++) {
    const bz = ((z / f) | 0) * px * py;
    for (let y = 0; y < ny; y++) {
      const row = bz + ((y / f) | 0) * px;
      for (let x = 0; x < nx; x++, i++) {
        const b = row + bx[x]!;
        sum[b] += src[i]!;
        cnt[b]!++;
      }
    }
  }
  const data = new Int16Array(sum.length);
  for (let b = 0; b < sum.length; b++) data[b] = Math.max(-32768, Math.min(32767, Math.round(sum[b]! / cnt[b]!)));
  return { grid, data };
}
