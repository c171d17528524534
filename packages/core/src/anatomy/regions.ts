/**
 * Bone regions for identification: the bone mask on a coarse (≈ 2 mm) grid, split where
 * structures meet, and the patient's body frame (mid-sagittal plane, body width, air and
 * bone per level, limbs).
 *
 * Why split: at CT resolution a threshold joins bones at their joints (femoral head and
 * acetabulum, sacrum and ilium, ribs and vertebrae), and marrow filling makes them solid, so
 * one connected component can hold several structures. Tried first and measured on
 * labelled/totalsegmentator/example_ct: eroding the mask (5–12 mm, exact distance transform)
 * and growing the cores back left hips, femurs, sacrum and spine one region (the femoral head
 * sits inside its socket: no depth separates them). Used instead: the mask is cut into three
 * columns (right of, on and left of the midline band) and, per column, into axial 2D blobs; a
 * blob joins the blob above it only when each is the other's only overlap. Wherever
 * structures merge or branch between levels a chain ends, so regions stop at joints, rib
 * heads and discs. Over-splitting is harmless: identification may give several regions the
 * same structure.
 */
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import { bodyMask } from '../segment/table.js';

/** A coarse grid: fine voxel (i, j, k) lies in cell (⌊i/f0⌋, ⌊j/f1⌋, ⌊k/f2⌋). */
export interface CoarseGrid {
  dims: Vec3;
  factors: Vec3;
  spacing_mm: Vec3;
  /** LPS centre of each cell (x, y, z interleaved). */
  centre: Float32Array;
}

export interface BodyFrame {
  /** x of the mid-sagittal plane (median over levels of the body's x centre), mm LPS. */
  midX: number;
  /** Per z level (bin of `binSize_mm` from `z0`): body x extent, y extent and centre; NaN where no body. */
  z0: number;
  binSize_mm: number;
  width: Float64Array;
  depth: Float64Array;
  centreY: Float64Array;
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

/** Contact between two regions: shared cell faces. */
export interface Contact {
  a: number;
  b: number;
  faces: number;
}

export interface Regions {
  coarse: CoarseGrid;
  /** Region id per coarse cell (0 = no bone). */
  ids: Int32Array;
  count: number;
  /** Fine bone voxels per region (index 0 unused). */
  fineVoxels: Float64Array;
  /** Sum of fine HU per region (for the mean). */
  huSum: Float64Array;
  body: BodyFrame;
  /** Region pairs that touch (a < b), by shared cell faces, in order of a then b. */
  contacts: Contact[];
}

export interface RegionParams {
  /** Coarse cell size, mm (default 2). */
  cell_mm?: number;
  /** Half-width of the midline column as a fraction of the body's half-width (default 0.2). */
  midlineBand?: number;
}

export function coarseGridOf(g: Grid, cell_mm: number): CoarseGrid {
  const f = g.spacing_mm.map((s) => Math.max(1, Math.round(cell_mm / s))) as Vec3;
  const dims = [0, 1, 2].map((a) => Math.ceil(g.dims[a]! / f[a]!)) as Vec3;
  const spacing_mm = [0, 1, 2].map((a) => g.spacing_mm[a]! * f[a]!) as Vec3;
  const d = g.direction;
  // Separable: the centre is the origin plus one offset per axis (the cell's mean fine index × spacing × axis direction).
  const offsets = [0, 1, 2].map((a) => {
    const o = new Float64Array(dims[a]! * 3);
    for (let c = 0; c < dims[a]!; c++) {
      const lo = c * f[a]!;
      const hi = Math.min(g.dims[a]!, lo + f[a]!) - 1;
      const mm = ((lo + hi) / 2) * g.spacing_mm[a]!;
      for (let t = 0; t < 3; t++) o[3 * c + t] = d[3 * t + a]! * mm;
    }
    return o;
  }) as [Float64Array, Float64Array, Float64Array];
  const centre = new Float32Array(dims[0] * dims[1] * dims[2] * 3);
  const [ox, oy, oz] = g.origin_mm;
  const [A, B, C] = offsets;
  for (let c = 0, q = 0; c < dims[2]; c++) {
    for (let b = 0; b < dims[1]; b++) {
      const x0 = ox + B[3 * b]! + C[3 * c]!;
      const y0 = oy + B[3 * b + 1]! + C[3 * c + 1]!;
      const z0 = oz + B[3 * b + 2]! + C[3 * c + 2]!;
      for (let a = 0; a < dims[0]; a++, q++) {
        centre[3 * q] = x0 + A[3 * a]!;
        centre[3 * q + 1] = y0 + A[3 * a + 1]!;
        centre[3 * q + 2] = z0 + A[3 * a + 2]!;
      }
    }
  }
  return { dims, factors: f, spacing_mm, centre };
}

/** Coarse cell of each fine index along each axis (i → a, j → b·cx, k → c·cx·cy), for inline loops. */
export function cellIndexer(g: Grid, cg: CoarseGrid): { ci: Int32Array; cj: Int32Array; ck: Int32Array } {
  const [cx, cy] = cg.dims;
  const [f0, f1, f2] = cg.factors;
  return {
    ci: Int32Array.from({ length: g.dims[0] }, (_, i) => Math.floor(i / f0)),
    cj: Int32Array.from({ length: g.dims[1] }, (_, j) => Math.floor(j / f1) * cx),
    ck: Int32Array.from({ length: g.dims[2] }, (_, k) => Math.floor(k / f2) * cx * cy),
  };
}

/** Coarse cell index of every fine voxel, row by row (i fastest), without a per-voxel table. */
export function forEachFineVoxel(g: Grid, cg: CoarseGrid, visit: (p: number, q: number) => void): void {
  const [nx, ny, nz] = g.dims;
  const [f0, f1, f2] = cg.factors;
  const [cx, cy] = cg.dims;
  for (let k = 0, p = 0; k < nz; k++) {
    const ck = Math.floor(k / f2) * cx * cy;
    for (let j = 0; j < ny; j++) {
      const row = ck + Math.floor(j / f1) * cx;
      for (let i = 0; i < nx; i++, p++) visit(p, row + Math.floor(i / f0));
    }
  }
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
    for (let k = 0, p = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        const row = ck[k]! + cj[j]!;
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
  return {
    midX: centresX.length ? median(centresX) : 0,
    z0: zMin,
    binSize_mm: bin,
    width,
    depth,
    centreY,
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
      let top = 0;
      let n = 0;
      let lo = Infinity;
      let hi = -Infinity;
      seen[base + p] = 1;
      stack[top++] = p;
      while (top > 0) {
        const r = stack[--top]!;
        members[n++] = r;
        const x = cg.centre[3 * (base + r)]!;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
        const i = r % nx;
        const j = (r - i) / nx;
        for (let dj = -1; dj <= 1; dj++) {
          const jj = j + dj;
          if (jj < 0 || jj >= ny) continue;
          for (let di = -1; di <= 1; di++) {
            const ii = i + di;
            if (ii < 0 || ii >= nx) continue;
            const t = ii + jj * nx;
            if (cell[base + t] && !seen[base + t]) {
              seen[base + t] = 1;
              stack[top++] = t;
            }
          }
        }
      }
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

/** Splits the bone mask into regions (see the module comment). */
export function boneRegions(labels: LabelMap, volume: Volume, params: RegionParams = {}): Regions {
  const g = labels.grid;
  const cg = coarseGridOf(g, params.cell_mm ?? 2);
  const n = cg.dims[0] * cg.dims[1] * cg.dims[2];
  const bone = new Uint8Array(n);
  const src = labels.data;
  const { ci, cj, ck } = cellIndexer(g, cg);
  const [nx, ny, nz] = g.dims;
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const row = ck[k]! + cj[j]!;
      for (let i = 0; i < nx; i++, p++) if (src[p] !== 0) bone[row + ci[i]!] = 1;
    }
  }
  const body = bodyFrame(volume, cg);
  const column = columnsOf(bone, cg, body, params.midlineBand ?? 0.2);
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
    if (!bone[q] || !body.cell[q]) continue;
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
  const { ids, count } = chainRegions(bone, column, cg.dims);
  const fineVoxels = new Float64Array(count + 1);
  const huSum = new Float64Array(count + 1);
  const hu = volume.data;
  const sameVol = volume.grid.dims.every((d, a) => d === g.dims[a]);
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const row = ck[k]! + cj[j]!;
      for (let i = 0; i < nx; i++, p++) {
        if (src[p] === 0) continue;
        const id = ids[row + ci[i]!]!;
        fineVoxels[id]!++;
        if (sameVol) huSum[id]! += hu[p]!;
      }
    }
  }
  return { coarse: cg, ids, count, fineVoxels, huSum, body, contacts: contactsOf(ids, cg.dims, count) };
}

function contactsOf(ids: Int32Array, dims: Vec3, count: number): Contact[] {
  const [nx, ny, nz] = dims;
  const map = new Map<number, number>();
  const steps = [1, nx, nx * ny];
  for (let k = 0, q = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, q++) {
        const a = ids[q]!;
        if (!a) continue;
        const ok = [i + 1 < nx, j + 1 < ny, k + 1 < nz];
        for (let t = 0; t < 3; t++) {
          if (!ok[t]) continue;
          const b = ids[q + steps[t]!]!;
          if (!b || b === a) continue;
          const key = Math.min(a, b) * (count + 1) + Math.max(a, b);
          map.set(key, (map.get(key) ?? 0) + 1);
        }
      }
    }
  }
  return [...map.entries()].sort((x, y) => x[0] - y[0]).map(([key, faces]) => ({ a: Math.floor(key / (count + 1)), b: key % (count + 1), faces }));
}

/**
 * Column of each bone cell: 1 right of the midline band, 2 in it, 3 left of it (LPS: +x left).
 * The band is ±`band` × the body's half-width at the cell's level around the mid-sagittal plane.
 */
function columnsOf(bone: Uint8Array, cg: CoarseGrid, body: BodyFrame, band: number): Uint8Array {
  const col = new Uint8Array(bone.length);
  for (let q = 0; q < bone.length; q++) {
    if (!bone[q]) continue;
    const x = cg.centre[3 * q]!;
    const bin = Math.floor((cg.centre[3 * q + 2]! - body.z0) / body.binSize_mm);
    const w = body.width[bin];
    const half = (w !== undefined && Number.isFinite(w) ? w : body.medianWidth) / 2;
    const d = x - body.midX;
    col[q] = d < -band * half ? 1 : d > band * half ? 3 : 2;
  }
  return col;
}

/**
 * Regions as chains of axial blobs: the bone of each column in each axial level falls into
 * 2D (8-connected) blobs; a blob is joined to the blob above it when each is the other's only
 * overlapping neighbour (same column). Where structures meet, blobs merge or split between
 * levels (femoral head into the acetabulum, a rib onto a vertebra, vertebra onto disc), so
 * the chains end there. Assumes axial slices (k is the slice axis), as CT is acquired.
 */
function chainRegions(bone: Uint8Array, col: Uint8Array, dims: Vec3): { ids: Int32Array; count: number } {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const node = new Int32Array(bone.length);
  const stack = new Int32Array(plane);
  let nodes = 0;
  for (let k = 0; k < nz; k++) {
    const base = k * plane;
    for (let p = 0; p < plane; p++) {
      const q = base + p;
      if (!bone[q] || node[q]) continue;
      const id = ++nodes;
      const c = col[q]!;
      node[q] = id;
      let top = 0;
      stack[top++] = p;
      while (top > 0) {
        const r = stack[--top]!;
        const i = r % nx;
        const j = (r - i) / nx;
        for (let dj = -1; dj <= 1; dj++) {
          const jj = j + dj;
          if (jj < 0 || jj >= ny) continue;
          for (let di = -1; di <= 1; di++) {
            const ii = i + di;
            if (ii < 0 || ii >= nx) continue;
            const t = base + ii + jj * nx;
            if (bone[t] && !node[t] && col[t] === c) {
              node[t] = id;
              stack[top++] = t - base;
            }
          }
        }
      }
    }
  }
  // Overlaps between a level's blobs and the next level's (same column).
  const upCount = new Int32Array(nodes + 1);
  const downCount = new Int32Array(nodes + 1);
  const upOf = new Int32Array(nodes + 1);
  const seen = new Set<number>();
  const pairs: number[] = [];
  for (let k = 0; k + 1 < nz; k++) {
    const base = k * plane;
    for (let p = 0; p < plane; p++) {
      const a = node[base + p]!;
      const b = node[base + plane + p]!;
      if (!a || !b || col[base + p] !== col[base + plane + p]) continue;
      const key = a * (nodes + 1) + b;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push(a, b);
      upCount[a]!++;
      downCount[b]!++;
      upOf[a] = b;
    }
  }
  const parent = Int32Array.from({ length: nodes + 1 }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  for (let a = 1; a <= nodes; a++) {
    if (upCount[a] !== 1) continue;
    const b = upOf[a]!;
    if (downCount[b] !== 1) continue;
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
  // Regions numbered in order of their first cell in memory.
  const regionOf = new Int32Array(nodes + 1);
  const ids = new Int32Array(bone.length);
  let count = 0;
  for (let q = 0; q < bone.length; q++) {
    const a = node[q]!;
    if (!a) continue;
    const r = find(a);
    if (!regionOf[r]) regionOf[r] = ++count;
    ids[q] = regionOf[r]!;
  }
  return { ids, count };
}
