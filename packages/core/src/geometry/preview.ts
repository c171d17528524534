/**
 * A small copy of the CT for the first picture: one voxel of each f×f×f block on a grid that
 * covers the same box in space (spacing × f, origin moved to the first block's centre). The
 * convert job writes it beside the CT (volume-preview.nii.gz, ~2 MB against ~40 MB) and the
 * review page shows it while NiiVue takes in the full volume: on a machine without a graphics
 * card (SwiftShader) NiiVue's texture passes over a 37-megavoxel CT take seconds, over a
 * twenty-seventh of it a fraction of one.
 */
import type { Grid } from './grid.js';
import type { Volume } from './types.js';

/** The preview's voxel budget: about 1.5 megavoxels (a 512×512×140 CT is shown at a third, 171×171×47). */
export const PREVIEW_VOXELS = 1_500_000;

/** The smallest odd factor that brings the volume to at most `maxVoxels` (1 when it is small already). */
export function previewFactor(dims: readonly [number, number, number], maxVoxels: number): number {
  let f = 1;
  while (Math.ceil(dims[0] / f) * Math.ceil(dims[1] / f) * Math.ceil(dims[2] / f) > maxVoxels && f < 63) f += 2;
  return f;
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

/**
 * The voxel at the centre of each f×f×f block (f odd, so the centre is a voxel and the preview
 * voxel sits exactly on it; a partial block at an edge takes its last voxel). A 27th of the reads
 * of block means, which cost half a second in the worker on a loaded machine before the first
 * picture; for a picture replaced seconds later the sampling noise does not matter.
 */
export function previewVolume(v: Volume, f: number): Volume {
  if (f % 2 !== 1) throw new RangeError(`previewVolume: the factor must be odd, got ${f}`);
  const [nx, ny, nz] = v.grid.dims;
  const grid = previewGrid(v.grid, f);
  const [px, py, pz] = grid.dims;
  const h = (f - 1) / 2;
  const at = (i: number, n: number) => Math.min(n - 1, i * f + h);
  const xs = Int32Array.from({ length: px }, (_, i) => at(i, nx));
  const data = new Int16Array(px * py * pz);
  const src = v.data;
  let b = 0;
  for (let k = 0; k < pz; k++) {
    const z = at(k, nz) * nx * ny;
    for (let j = 0; j < py; j++) {
      const row = z + at(j, ny) * nx;
      for (let i = 0; i < px; i++) data[b++] = Math.max(-32768, Math.min(32767, Math.round(src[row + xs[i]!]!)));
    }
  }
  return { grid, data };
}
