/**
 * The patient's body frame for identification: mid-sagittal plane, body width and depth, air
 * (lung) and bone per axial level, and limb cells (an arm beside the trunk, a thigh).
 */
import type { Volume } from '../geometry/types.js';
import { bodyMask } from '../segment/table.js';
import { cellIndexer, type CoarseGrid } from './coarse-grid.js';
import { floodPlane } from './flood-plane.js';

export interface BodyFrame {
  /** x of the mid-sagittal plane (median over levels of the body's x centre), mm LPS. */
  midX: number;
  /** Per z level (bin of `binSize_mm` from `z0`): body x extent, y extent and centre; NaN where no body. */
  z0: number;
  binSize_mm: number;
  width: Float64Array;
  depth: Float64Array;
  centreY: Float64Array;
  /**
   * Per coarse slice k: the body's y centre and depth in that slice (NaN where none). A slice is a whole cross-section
   * even on a tilted series, where the lowest and highest z levels cut through only part of the body.
   */
  sliceCentreY: Float64Array;
  sliceDepth: Float64Array;
  /** Body extent along z (mm LPS) and overall x width (median of levels). */
  zMin: number;
  zMax: number;
  medianWidth: number;
  /** 1 where a coarse cell is (mostly) body. */
  cell: Uint8Array;
  /** Per level: fraction of the (filled) body's cells whose mean is air (< −400 HU): the lungs. */
  air: Float64Array;
  /** 1 for body cells of a limb: an axial body piece that does not reach the mid-sagittal plane (an arm beside the trunk, a thigh). */
  limb: Uint8Array;
  /** Per level: x extent of the bone inside the body / body width (wide at the pelvis, the rib cage and the skull). */
  boneSpan: Float64Array;
  /** Per level: 1 where bone crosses the midline column (spine, sternum, skull, pelvic ring), 0 where none does (the legs). */
  midlineBone: Float64Array;
}

/** Mean HU below which a body cell is air (lung, bowel gas, airway). */
const AIR_HU = -400;

/** The body frame from the filled body mask (supports removed: segment/table.ts). */
export function bodyFrame(volume: Volume, cg: CoarseGrid): BodyFrame {
  const body = bodyMask(volume).mask;
  const n = cg.dims[0] * cg.dims[1] * cg.dims[2];
  const cell = new Uint8Array(n);
  // A cell is body when at least half its voxels are (counted in a small integer array).
  const votes = new Int32Array(n);
  const total = new Int32Array(n);
  const huSum = new Float32Array(n);
  const hu = volume.data;
  {
    const { ci, cj, ck } = cellIndexer(volume.grid, cg);
    const [nx, ny, nz] = volume.grid.dims;
    const [f0, f1, f2] = cg.factors;
    // Integer HU whose sum over a cell stays below 2^24: float32 sums them exactly in any order, so a row's run of f0
    // voxels (one cell) is summed first and added once (the same sums as voxel by voxel, a fraction of the stores).
    const runs = hu instanceof Int16Array && f0 * f1 * f2 * 32768 < 2 ** 24;
    for (let k = 0, p = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        const row = ck[k]! + cj[j]!;
        if (runs) {
          for (let i0 = 0; i0 < nx; i0 += f0) {
            const i1 = i0 + f0 < nx ? i0 + f0 : nx;
            let h = 0;
            let b = 0;
            for (let i = i0; i < i1; i++) {
              h += hu[p + i]!;
              b += body[p + i]!;
            }
            const q = row + ci[i0]!;
            total[q]! += i1 - i0;
            huSum[q]! += h;
            votes[q]! += b;
          }
          p += nx;
          continue;
        }
        for (let i = 0; i < nx; i++, p++) {
          const q = row + ci[i]!;
          total[q]!++;
          huSum[q]! += hu[p]!;
          votes[q]! += body[p]!;
        }
      }
    }
  }
  for (let q = 0; q < n; q++) cell[q] = 2 * votes[q]! >= total[q]! && total[q]! > 0 ? 1 : 0;
  let zMin = Infinity;
  let zMax = -Infinity;
  for (let q = 0; q < n; q++) {
    const z = cg.centre[3 * q + 2]!;
    if (z < zMin) zMin = z;
    if (z > zMax) zMax = z;
  }
  const bin = Math.max(1, Math.min(...cg.spacing_mm.map((s) => s)) * 2);
  const nb = Math.max(1, Math.floor((zMax - zMin) / bin) + 1);
  const xlo = new Float64Array(nb).fill(Infinity);
  const xhi = new Float64Array(nb).fill(-Infinity);
  const ylo = new Float64Array(nb).fill(Infinity);
  const yhi = new Float64Array(nb).fill(-Infinity);
  const sx = new Float64Array(nb);
  const sy = new Float64Array(nb);
  const cnt = new Float64Array(nb);
  const airCells = new Float64Array(nb);
  let bzMin = Infinity;
  let bzMax = -Infinity;
  for (let q = 0; q < n; q++) {
    if (!cell[q]) continue;
    const x = cg.centre[3 * q]!;
    const y = cg.centre[3 * q + 1]!;
    const z = cg.centre[3 * q + 2]!;
    const b = Math.floor((z - zMin) / bin);
    if (x < xlo[b]!) xlo[b] = x;
    if (x > xhi[b]!) xhi[b] = x;
    if (y < ylo[b]!) ylo[b] = y;
    if (y > yhi[b]!) yhi[b] = y;
    sx[b]! += x;
    sy[b]! += y;
    cnt[b]!++;
    if (huSum[q]! < AIR_HU * total[q]!) airCells[b]!++;
    if (z < bzMin) bzMin = z;
    if (z > bzMax) bzMax = z;
  }
  const width = new Float64Array(nb).fill(NaN);
  const depth = new Float64Array(nb).fill(NaN);
  const centreY = new Float64Array(nb).fill(NaN);
  const air = new Float64Array(nb).fill(NaN);
  const centresX: number[] = [];
  const widths: number[] = [];
  for (let b = 0; b < nb; b++) {
    if (!cnt[b]) continue;
    width[b] = xhi[b]! - xlo[b]! + cg.spacing_mm[0];
    depth[b] = yhi[b]! - ylo[b]! + cg.spacing_mm[1];
    centreY[b] = (ylo[b]! + yhi[b]!) / 2;
    air[b] = airCells[b]! / cnt[b]!;
    centresX.push(sx[b]! / cnt[b]!);
    widths.push(width[b]!);
  }
  const [cx, cy, cz] = cg.dims;
  const sliceCentreY = new Float64Array(cz).fill(NaN);
  const sliceDepth = new Float64Array(cz).fill(NaN);
  for (let k = 0; k < cz; k++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let q = k * cx * cy, e = q + cx * cy; q < e; q++) {
      if (!cell[q]) continue;
      const y = cg.centre[3 * q + 1]!;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
    if (hi >= lo) {
      sliceCentreY[k] = (lo + hi) / 2;
      sliceDepth[k] = hi - lo + cg.spacing_mm[1];
    }
  }
  return {
    midX: centresX.length ? median(centresX) : 0,
    z0: zMin,
    binSize_mm: bin,
    width,
    depth,
    centreY,
    sliceCentreY,
    sliceDepth,
    zMin: Number.isFinite(bzMin) ? bzMin : zMin,
    zMax: Number.isFinite(bzMax) ? bzMax : zMax,
    medianWidth: widths.length ? median(widths) : NaN,
    cell,
    air,
    midlineBone: new Float64Array(nb),
    boneSpan: new Float64Array(nb),
    limb: limbCells(cell, cg, centresX.length ? median(centresX) : 0),
  };
}

/** Body cells whose axial 8-connected body piece lies wholly on one side of x = midX. */
function limbCells(cell: Uint8Array, cg: CoarseGrid, midX: number): Uint8Array {
  const [nx, ny, nz] = cg.dims;
  const plane = nx * ny;
  const out = new Uint8Array(cell.length);
  const seen = new Uint8Array(cell.length);
  const stack = new Int32Array(plane);
  const members = new Int32Array(plane);
  for (let k = 0; k < nz; k++) {
    const base = k * plane;
    for (let p = 0; p < plane; p++) {
      if (!cell[base + p] || seen[base + p]) continue;
      let n = 0;
      let lo = Infinity;
      let hi = -Infinity;
      seen[base + p] = 1;
      const join = (t: number) => {
        if (!cell[base + t] || seen[base + t]) return false;
        seen[base + t] = 1;
        return true;
      };
      floodPlane(p, nx, ny, stack, join, (r) => {
        members[n++] = r;
        const x = cg.centre[3 * (base + r)]!;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      });
      if (lo > midX || hi < midX) for (let m = 0; m < n; m++) out[base + members[m]!] = 1;
    }
  }
  return out;
}

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Per level of the body frame: the x span of the bone inside the body (boneSpan) and whether
 * bone crosses the midline column (midlineBone), from the coarse bone cells and their columns
 * (anatomy/chains.ts columnsOf: 2 = midline). `spanBone`: the bone the span counts (default all of it).
 */
export function boneLevels(body: BodyFrame, bone: Uint8Array, column: Uint8Array, cg: CoarseGrid, spanBone: Uint8Array = bone): void {
  const n = bone.length;
  // Levels with bone in the midline column (a few cells, so specks do not count).
  const midCells = new Float64Array(body.midlineBone.length);
  for (let q = 0; q < n; q++) {
    if (column[q] !== 2) continue;
    const bin = Math.floor((cg.centre[3 * q + 2]! - body.z0) / body.binSize_mm);
    midCells[bin]!++;
  }
  const minCells = Math.max(3, 100 / (cg.spacing_mm[0] * cg.spacing_mm[1]));
  const nbin = body.boneSpan.length;
  const blo = new Float64Array(nbin).fill(Infinity);
  const bhi = new Float64Array(nbin).fill(-Infinity);
  for (let q = 0; q < n; q++) {
    if (!spanBone[q] || !body.cell[q]) continue;
    const x = cg.centre[3 * q]!;
    const bin = Math.floor((cg.centre[3 * q + 2]! - body.z0) / body.binSize_mm);
    if (x < blo[bin]!) blo[bin] = x;
    if (x > bhi[bin]!) bhi[bin] = x;
  }
  for (let b = 0; b < nbin; b++) {
    const w = body.width[b]!;
    body.boneSpan[b] = bhi[b]! > blo[b]! && Number.isFinite(w) && w > 0 ? (bhi[b]! - blo[b]! + cg.spacing_mm[0]) / w : 0;
  }
  for (let b = 0; b < midCells.length; b++) body.midlineBone[b] = midCells[b]! >= minCells ? 1 : 0;
}
