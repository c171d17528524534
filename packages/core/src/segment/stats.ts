/**
 * Per-component statistics (the patent's "feature extraction"): volume, surface area
 * estimate, bounding box, centroid and HU mean/SD, computed in one pass over a
 * component-id volume with per-component accumulators (no per-voxel objects).
 *
 * Surface area: the exposed voxel faces are counted (a face between a component voxel
 * and anything else, the grid edge included) and weighted by their physical area per
 * axis (s_j·s_k for faces normal to i, …). Face counting overestimates a smooth surface:
 * for any convex body it gives the sum of the three doubled axis projections, whose mean
 * over isotropic orientations is 3/2 of the true area (Cauchy's projection formula).
 * `surfaceArea_mm2` is therefore face area × 2/3 (exact in expectation for a sphere or
 * randomly oriented surfaces; a flat axis-aligned plate is underestimated by 1/3), and
 * the raw `faceArea_mm2` is given too.
 */
import type { Vec3 } from '../geometry/grid.js';
import { indexToPhysical } from '../geometry/grid.js';
import type { Grid } from '../geometry/grid.js';
import type { Volume } from '../geometry/types.js';
import { round } from '../pipeline/record.js';

export interface ComponentStats {
  /** Component id in the id volume the statistics were computed on. */
  id: number;
  voxels: number;
  volume_mm3: number;
  /** Face area × 2/3 (see module comment). */
  surfaceArea_mm2: number;
  /** Raw exposed voxel-face area. */
  faceArea_mm2: number;
  /** Axis-aligned box in LPS mm enclosing the voxels' physical extent (voxel boundaries). */
  bbox_mm: { min: Vec3; max: Vec3 };
  /** Index-space box [iMin, jMin, kMin] – [iMax, jMax, kMax], inclusive. */
  bbox_voxel: { min: Vec3; max: Vec3 };
  centroid_mm: Vec3;
  /** HU mean and standard deviation when a volume was given. */
  hu?: { mean: number; sd: number };
}

/** Statistics for ids 1..count of `ids` (0 = background) on `grid`. */
export function componentStats(ids: Int32Array, count: number, grid: Grid, volume?: Volume): ComponentStats[] {
  const [nx, ny, nz] = grid.dims;
  const [sx, sy, sz] = grid.spacing_mm;
  const m = count + 1;
  const voxels = new Float64Array(m);
  const faces = new Float64Array(m);
  const si = new Float64Array(m);
  const sj = new Float64Array(m);
  const sk = new Float64Array(m);
  const hs = new Float64Array(m);
  const hs2 = new Float64Array(m);
  const minI = new Int32Array(m).fill(nx);
  const minJ = new Int32Array(m).fill(ny);
  const minK = new Int32Array(m).fill(nz);
  const maxI = new Int32Array(m).fill(-1);
  const maxJ = new Int32Array(m).fill(-1);
  const maxK = new Int32Array(m).fill(-1);
  const aI = sy * sz;
  const aJ = sx * sz;
  const aK = sx * sy;
  const plane = nx * ny;
  const hu = volume?.data;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const row = j * nx + k * plane;
      for (let i = 0; i < nx; i++) {
        const p = row + i;
        const c = ids[p]!;
        if (c === 0) continue;
        voxels[c]!++;
        si[c]! += i;
        sj[c]! += j;
        sk[c]! += k;
        if (i < minI[c]!) minI[c] = i;
        if (i > maxI[c]!) maxI[c] = i;
        if (j < minJ[c]!) minJ[c] = j;
        if (j > maxJ[c]!) maxJ[c] = j;
        if (k < minK[c]!) minK[c] = k;
        if (k > maxK[c]!) maxK[c] = k;
        let f = 0;
        if (i === 0 || ids[p - 1] !== c) f += aI;
        if (i === nx - 1 || ids[p + 1] !== c) f += aI;
        if (j === 0 || ids[p - nx] !== c) f += aJ;
        if (j === ny - 1 || ids[p + nx] !== c) f += aJ;
        if (k === 0 || ids[p - plane] !== c) f += aK;
        if (k === nz - 1 || ids[p + plane] !== c) f += aK;
        faces[c]! += f;
        if (hu) {
          const h = hu[p]!;
          hs[c]! += h;
          hs2[c]! += h * h;
        }
      }
    }
  }
  const vv = sx * sy * sz;
  const out: ComponentStats[] = [];
  const corner: Vec3 = [0, 0, 0];
  for (let c = 1; c <= count; c++) {
    const n = voxels[c]!;
    if (n === 0) continue;
    const lo: Vec3 = [Infinity, Infinity, Infinity];
    const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
    for (let t = 0; t < 8; t++) {
      indexToPhysical(grid, t & 1 ? maxI[c]! + 0.5 : minI[c]! - 0.5, t & 2 ? maxJ[c]! + 0.5 : minJ[c]! - 0.5, t & 4 ? maxK[c]! + 0.5 : minK[c]! - 0.5, corner);
      for (let a = 0; a < 3; a++) {
        if (corner[a]! < lo[a]!) lo[a] = corner[a]!;
        if (corner[a]! > hi[a]!) hi[a] = corner[a]!;
      }
    }
    const cen = indexToPhysical(grid, si[c]! / n, sj[c]! / n, sk[c]! / n);
    const s: ComponentStats = {
      id: c,
      voxels: n,
      volume_mm3: round(n * vv, 2),
      surfaceArea_mm2: round((faces[c]! * 2) / 3, 2),
      faceArea_mm2: round(faces[c]!, 2),
      bbox_mm: { min: lo.map((x) => round(x, 2)) as Vec3, max: hi.map((x) => round(x, 2)) as Vec3 },
      bbox_voxel: { min: [minI[c]!, minJ[c]!, minK[c]!], max: [maxI[c]!, maxJ[c]!, maxK[c]!] },
      centroid_mm: cen.map((x) => round(x, 2)) as Vec3,
    };
    if (hu) {
      const mean = hs[c]! / n;
      const variance = Math.max(0, hs2[c]! / n - mean * mean);
      s.hu = { mean: round(mean, 1), sd: round(Math.sqrt(variance), 1) };
    }
    out.push(s);
  }
  return out;
}
