/**
 * The patient's body for table removal (table.ts, method steps 1 and 2): the body cells of a
 * grid coarsened to about 1 mm (on the pool where it can: coarseBodyOnPool), holes filled per
 * axial slice, opened, the pieces that are body kept, dilated back within the filled body.
 * Apart from the table's decision (which bone components lie outside it) so that each file
 * stays readable. Pool workers load this module for its tasks (segment/tasks.ts): it and
 * what it imports (components, fill-holes, morphology, no method module, no zod) stay light.
 */
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { Volume } from '../geometry/types.js';
import type { StageContext } from '../pipeline/record.js';
import { slabRanges, type WorkerPool } from '../parallel/pool.js';
import { componentRuns } from './components.js';
import { wordsOf } from './components-runs.js';
import { blockSums, bodyCellsInt16, bodyCellsSlab, cellSumInt16, type BodyCellsPayload } from './table-cells.js';
import { allocLike, isShared, poolFor } from './filters/slabs.js';
import { fillHoles2DMask } from './fill-holes.js';
import { morphologyMask } from './morphology.js';

/**
 * Defaults of the body threshold and the coarse cell size: removeTableOnPool computes the body
 * cells before tableRemoved resolves its params, so both take them from here.
 */
export const BODY_THRESHOLD_HU = -400;
export const TABLE_COARSE_MM = 1;

/** Dense (support-like) level for a body piece: a piece mostly above it is not body. */
export const DENSE_PIECE_HU = 300;

export interface BodyPiece {
  /** Volume of the opened (eroded) piece, mm³. */
  core_mm3: number;
  /** Mean HU of the opened piece. */
  meanHU: number;
  /** Fraction of it at or above DENSE_PIECE_HU (block means). */
  denseFraction: number;
  kept: boolean;
}

export interface BodyMaskResult {
  mask: Uint8Array;
  coreVoxels: number;
  factors: Vec3;
  /** The largest pieces of the opened body (at most 10, largest first) and whether each is body. */
  pieces: BodyPiece[];
}

/**
 * The patient's body (filled, supports cut off) as a 0/1 mask on the volume's grid.
 * Computed on a grid coarsened to about `coarse_mm` per voxel (block mean HU), since an
 * opening of a few millimetres needs no finer detail: 4× less work on 0.45 mm pixels.
 */
export function bodyMask(volume: Volume, bodyThreshold_HU = BODY_THRESHOLD_HU, openRadius_mm = 3, coarse_mm = TABLE_COARSE_MM, minPieceFraction = 0.02): BodyMaskResult {
  const b = coarseBody(volume, bodyThreshold_HU, openRadius_mm, coarse_mm, minPieceFraction);
  const [nx, ny, nz] = volume.grid.dims;
  // Back to the full grid (nearest: each voxel takes its block's value).
  const mask = new Uint8Array(nx * ny * nz);
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const row = b.rowOf(j, k);
      for (let i = 0; i < nx; i++, p++) mask[p] = b.body[row + b.ci[i]!]!;
    }
  }
  return { mask, coreVoxels: b.coreVoxels, factors: b.factors, pieces: b.pieces };
}

/** The body on the coarse grid, with what is needed to look a full-grid voxel up in it. */
export interface CoarseBody {
  body: Uint8Array;
  /** Full-grid voxels per coarse cell along i, j and k (a cell holds the product). */
  extent: [Int32Array, Int32Array, Int32Array];
  /** Coarse column of each full-grid i. */
  ci: Int32Array;
  /** Offset of the coarse row holding full-grid row (j, k). */
  rowOf: (j: number, k: number) => number;
  coreVoxels: number;
  factors: Vec3;
  pieces: BodyPiece[];
}

/** The coarse grid: factors, dims, and each cell's extent along each axis (edge cells are short). */
function coarseGrid(g: Grid, coarse_mm: number): { f: Vec3; cd: Vec3; ext: Int32Array[] } {
  const [nx, ny, nz] = g.dims;
  const f = g.spacing_mm.map((s) => Math.max(1, Math.floor(coarse_mm / s + 1e-9))) as Vec3;
  const cd: Vec3 = [Math.ceil(nx / f[0]), Math.ceil(ny / f[1]), Math.ceil(nz / f[2])];
  const ext = [0, 1, 2].map((a) => Int32Array.from({ length: cd[a]! }, (_, c) => Math.min(g.dims[a]!, (c + 1) * f[a]!) - c * f[a]!));
  return { f, cd, ext };
}

/** Integer HU whose cells bodyCellsInt16 sums exactly (cells of at most 512 voxels), else undefined. */
function int16Cells(hu: Volume['data'], f: Vec3): Int16Array | undefined {
  return hu instanceof Int16Array && f[0] * f[1] * f[2] <= 512 ? hu : undefined;
}

/** Worker task of filledCellsOnPool: a slab of body cells (bodyCellsSlab), its axial slices' holes filled. */
export const BODY_CELLS_FILLED_TASK = 'segment.body-cells-filled';

/**
 * Kernel of BODY_CELLS_FILLED_TASK: the cells of coarse slices c2a … c2b − 1, then the holes of
 * each of those slices filled (fillHoles2DMask on the slab: each axial slice is filled on its
 * own, so slab by slab gives what one pass over the grid gives).
 */
export function bodyCellsFilledSlab(p: BodyCellsPayload): void {
  bodyCellsSlab(p);
  const plane = p.cd[0] * p.cd[1];
  fillHoles2DMask(p.body.subarray(p.c2a * plane, p.c2b * plane), [p.cd[0], p.cd[1], p.c2b - p.c2a], 2);
}

/**
 * The body cells of coarseBody (bodyCellsInt16), holes filled per axial slice, on the pool in
 * slabs of coarse slices (coarseBodyOnPool has checked that the HU are integer and on shared
 * memory: nothing is copied for it, and hands over the coarse grid it worked out).
 */
async function filledCellsOnPool(pool: WorkerPool, hu: Int16Array, g: Grid, coarse: ReturnType<typeof coarseGrid>, bodyThreshold_HU: number): Promise<Uint8Array> {
  const { f, cd, ext } = coarse;
  const body = allocLike(Uint8Array, cd[0] * cd[1] * cd[2], true);
  const payload = (c2a: number, c2b: number): BodyCellsPayload => ({ hu, dims: g.dims, f, cd, threshold: bodyThreshold_HU, ext, body, c2a, c2b });
  await Promise.all(slabRanges(cd[2], pool.size * 2).map(([a, b]) => pool.run(BODY_CELLS_FILLED_TASK, payload(a, b))));
  return body;
}

/** Worker task of coarseBodyOnPool: the body mask from its cells, on one worker (segment/tasks.ts). */
export const TABLE_BODY_TASK = 'segment.table-body';

/**
 * What coarseBodyMask needs, `cells` (the filled body cells, changed) and `out` (the mask,
 * written) on shared memory. Without `cells` (no exact integer cells: float sums per cell) the
 * worker works out the cells too.
 */
export interface TableBodyPayload {
  hu: Int16Array | Float32Array;
  grid: Grid;
  bodyThreshold_HU: number;
  openRadius_mm: number;
  coarse_mm: number;
  minPieceFraction: number;
  cells?: Uint8Array;
  out: Uint8Array;
}

/** Kernel of TABLE_BODY_TASK: coarseBodyMask, the mask copied into `out`. */
export function tableBodyTask(p: TableBodyPayload): { coreVoxels: number; pieces: BodyPiece[] } {
  const m = coarseBodyMask({ grid: p.grid, data: p.hu }, p.bodyThreshold_HU, p.openRadius_mm, p.coarse_mm, p.minPieceFraction, p.cells);
  p.out.set(m.body);
  return { coreVoxels: m.coreVoxels, pieces: m.pieces };
}

/**
 * coarseBody on ctx's pool where the HU are on shared memory (else undefined), while the calling
 * thread goes on (table removal labels the bone meanwhile; runSegmentation starts it before the
 * method). Integer HU in cells bodyCellsInt16 sums exactly: the body cells in slabs
 * (filledCellsOnPool), then the rest on one worker. Any other (float HU of a resampled series:
 * gantry tilt, uneven slices): all of it on one worker, the cells' float32 sums in memory order as
 * on this thread, a sum volume the rest reads. Either way the same body as coarseBody gives on
 * this thread. Before, a float volume's body (~0.45 s on
 * ct/ge-head-tilt-variable-spacing's 42 M voxels) was worked out on this thread while the
 * workers waited.
 */
export function coarseBodyOnPool(volume: Volume, bodyThreshold_HU: number, openRadius_mm: number, coarse_mm: number, minPieceFraction: number, ctx: StageContext): Promise<CoarseBody> | undefined {
  const pool = poolFor(ctx, volume.data.length);
  const coarse = coarseGrid(volume.grid, coarse_mm);
  const hu = volume.data;
  const int16 = int16Cells(hu, coarse.f);
  if (!pool || !isShared(hu)) return undefined;
  return (async () => {
    const cells = int16 ? await filledCellsOnPool(pool, int16, volume.grid, coarse, bodyThreshold_HU) : undefined;
    const [cx, cy, cz] = coarse.cd;
    const out = allocLike(Uint8Array, cx * cy * cz, true);
    const payload: TableBodyPayload = { hu, grid: volume.grid, bodyThreshold_HU, openRadius_mm, coarse_mm, minPieceFraction, ...(cells ? { cells } : {}), out };
    const r = await pool.run<{ coreVoxels: number; pieces: BodyPiece[] }>(TABLE_BODY_TASK, payload);
    return lookup(volume.grid, coarse_mm, out, r.coreVoxels, r.pieces);
  })();
}

/** The body on this thread (coarseBodyOnPool gives the same on the pool). */
export function coarseBody(volume: Volume, bodyThreshold_HU: number, openRadius_mm: number, coarse_mm: number, minPieceFraction: number): CoarseBody {
  const m = coarseBodyMask(volume, bodyThreshold_HU, openRadius_mm, coarse_mm, minPieceFraction);
  return lookup(volume.grid, coarse_mm, m.body, m.coreVoxels, m.pieces);
}

/** A CoarseBody of a body mask on the coarse grid of `g` (coarseGrid). */
function lookup(g: Grid, coarse_mm: number, body: Uint8Array, coreVoxels: number, pieces: BodyPiece[]): CoarseBody {
  const nx = g.dims[0];
  const { f, cd, ext } = coarseGrid(g, coarse_mm);
  const ci = new Int32Array(nx);
  for (let i = 0; i < nx; i++) ci[i] = Math.floor(i / f[0]);
  const rowOf = (j: number, k: number) => Math.floor(k / f[2]) * cd[0] * cd[1] + Math.floor(j / f[1]) * cd[0];
  return { body, extent: ext as [Int32Array, Int32Array, Int32Array], ci, rowOf, coreVoxels, factors: f, pieces };
}

/** The body mask on the coarse grid, with its core size and pieces (coarseBody without the lookup). */
function coarseBodyMask(volume: Volume, bodyThreshold_HU: number, openRadius_mm: number, coarse_mm: number, minPieceFraction: number, cells?: Uint8Array): { body: Uint8Array; coreVoxels: number; pieces: BodyPiece[] } {
  const g = volume.grid;
  const [nx, ny] = g.dims;
  const { f, cd, ext } = coarseGrid(g, coarse_mm);
  const cs: Vec3 = [g.spacing_mm[0] * f[0], g.spacing_mm[1] * f[1], g.spacing_mm[2] * f[2]];
  const cn = cd[0] * cd[1] * cd[2];
  const hu = volume.data;
  const [e0, e1, e2] = ext as [Int32Array, Int32Array, Int32Array];
  // Integer HU: no coarse sum volume (a cell's sum is recomputed where a piece needs it).
  const int16 = int16Cells(hu, f);
  const body = int16 && cells ? cells : new Uint8Array(cn);
  const sum = int16 ? undefined : new Float32Array(cn);
  if (int16) {
    if (body !== cells) {
      bodyCellsInt16(int16, g.dims, f, cd, bodyThreshold_HU, ext, body);
      fillHoles2DMask(body, cd, 2);
    }
  } else {
    blockSums(hu, g.dims, f, cd, sum!);
    for (let c2 = 0, q = 0; c2 < cd[2]; c2++) {
      for (let c1 = 0; c1 < cd[1]; c1++) {
        const e12 = e1[c1]! * e2[c2]!;
        for (let c0 = 0; c0 < cd[0]; c0++, q++) body[q] = sum![q]! > bodyThreshold_HU * (e0[c0]! * e12) ? 1 : 0;
      }
    }
    fillHoles2DMask(body, cd, 2);
  }
  const eroded = morphologyMask(body, cd, cs, 'erode', openRadius_mm);
  // Pieces of the opened body, as runs along i of the coarse grid.
  const cc = componentRuns(eroded, cd, 6);
  const { runs, comp } = cc;
  let best = 0;
  for (let c = 1; c <= cc.count; c++) if (cc.sizes[c]! > cc.sizes[best]!) best = c;
  // Mean HU and dense fraction of each piece, from the block means.
  const huSum = new Float64Array(cc.count + 1);
  const dense = new Float64Array(cc.count + 1);
  const P = nx * ny;
  for (let r = 0; r < runs.rowStart.length - 1; r++) {
    const c1 = r % cd[1];
    const c2 = Math.floor(r / cd[1]);
    const e12 = e1[c1]! * e2[c2]!;
    // a row of 2×2×1 cells (0.45 mm pixels, 1 mm slices): a cell's sum read in place
    const quad = int16 !== undefined && f[0] === 2 && e1[c1] === 2 && e2[c2] === 1;
    const p0 = c2 * f[2] * P + c1 * f[1] * nx;
    for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
      const c = comp[t]!;
      for (let c0 = runs.start[t]!; c0 < runs.end[t]!; c0++) {
        const q = r * cd[0] + c0;
        let s: number;
        if (quad && e0[c0] === 2) {
          const p = p0 + 2 * c0;
          s = int16[p]! + int16[p + 1]! + int16[p + nx]! + int16[p + nx + 1]!;
        } else s = sum ? sum[q]! : cellSumInt16(int16!, g.dims, f, c0, c1, c2);
        const m = s / (e0[c0]! * e12);
        huSum[c]! += m;
        if (m >= DENSE_PIECE_HU) dense[c]!++;
      }
    }
  }
  const keep = new Uint8Array(cc.count + 1);
  const minPiece = minPieceFraction * (best === 0 ? 0 : cc.sizes[best]!);
  for (let c = 1; c <= cc.count; c++) keep[c] = c === best || (cc.sizes[c]! >= minPiece && dense[c]! < 0.5 * cc.sizes[c]!) ? 1 : 0;
  const cvv = cs[0] * cs[1] * cs[2];
  const pieces: BodyPiece[] = [];
  const order = Array.from({ length: cc.count }, (_, t) => t + 1).sort((a, b) => cc.sizes[b]! - cc.sizes[a]! || a - b);
  for (const c of order.slice(0, 10)) {
    const n = cc.sizes[c]!;
    pieces.push({ core_mm3: Math.round(n * cvv), meanHU: Math.round(huSum[c]! / n), denseFraction: Math.round((1e4 * dense[c]!) / n) / 1e4, kept: keep[c] === 1 });
  }
  // The core: the opened body less the pieces that are not body (the buffer is reused).
  const core = eroded;
  let coreVoxels = 0;
  for (let r = 0; r < runs.rowStart.length - 1; r++) {
    for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
      const len = runs.end[t]! - runs.start[t]!;
      if (keep[comp[t]!]) coreVoxels += len;
      else core.fill(0, r * cd[0] + runs.start[t]!, r * cd[0] + runs.end[t]!);
    }
  }
  const back = morphologyMask(core, cd, cs, 'dilate', openRadius_mm + Math.max(...cs));
  // AND four cells to a word (both masks are 0/1 and fresh, so word-aligned)
  const bw = wordsOf(back)!;
  const fw = wordsOf(body)!;
  for (let t = 0; t < bw.length; t++) bw[t] = bw[t]! & fw[t]!;
  for (let q = bw.length * 4; q < cn; q++) back[q] = back[q]! & body[q]!;
  return { body: back, coreVoxels, pieces };
}
