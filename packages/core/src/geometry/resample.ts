/**
 * Trilinear sampling of a Volume at physical (LPS mm) points, and resampling of a
 * Volume onto another orthonormal Grid. Used to compare volumes on different grids
 * (peer tools, references) and by anything that needs a volume on a given grid.
 */
import type { Grid } from './grid.js';
import type { Volume } from './types.js';

/**
 * Value at LPS point (x, y, z) by trilinear interpolation, or `outside` when the point
 * is not within the grid's voxel centres (no extrapolation).
 */
export function sampleTrilinear(vol: Volume, x: number, y: number, z: number, outside = NaN): number {
  const g = vol.grid;
  const d = g.direction;
  const px = x - g.origin_mm[0], py = y - g.origin_mm[1], pz = z - g.origin_mm[2];
  const fi = (px * d[0] + py * d[1] + pz * d[2]) / g.spacing_mm[0];
  const fj = (px * d[3] + py * d[4] + pz * d[5]) / g.spacing_mm[1];
  const fk = (px * d[6] + py * d[7] + pz * d[8]) / g.spacing_mm[2];
  return sampleIndex(vol.data, g.dims[0], g.dims[1], g.dims[2], fi, fj, fk, outside);
}

const EPS = 1e-6;

/** Trilinear value at continuous index (fi, fj, fk); `outside` beyond the voxel centres. */
export function sampleIndex(
  data: ArrayLike<number>,
  nx: number,
  ny: number,
  nz: number,
  fi: number,
  fj: number,
  fk: number,
  outside: number,
): number {
  if (fi < -EPS || fj < -EPS || fk < -EPS || fi > nx - 1 + EPS || fj > ny - 1 + EPS || fk > nz - 1 + EPS) return outside;
  const i0 = clampCell(fi, nx), j0 = clampCell(fj, ny), k0 = clampCell(fk, nz);
  const ti = clamp01(fi - i0), tj = clamp01(fj - j0), tk = clamp01(fk - k0);
  const i1 = nx > 1 ? i0 + 1 : i0, j1 = ny > 1 ? j0 + 1 : j0, k1 = nz > 1 ? k0 + 1 : k0;
  const sy = nx, sz = nx * ny;
  const v000 = data[i0 + j0 * sy + k0 * sz]!, v100 = data[i1 + j0 * sy + k0 * sz]!;
  const v010 = data[i0 + j1 * sy + k0 * sz]!, v110 = data[i1 + j1 * sy + k0 * sz]!;
  const v001 = data[i0 + j0 * sy + k1 * sz]!, v101 = data[i1 + j0 * sy + k1 * sz]!;
  const v011 = data[i0 + j1 * sy + k1 * sz]!, v111 = data[i1 + j1 * sy + k1 * sz]!;
  const a = v000 + ti * (v100 - v000), b = v010 + ti * (v110 - v010);
  const c = v001 + ti * (v101 - v001), e = v011 + ti * (v111 - v011);
  const f = a + tj * (b - a), h = c + tj * (e - c);
  return f + tk * (h - f);
}

function clampCell(f: number, n: number): number {
  if (n <= 1) return 0;
  const c = Math.floor(f);
  return c < 0 ? 0 : c > n - 2 ? n - 2 : c;
}
function clamp01(t: number): number {
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

/**
 * Resamples `src` onto `target` (both orthonormal) by trilinear interpolation; voxels
 * whose centre falls outside the source grid get `fill`. The source index is an affine
 * function of the target index, so it is stepped incrementally along i.
 */
export function resampleToGrid(src: Volume, target: Grid, fill: number): Volume {
  const s = src.grid, t = target;
  const [nx, ny, nz] = t.dims;
  const out = new Float32Array(nx * ny * nz);
  // target index → LPS: o_t + Σ idx·h·axis ; LPS → source index: ((p − o_s)·axis_s) / h_s
  const m = new Float64Array(12); // row a: source index a = m[a*4]·i + m[a*4+1]·j + m[a*4+2]·k + m[a*4+3]
  for (let a = 0; a < 3; a++) {
    const ax = [s.direction[a * 3]!, s.direction[a * 3 + 1]!, s.direction[a * 3 + 2]!];
    for (let b = 0; b < 3; b++) {
      let dd = 0;
      for (let r = 0; r < 3; r++) dd += ax[r]! * t.direction[b * 3 + r]!;
      m[a * 4 + b] = (dd * t.spacing_mm[b]!) / s.spacing_mm[a]!;
    }
    let off = 0;
    for (let r = 0; r < 3; r++) off += ax[r]! * (t.origin_mm[r]! - s.origin_mm[r]!);
    m[a * 4 + 3] = off / s.spacing_mm[a]!;
  }
  const [sx, sy, sz] = s.dims;
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let fi = m[1]! * j + m[2]! * k + m[3]!;
      let fj = m[5]! * j + m[6]! * k + m[7]!;
      let fk = m[9]! * j + m[10]! * k + m[11]!;
      for (let i = 0; i < nx; i++) {
        out[p++] = sampleIndex(src.data, sx, sy, sz, fi, fj, fk, fill);
        fi += m[0]!;
        fj += m[4]!;
        fk += m[8]!;
      }
    }
  }
  return { grid: { dims: [nx, ny, nz], spacing_mm: [...t.spacing_mm], origin_mm: [...t.origin_mm], direction: [...t.direction] }, data: out };
}
