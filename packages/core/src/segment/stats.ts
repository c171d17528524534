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
import type { RunComponents } from './components-runs.js';

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

interface Accumulators {
  voxels: Float64Array;
  /** Exposed faces normal to i, j and k (counts; areas applied at the end). */
  facesI: Float64Array;
  facesJ: Float64Array;
  facesK: Float64Array;
  si: Float64Array;
  sj: Float64Array;
  sk: Float64Array;
  hs: Float64Array;
  hs2: Float64Array;
  minI: Int32Array;
  minJ: Int32Array;
  minK: Int32Array;
  maxI: Int32Array;
  maxJ: Int32Array;
  maxK: Int32Array;
}

function newAccumulators(m: number, dims: Vec3): Accumulators {
  const f = () => new Float64Array(m);
  return {
    voxels: f(),
    facesI: f(),
    facesJ: f(),
    facesK: f(),
    si: f(),
    sj: f(),
    sk: f(),
    hs: f(),
    hs2: f(),
    minI: new Int32Array(m).fill(dims[0]),
    minJ: new Int32Array(m).fill(dims[1]),
    minK: new Int32Array(m).fill(dims[2]),
    maxI: new Int32Array(m).fill(-1),
    maxJ: new Int32Array(m).fill(-1),
    maxK: new Int32Array(m).fill(-1),
  };
}

/** Statistics for ids 1..count of `ids` (0 = background) on `grid`. */
export function componentStats(ids: Int32Array, count: number, grid: Grid, volume?: Volume): ComponentStats[] {
  const [nx, ny, nz] = grid.dims;
  const acc = newAccumulators(count + 1, grid.dims);
  const { voxels, si, sj, sk, hs, hs2, minI, minJ, minK, maxI, maxJ, maxK, facesI, facesJ, facesK } = acc;
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
        if (i === 0 || ids[p - 1] !== c) facesI[c]!++;
        if (i === nx - 1 || ids[p + 1] !== c) facesI[c]!++;
        if (j === 0 || ids[p - nx] !== c) facesJ[c]!++;
        if (j === ny - 1 || ids[p + nx] !== c) facesJ[c]!++;
        if (k === 0 || ids[p - plane] !== c) facesK[c]!++;
        if (k === nz - 1 || ids[p + plane] !== c) facesK[c]!++;
        if (hu) {
          const h = hu[p]!;
          hs[c]! += h;
          hs2[c]! += h * h;
        }
      }
    }
  }
  return finishStats(acc, count, grid, hu !== undefined);
}

function finishStats(acc: Accumulators, count: number, grid: Grid, withHu: boolean): ComponentStats[] {
  const [sx, sy, sz] = grid.spacing_mm;
  const aI = sy * sz;
  const aJ = sx * sz;
  const aK = sx * sy;
  const { voxels, si, sj, sk, hs, hs2, minI, minJ, minK, maxI, maxJ, maxK } = acc;
  const vv = sx * sy * sz;
  const out: ComponentStats[] = [];
  const corner: Vec3 = [0, 0, 0];
  for (let c = 1; c <= count; c++) {
    const n = voxels[c]!;
    if (n === 0) continue;
    const faces = acc.facesI[c]! * aI + acc.facesJ[c]! * aJ + acc.facesK[c]! * aK;
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
      surfaceArea_mm2: round((faces * 2) / 3, 2),
      faceArea_mm2: round(faces, 2),
      bbox_mm: { min: lo.map((x) => round(x, 2)) as Vec3, max: hi.map((x) => round(x, 2)) as Vec3 },
      bbox_voxel: { min: [minI[c]!, minJ[c]!, minK[c]!], max: [maxI[c]!, maxJ[c]!, maxK[c]!] },
      centroid_mm: cen.map((x) => round(x, 2)) as Vec3,
    };
    if (withHu) {
      const mean = hs[c]! / n;
      const variance = Math.max(0, hs2[c]! / n - mean * mean);
      s.hu = { mean: round(mean, 1), sd: round(Math.sqrt(variance), 1) };
    }
    out.push(s);
  }
  return out;
}

/**
 * componentStats from runs (components-runs.ts), with no id volume: `select[comp]` is the
 * statistics id (1..count) of each component, 0 to skip it. Same figures as
 * componentStats on the id volume, summed in the same (memory) order. A face counts
 * where the 6-neighbour is not in the runs' foreground: a 6-neighbour in the foreground
 * is always in the same component, whatever the connectivity.
 */
export function runComponentStats(cc: RunComponents, select: Int32Array, count: number, grid: Grid, volume?: Volume): ComponentStats[] {
  const [nx, ny, nz] = grid.dims;
  const { runs, comp } = cc;
  const { start, end, rowStart } = runs;
  const m = count + 1;
  const acc = newAccumulators(m, grid.dims);
  const hu = volume?.data;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const r = j + k * ny;
      const a0 = rowStart[r]!;
      const a1 = rowStart[r + 1]!;
      // rows with no selected run are passed over whole (table removal selects a few small
      // components of many: most rows hold none of them)
      let t0 = a0;
      while (t0 < a1 && select[comp[t0]!] === 0) t0++;
      if (t0 === a1) continue;
      // Faces along j and k: run length minus its overlap with the neighbour row's runs.
      const nb = [j > 0 ? r - 1 : -1, j < ny - 1 ? r + 1 : -1, k > 0 ? r - ny : -1, k < nz - 1 ? r + ny : -1];
      for (let d = 0; d < 4; d++) {
        const rr = nb[d]!;
        let b = rr < 0 ? 0 : rowStart[rr]!;
        const b1 = rr < 0 ? 0 : rowStart[rr + 1]!;
        for (let t = t0; t < a1; t++) {
          if (select[comp[t]!] === 0) continue;
          const s = start[t]!;
          const e = end[t]!;
          let ov = 0;
          while (b < b1 && end[b]! <= s) b++;
          for (let bb = b; bb < b1 && start[bb]! < e; bb++) ov += Math.min(e, end[bb]!) - Math.max(s, start[bb]!);
          if (d < 2) acc.facesJ[select[comp[t]!]!]! += e - s - ov;
          else acc.facesK[select[comp[t]!]!]! += e - s - ov;
        }
      }
      for (let t = t0; t < a1; t++) {
        const c = select[comp[t]!]!;
        if (c === 0) continue;
        const s = start[t]!;
        const e = end[t]!;
        const len = e - s;
        acc.voxels[c]! += len;
        acc.si[c]! += ((s + e - 1) * len) / 2;
        acc.sj[c]! += j * len;
        acc.sk[c]! += k * len;
        if (s < acc.minI[c]!) acc.minI[c] = s;
        if (e - 1 > acc.maxI[c]!) acc.maxI[c] = e - 1;
        if (j < acc.minJ[c]!) acc.minJ[c] = j;
        if (j > acc.maxJ[c]!) acc.maxJ[c] = j;
        if (k < acc.minK[c]!) acc.minK[c] = k;
        if (k > acc.maxK[c]!) acc.maxK[c] = k;
        acc.facesI[c]! += 2;
        if (hu) {
          const base = r * nx;
          let h1 = acc.hs[c]!;
          let h2 = acc.hs2[c]!;
          for (let p = base + s; p < base + e; p++) {
            const h = hu[p]!;
            h1 += h;
            h2 += h * h;
          }
          acc.hs[c] = h1;
          acc.hs2[c] = h2;
        }
      }
    }
  }
  return finishStats(acc, count, grid, hu !== undefined);
}
