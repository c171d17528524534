/**
 * Ball-and-socket joints: the femoral head in the acetabulum. At CT resolution a threshold
 * joins the head to its socket and marrow filling makes the joint solid, and the head sits
 * inside the socket at every level through the joint, so region splitting (anatomy/regions.ts)
 * leaves the head with the hip bone and identification names it hip (measured on
 * labelled/totalsegmentator/example_ct: 20–28 % of the femurs' voxels named femur).
 *
 * What separates them is the joint space: cartilage and fluid, darker than the cancellous bone
 * of the head, which continues through the neck into the femur. So once identification has
 * named some of the femur (the neck, trochanter or shaft below the joint), the hip bone near it
 * is flooded from both bones, brightest voxels first (a marker watershed), and the floods meet
 * in the dark joint space. Tried first: a Hough transform for spheres on HU edges and on the
 * mask's surface (the head is a sphere of radius 20–27 mm, Gray's); at 3 mm the head's rim is
 * too faint and the mask surface near the joint is the socket's, not the head's: the score at
 * the true centre was 0.02–0.16 of a sphere, below spurious peaks elsewhere.
 */
import type { Volume } from '../geometry/types.js';
import type { Range } from './graph.js';
import { cellIndexer, type CoarseGrid } from './coarse-grid.js';

/**
 * A joint split at its joint space: a ball and socket (the hip), or a flat synovial joint whose one side takes back what
 * was named with the other (the sacroiliac joint: the sacrum's alae named hip), with radius_mm bounding the reach and
 * the bone taken as for a ball.
 */
export interface BallJoint {
  /** Structure holding the ball (femur_left), or the side taking bone back (sacrum). */
  head: string;
  /** Structure holding the socket (hip_left). */
  socket: string;
  /** Radius range of the ball, mm: at most a ball of the largest radius goes to the head. */
  radius_mm: Range;
  /**
   * How far from the head's named bone one pass of the flood contests the socket, mm (default one diameter of the
   * largest ball). The hip's is one radius: at one diameter the first pass reached over the head into the acetabular
   * roof, and where the left joint space is faint the roof went to the femur with the head (example_ct: 7 % of the
   * left hip named femur, its roof at z 150–168 mm). At one radius the roof stays a socket seed and the head is still
   * taken in full over the passes, each measured again from the grown head.
   */
  reach_mm?: number;
  sources: string[];
}

/** Mean HU per coarse cell, or null when the volume is not on the labels' grid. */
export function coarseHU(volume: Volume, cg: CoarseGrid, dims: readonly number[]): Float32Array | null {
  if (!volume.grid.dims.every((d, a) => d === dims[a])) return null;
  const n = cg.dims[0] * cg.dims[1] * cg.dims[2];
  const sum = new Float64Array(n);
  const cnt = new Float64Array(n);
  const { ci, cj, ck } = cellIndexer(volume.grid, cg);
  const [nx, ny, nz] = volume.grid.dims;
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const row = ck[k]! + cj[j]!;
      for (let i = 0; i < nx; i++, p++) {
        sum[row + ci[i]!]! += volume.data[p]!;
        cnt[row + ci[i]!]!++;
      }
    }
  }
  const out = new Float32Array(n);
  for (let q = 0; q < n; q++) out[q] = cnt[q]! ? sum[q]! / cnt[q]! : -1000;
  return out;
}

/**
 * Chamfer distance (mm) from the `headLabel` cells, two raster passes over 26-neighbours, within the box of the head's
 * and the socket's cells (a shortest chamfer path between two cells stays in their box, so the socket cells' distances
 * are the same as over the whole grid, at a fraction of the work); Infinity elsewhere. `heads`: the head's cell count.
 *
 * `reach_mm`: only distances up to it are wanted (floodJoint asks which socket cells lie within its reach), so the box
 * is also cut to the head cells' box grown by the reach: a step of the chamfer moves at most one cell along an axis and
 * weighs at least that axis's spacing, so a path up to the reach long (either pass's part of it too) stays in that
 * box. Every distance up to the reach is then the same float32 value as without it; a larger one may read Infinity.
 * On labelled/totalsegmentator/example_ct (12 chamfers per identification, 3 mm cells) the cut boxes hold 42 % of the
 * boxes' cells.
 */
export function chamferFromHead(cellStructure: Int32Array, cg: CoarseGrid, headLabel: number, socketLabel: number, reach_mm = Infinity): ChamferResult {
  const [nx, ny, nz] = cg.dims;
  const plane = nx * ny;
  const [sx, sy, sz] = cg.spacing_mm;
  const n = cellStructure.length;
  const dist = new Float32Array(n).fill(Infinity);
  let heads = 0;
  const lo = [nx, ny, nz];
  const hi = [-1, -1, -1];
  const headLo = [nx, ny, nz];
  const headHi = [-1, -1, -1];
  // Cell by cell in raster order, its indices counted, not divided out (this runs over the whole grid on every pass of
  // every joint: 12 times per identification of example_ct)
  for (let k = 0, q = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, q++) {
        const s = cellStructure[q]!;
        if (s !== headLabel && s !== socketLabel) continue;
        widen(lo, hi, i, j, k);
        if (s !== headLabel) continue;
        dist[q] = 0;
        heads++;
        widen(headLo, headHi, i, j, k);
      }
    }
  }
  // the head's and the socket's cells' box, for floodJoint (before the reach cuts it)
  const box: ChamferResult['box'] = { lo: [lo[0]!, lo[1]!, lo[2]!], hi: [hi[0]!, hi[1]!, hi[2]!] };
  if (!heads) return { dist, heads, box };
  if (reach_mm < Infinity) {
    for (let t = 0; t < 3; t++) {
      const grow = Math.floor(reach_mm / cg.spacing_mm[t]!);
      lo[t] = Math.max(lo[t]!, headLo[t]! - grow);
      hi[t] = Math.min(hi[t]!, headHi[t]! + grow);
    }
  }
  // The 13 neighbours already visited in a forward raster pass (the backward pass mirrors them), as flat arrays:
  // this is the hot loop of identification (a tuple destructured per neighbour and a division per cell cost ~0.6 s
  // per call on labelled/totalsegmentator/example_ct).
  const nbI = new Int32Array(13), nbJ = new Int32Array(13), nbK = new Int32Array(13), nbW = new Float64Array(13);
  let nn = 0;
  for (let dk = -1; dk <= 0; dk++) for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) {
    if (dk === 0 && (dj > 0 || (dj === 0 && di >= 0))) continue;
    nbI[nn] = di;
    nbJ[nn] = dj;
    nbK[nn] = dk;
    nbW[nn++] = Math.hypot(di * sx, dj * sy, dk * sz);
  }
  const [i0, j0, k0] = lo as [number, number, number];
  const [i1, j1, k1] = hi as [number, number, number];
  const off = new Int32Array(nn);
  // A cell at the box's border: only the neighbours inside the box.
  const relaxChecked = (i: number, j: number, k: number, dir: number): number => {
    let d = dist[i + j * nx + k * plane]!;
    for (let t = 0; t < nn; t++) {
      const ii = i + dir * nbI[t]!;
      const jj = j + dir * nbJ[t]!;
      const kk = k + dir * nbK[t]!;
      if (ii < i0 || jj < j0 || kk < k0 || ii > i1 || jj > j1 || kk > k1) continue;
      const v = dist[ii + jj * nx + kk * plane]! + nbW[t]!;
      if (v < d) d = v;
    }
    return d;
  };
  // Forward: k, j, i ascending; backward: all descending (the same cells in reverse raster order).
  for (const dir of [1, -1]) {
    for (let t = 0; t < nn; t++) off[t] = dir * (nbI[t]! + nbJ[t]! * nx + nbK[t]! * plane);
    for (let kc = k0; kc <= k1; kc++) {
      const k = dir > 0 ? kc : k1 + k0 - kc;
      // every neighbour of the row's inner cells inside the box: no checks there
      const kIn = dir > 0 ? k > k0 : k < k1;
      for (let jc = j0; jc <= j1; jc++) {
        const j = dir > 0 ? jc : j1 + j0 - jc;
        const rowIn = kIn && j > j0 && j < j1;
        for (let ic = i0; ic <= i1; ic++) {
          const i = dir > 0 ? ic : i1 + i0 - ic;
          const q = i + j * nx + k * plane;
          if (!rowIn || i === i0 || i === i1) {
            dist[q] = relaxChecked(i, j, k, dir);
            continue;
          }
          let d = dist[q]!;
          for (let t = 0; t < nn; t++) {
            const v = dist[q + off[t]!]! + nbW[t]!;
            if (v < d) d = v;
          }
          dist[q] = d;
        }
      }
    }
  }
  return { dist, heads, box };
}

/** Grows the box lo..hi (inclusive cell index ranges) to hold cell (i, j, k). */
function widen(lo: number[], hi: number[], i: number, j: number, k: number): void {
  if (i < lo[0]!) lo[0] = i;
  if (i > hi[0]!) hi[0] = i;
  if (j < lo[1]!) lo[1] = j;
  if (j > hi[1]!) hi[1] = j;
  if (k < lo[2]!) lo[2] = k;
  if (k > hi[2]!) hi[2] = k;
}

export interface ChamferResult {
  dist: Float32Array;
  heads: number;
  /** The box (cell index ranges, inclusive) of the head's and the socket's cells; empty (lo > hi) when there are none. */
  box: { lo: [number, number, number]; hi: [number, number, number] };
}

/**
 * Splits a joint by intensity: the head structure's cells and the socket's cells farther than
 * `reach_mm` from any head cell are seeds; the socket cells between are flooded from the seeds,
 * brightest first (a marker watershed on HU; Beucher & Meyer 1993), so the two floods meet in
 * the darkest surface between them: the joint space. Returns the cells renamed to the head;
 * `renamedCells`, when given, receives their indices.
 */
export function floodJoint(cellStructure: Int32Array, hu: Float32Array, cg: CoarseGrid, headLabel: number, socketLabel: number, reach_mm: number, renamedCells?: number[]): number {
  const [nx, ny] = cg.dims;
  const plane = nx * ny;
  const { dist, heads, box } = chamferFromHead(cellStructure, cg, headLabel, socketLabel, reach_mm);
  if (!heads) return 0;
  // Every head and socket cell lies in `box`: the passes below visit its cells only, in the
  // grid's raster order (so the seeds are queued in the same order as over the whole grid), and
  // the contested flags cover the box only (a cell outside it is never contested).
  const [i0, j0, k0] = box.lo;
  const [i1, j1, k1] = box.hi;
  const bx = i1 - i0 + 1, bxy = bx * (j1 - j0 + 1);
  // Contested: socket cells within reach. Seeds: head cells and the socket's cells beyond reach.
  const contested = new Uint8Array(bxy * (k1 - k0 + 1));
  let any = 0;
  for (let k = k0, b = 0; k <= k1; k++) {
    for (let j = j0; j <= j1; j++) {
      for (let q = i0 + j * nx + k * plane, e = q + i1 - i0; q <= e; q++, b++) {
        if (cellStructure[q] === socketLabel && dist[q]! <= reach_mm) {
          contested[b] = 1;
          any++;
        }
      }
    }
  }
  if (!any) return 0;
  // Max-heap of (HU, order): brightest first, ties in order of entry (deterministic). Each
  // contested cell is queued once: typed arrays of that size, no object per entry.
  const hHu = new Float64Array(any), hOrder = new Int32Array(any), hCell = new Int32Array(any), hLab = new Int32Array(any);
  let size = 0;
  let order = 0;
  const before = (a: number, b: number): boolean => hHu[a]! > hHu[b]! || (hHu[a] === hHu[b] && hOrder[a]! < hOrder[b]!);
  const swap = (a: number, b: number): void => {
    const h = hHu[a]!, o = hOrder[a]!, c = hCell[a]!, l = hLab[a]!;
    hHu[a] = hHu[b]!; hOrder[a] = hOrder[b]!; hCell[a] = hCell[b]!; hLab[a] = hLab[b]!;
    hHu[b] = h; hOrder[b] = o; hCell[b] = c; hLab[b] = l;
  };
  const push = (cell: number, lab: number): void => {
    let c = size++;
    hHu[c] = hu[cell]!;
    hOrder[c] = order++;
    hCell[c] = cell;
    hLab[c] = lab;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (before(p, c)) break;
      swap(p, c);
      c = p;
    }
  };
  // The top's cell and label are read before pop() moves the last entry into its place.
  const pop = (): void => {
    size--;
    if (size === 0) return;
    hHu[0] = hHu[size]!; hOrder[0] = hOrder[size]!; hCell[0] = hCell[size]!; hLab[0] = hLab[size]!;
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      const r = l + 1;
      let m = c;
      if (l < size && !before(m, l)) m = l;
      if (r < size && !before(m, r)) m = r;
      if (m === c) break;
      swap(m, c);
      c = m;
    }
  };
  // The 6 face neighbours of q (b in the box) that are contested and not queued yet go on the heap with `lab`.
  const spread = (q: number, lab: number): void => {
    const i = q % nx;
    const j = ((q - i) / nx) % ny;
    const k = (q - i - j * nx) / plane;
    const b = i - i0 + (j - j0) * bx + (k - k0) * bxy;
    if (i < i1 && contested[b + 1] === 1) { contested[b + 1] = 2; push(q + 1, lab); }
    if (i > i0 && contested[b - 1] === 1) { contested[b - 1] = 2; push(q - 1, lab); }
    if (j < j1 && contested[b + bx] === 1) { contested[b + bx] = 2; push(q + nx, lab); }
    if (j > j0 && contested[b - bx] === 1) { contested[b - bx] = 2; push(q - nx, lab); }
    if (k < k1 && contested[b + bxy] === 1) { contested[b + bxy] = 2; push(q + plane, lab); }
    if (k > k0 && contested[b - bxy] === 1) { contested[b - bxy] = 2; push(q - plane, lab); }
  };
  // The seeds, in raster order: the head's cells, and the socket's not contested (beyond reach)
  for (let k = k0, b = 0; k <= k1; k++) {
    for (let j = j0; j <= j1; j++) {
      for (let q = i0 + j * nx + k * plane, e = q + i1 - i0; q <= e; q++, b++) {
        const s = cellStructure[q]!;
        if (s === headLabel) spread(q, headLabel);
        else if (s === socketLabel && contested[b] === 0) spread(q, socketLabel);
      }
    }
  }
  let renamed = 0;
  while (size > 0) {
    const q = hCell[0]!;
    const lab = hLab[0]!;
    pop();
    if (lab === headLabel) {
      cellStructure[q] = headLabel;
      renamedCells?.push(q);
      renamed++;
    }
    spread(q, lab);
  }
  return renamed;
}

/**
 * floodJoint repeated until the head holds its ball: the reach is measured from the head structure as named before
 * each pass, so where only the femur's trochanter and shaft were named (the neck went with the hip), the medial half
 * of the head lay beyond one diameter of it, was seeded as socket and stayed hip (example_ct: 50 % of the right femur
 * named femur). Each pass measures the reach again from the head grown by the last one. A pass that would give the
 * head more bone than a ball of the largest radius (head and neck within the socket's reach) runs into the socket
 * itself, so it is undone and the passes stop. Returns the cells renamed to the head.
 */
export function splitJoint(
  cellStructure: Int32Array,
  hu: Float32Array,
  cg: CoarseGrid,
  headLabel: number,
  socketLabel: number,
  radius_mm: Range,
  reach_mm = 2 * radius_mm[1],
): number {
  const cell_mm3 = cg.spacing_mm[0] * cg.spacing_mm[1] * cg.spacing_mm[2];
  const ball_mm3 = (4 / 3) * Math.PI * radius_mm[1] ** 3;
  let renamed = 0;
  for (;;) {
    // the cells this pass renames (from the socket: floodJoint renames nothing else), to undo it
    const pass: number[] = [];
    const c = floodJoint(cellStructure, hu, cg, headLabel, socketLabel, reach_mm, pass);
    if (c === 0) return renamed;
    if ((renamed + c) * cell_mm3 > ball_mm3 && renamed > 0) {
      for (const q of pass) cellStructure[q] = socketLabel;
      return renamed;
    }
    renamed += c;
  }
}
