/**
 * Automatic removal of the scanner table/bed and head holders from a bone mask
 * (SPEC §1 step 4; FIELD-NOTES: "the scanner table or head holder printed along with
 * the bone").
 *
 * What the data shows (measured before choosing): at bone thresholds (150–260 HU) the
 * head holder of the Philips phantom (mean ≈ 383 HU, ≤ 2.4 mm inscribed radius, 0.29 L)
 * and of the GE head (≈ 310 HU, ≤ 1.5 mm) is a bone-mask component of its own, separate
 * from the skull. Its HU mean and thinness differ from the skull, but so would a thin
 * rib or scapula; what does not vary is that supports lie OUTSIDE the patient's body,
 * separated from it by air or foam padding (< −400 HU) except at a few thin contacts.
 *
 * Method:
 *  1. body = HU > bodyThreshold_HU (−400) on a grid coarsened to ≈ 1 mm (block mean
 *     HU), holes filled per axial slice (so a skull ring and what it encloses are one solid);
 *  2. open it: erode by openRadius_mm (3 mm) — this cuts thin contacts (padding, skin
 *     touching the holder) and removes thin plates (holders, table tops) — and keep the
 *     6-connected pieces that are body: the largest (the body core) and every other piece
 *     of at least `minPieceFraction` (2 %) of it that is not mostly dense (< half of it
 *     ≥ 300 HU): arms lying beside the trunk (separated from it by air, often cut by the
 *     field of view) are body, and their humeri are bone. Then dilate back by the radius
 *     plus one voxel and intersect with the filled body (the body with its own outline);
 *  3. each 26-connected component of the bone mask with less than `insideFraction`
 *     (0.5) of its voxels inside that body is a support and is removed whole; the rest
 *     is kept whole (no voxel-level cutting of bone).
 * Limitation: a support fused with bone in the mask (one component) is kept; the
 * record lists every removed component with its statistics so a reviewer sees it.
 * Measured on labelled/totalsegmentator/example_ct_dicom (20 slices, arms cut by the
 * field of view): keeping only the largest piece removed both arms, 47 % of the mask
 * (bone Dice 0.54 against TotalSegmentator); keeping the arm pieces, 0.80+.
 */
import { voxelVolume_mm3, type Grid, type Vec3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { Finding, StageContext, StageResult } from '../pipeline/record.js';
import { round, timed, timedAsync } from '../pipeline/record.js';
import { slabRanges } from '../parallel/pool.js';
import { inputError, usageError } from '../errors.js';
import { componentRuns, withoutComponents, type Connectivity } from './components.js';
import type { RunComponents } from './components-runs.js';
import { wordsOf } from './components-runs.js';
import { BODY_CELLS_TASK, blockSums, bodyCellsInt16, cellSumInt16, type BodyCellsPayload } from './table-cells.js';
import { allocLike, isShared, poolFor } from './filters/slabs.js';
import { fillHoles2DMask } from './fill-holes.js';
import { morphologyMask } from './morphology.js';
import { runComponentStats } from './stats.js';

/**
 * Defaults of the body threshold and the coarse cell size: removeTableOnPool computes the body
 * cells before tableRemoved resolves its params, so both take them from here.
 */
const BODY_THRESHOLD_HU = -400;
const TABLE_COARSE_MM = 1;

export interface RemoveTableParams {
  /** Body/air boundary (default −400 HU). */
  bodyThreshold_HU?: number;
  /** Opening radius that separates thin supports from the body (default 3 mm). */
  openRadius_mm?: number;
  /** Minimum fraction of a bone component inside the body to keep it (default 0.5). */
  insideFraction?: number;
  /** Connectivity of bone components (default 26). */
  connectivity?: Connectivity;
  /** Pieces of the opened body at least this fraction of the largest are body too (default 0.02). */
  minPieceFraction?: number;
}

/** Dense (support-like) level for a body piece: a piece mostly above it is not body. */
const DENSE_PIECE_HU = 300;

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

/** Number of 1s in [a, b) of a 0/1 mask (`w32` = wordsOf(mask)), four bytes to a word in the middle. */
function countOnes(m: Uint8Array, w32: Uint32Array, a: number, b: number): number {
  let n = 0;
  let q = a;
  for (; q < b && (q & 3) !== 0; q++) n += m[q]!;
  // bytes are 0 or 1, so a word's byte sum (≤ 4) is its top byte times 0x01010101
  for (; q + 4 <= b; q += 4) n += Math.imul(w32[q >>> 2]!, 0x01010101) >>> 24;
  for (; q < b; q++) n += m[q]!;
  return n;
}

/** The body on the coarse grid, with what is needed to look a full-grid voxel up in it. */
interface CoarseBody {
  body: Uint8Array;
  /** Full-grid voxels per coarse cell. */
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

/**
 * The body cells of coarseBody (bodyCellsInt16) on the pool, in slabs of coarse slices, where
 * the HU are integer and already on shared memory (nothing is copied for it); else undefined,
 * and coarseBody computes them itself.
 */
async function bodyCellsOnPool(volume: Volume, bodyThreshold_HU: number, coarse_mm: number, ctx: StageContext): Promise<Uint8Array | undefined> {
  const pool = poolFor(ctx, volume.data.length);
  const { f, cd, ext } = coarseGrid(volume.grid, coarse_mm);
  const hu = int16Cells(volume.data, f);
  if (!pool || !hu || !isShared(hu)) return undefined;
  const body = allocLike(Uint8Array, cd[0] * cd[1] * cd[2], true);
  const payload = (c2a: number, c2b: number): BodyCellsPayload => ({ hu, dims: volume.grid.dims, f, cd, threshold: bodyThreshold_HU, ext, body, c2a, c2b });
  await Promise.all(slabRanges(cd[2], pool.size * 2).map(([a, b]) => pool.run(BODY_CELLS_TASK, payload(a, b))));
  return body;
}

/** `cells`: the body cells bodyCellsInt16 gives, computed already (bodyCellsOnPool). */
function coarseBody(volume: Volume, bodyThreshold_HU: number, openRadius_mm: number, coarse_mm: number, minPieceFraction: number, cells?: Uint8Array): CoarseBody {
  const g = volume.grid;
  const [nx, ny] = g.dims;
  const { f, cd, ext } = coarseGrid(g, coarse_mm);
  const cs: Vec3 = [g.spacing_mm[0] * f[0], g.spacing_mm[1] * f[1], g.spacing_mm[2] * f[2]];
  const cn = cd[0] * cd[1] * cd[2];
  const hu = volume.data;
  const ci = new Int32Array(nx);
  for (let i = 0; i < nx; i++) ci[i] = Math.floor(i / f[0]);
  const [e0, e1, e2] = ext as [Int32Array, Int32Array, Int32Array];
  // Integer HU: no coarse sum volume (a cell's sum is recomputed where a piece needs it).
  const int16 = int16Cells(hu, f);
  const body = int16 && cells ? cells : new Uint8Array(cn);
  const sum = int16 ? undefined : new Float32Array(cn);
  if (int16) {
    if (body !== cells) bodyCellsInt16(int16, g.dims, f, cd, bodyThreshold_HU, ext, body);
  } else {
    blockSums(hu, g.dims, f, cd, sum!);
    for (let c2 = 0, q = 0; c2 < cd[2]; c2++) {
      for (let c1 = 0; c1 < cd[1]; c1++) {
        const e12 = e1[c1]! * e2[c2]!;
        for (let c0 = 0; c0 < cd[0]; c0++, q++) body[q] = sum![q]! > bodyThreshold_HU * (e0[c0]! * e12) ? 1 : 0;
      }
    }
  }
  fillHoles2DMask(body, cd, 2);
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
  const rowOf = (j: number, k: number) => Math.floor(k / f[2]) * cd[0] * cd[1] + Math.floor(j / f[1]) * cd[0];
  return { body: back, extent: [e0, e1, e2], ci, rowOf, coreVoxels, factors: f, pieces };
}

/**
 * Clean-up stage: remove bone-mask components lying outside the body (table, bed, holders).
 * `handOn` is given the components of the output (withoutComponents), for a next step that
 * labels them again (faint components, runCleanup). With `inPlace` the removed components are
 * cleared in `labels.data` itself (which the caller no longer needs) instead of in a copy.
 */
export function removeTable(
  labels: LabelMap,
  volume: Volume | undefined,
  params: RemoveTableParams = {},
  _ctx: StageContext = {},
  handOn?: (kept: RunComponents) => void,
  inPlace = false,
): StageResult<LabelMap> {
  return timed(() => tableRemoved(labels, volume, params, handOn, inPlace));
}

/**
 * removeTable with the body cells summed on ctx's pool where the volume is integer HU on
 * shared memory (bodyCellsOnPool), else on this thread: the same output either way.
 */
export function removeTableOnPool(
  labels: LabelMap,
  volume: Volume | undefined,
  params: RemoveTableParams = {},
  ctx: StageContext = {},
  handOn?: (kept: RunComponents) => void,
  inPlace = false,
): Promise<StageResult<LabelMap>> {
  return timedAsync(async () => {
    const cells = volume ? await bodyCellsOnPool(volume, params.bodyThreshold_HU ?? BODY_THRESHOLD_HU, TABLE_COARSE_MM, ctx) : undefined;
    return tableRemoved(labels, volume, params, handOn, inPlace, cells);
  });
}

function tableRemoved(
  labels: LabelMap,
  volume: Volume | undefined,
  params: RemoveTableParams,
  handOn: ((kept: RunComponents) => void) | undefined,
  inPlace: boolean,
  cells?: Uint8Array,
): StageResult<LabelMap> {
  if (!volume) throw usageError('TABLE_NEEDS_VOLUME', 'table removal needs the HU volume (the body is found from it)');
  const g = labels.grid;
  if (volume.data.length !== labels.data.length) {
    throw inputError('GRID_MISMATCH', `label map (${g.dims.join('×')}) and volume (${volume.grid.dims.join('×')}) are on different grids`);
  }
  const bodyThreshold_HU = params.bodyThreshold_HU ?? BODY_THRESHOLD_HU;
  const openRadius_mm = params.openRadius_mm ?? 3;
  const insideFraction = params.insideFraction ?? 0.5;
  const connectivity = params.connectivity ?? 26;
  const minPieceFraction = params.minPieceFraction ?? 0.02;
  if (!(minPieceFraction >= 0 && minPieceFraction <= 1)) throw usageError('BAD_FRACTION', `minPieceFraction must be in [0, 1] (got ${minPieceFraction})`);
  if (!(openRadius_mm >= 0)) throw usageError('BAD_RADIUS', `table opening radius must be ≥ 0 mm (got ${openRadius_mm})`);
  if (!(insideFraction >= 0 && insideFraction <= 1)) throw usageError('BAD_FRACTION', `insideFraction must be in [0, 1] (got ${insideFraction})`);

  const body = coarseBody(volume, bodyThreshold_HU, openRadius_mm, TABLE_COARSE_MM, minPieceFraction, cells);
  let bodyVoxels = 0;
  {
    // per coarse row: its body cells (counted four to a word) × the cell size, less
    // what the short last cell lacks
    const [e0, e1, e2] = body.extent;
    const n0 = e0.length;
    const f0 = body.factors[0];
    const short = f0 - e0[n0 - 1]!;
    const w32 = wordsOf(body.body)!;
    for (let c2 = 0, q = 0; c2 < e2.length; c2++) {
      for (let c1 = 0; c1 < e1.length; c1++, q += n0) {
        const cells = countOnes(body.body, w32, q, q + n0);
        bodyVoxels += (f0 * cells - short * body.body[q + n0 - 1]!) * e1[c1]! * e2[c2]!;
      }
    }
  }
  // Bone components as runs; the body is looked up on its coarse grid, run by run.
  const cc = componentRuns(labels.data, g.dims, connectivity);
  const { runs, comp } = cc;
  const [nx, ny] = g.dims;
  const f0 = body.factors[0];
  const inside = new Float64Array(cc.count + 1);
  const bb = body.body;
  for (let r = 0; r < runs.rowStart.length - 1; r++) {
    const row = body.rowOf(r % ny, Math.floor(r / ny));
    for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
      // a cell at a time: its body value times the run's voxels in it
      let m = 0;
      const e = runs.end[t]!;
      if (f0 === 2) {
        // cells s>>1 … (e−1)>>1, two voxels each, less the half cell at an odd start or end
        const s = runs.start[t]!;
        const c0 = row + (s >>> 1), c1 = row + ((e - 1) >>> 1);
        for (let c = c0; c <= c1; c++) m += bb[c]!;
        m = 2 * m - (s & 1 ? bb[c0]! : 0) - (e & 1 ? bb[c1]! : 0);
      } else {
        for (let i = runs.start[t]!; i < e; ) {
          const c = body.ci[i]!;
          const next = Math.min(e, (c + 1) * f0);
          m += bb[row + c]! * (next - i);
          i = next;
        }
      }
      inside[comp[t]!]! += m;
    }
  }
  // Removed components are renumbered 1..R (memory order) for their statistics.
  const removedId = new Int32Array(cc.count + 1);
  let r = 0;
  const removedInside: number[] = [0];
  // The largest kept component and how much of it lies in the body: the margin of the decision.
  let largestKept = 0;
  for (let c = 1; c <= cc.count; c++) {
    if (inside[c]! < insideFraction * cc.sizes[c]!) {
      removedId[c] = ++r;
      removedInside.push(inside[c]! / cc.sizes[c]!);
    } else if (largestKept === 0 || cc.sizes[c]! > cc.sizes[largestKept]!) largestKept = c;
  }
  const data = inPlace ? labels.data : labels.data.slice();
  let removedVoxels = 0;
  let totalVoxels = 0;
  for (let q = 0; q < runs.rowStart.length - 1; q++) {
    for (let t = runs.rowStart[q]!; t < runs.rowStart[q + 1]!; t++) {
      const len = runs.end[t]! - runs.start[t]!;
      totalVoxels += len;
      if (removedId[comp[t]!] === 0) continue;
      data.fill(0, q * nx + runs.start[t]!, q * nx + runs.end[t]!);
      removedVoxels += len;
    }
  }
  handOn?.(withoutComponents(cc, removedId));
  const removed = runComponentStats(cc, removedId, r, g, volume)
    .map((st) => ({ ...st, insideBodyFraction: round(removedInside[st.id]!, 4) }))
    .sort((a, b) => b.volume_mm3 - a.volume_mm3 || a.id - b.id);
  const vv = voxelVolume_mm3(g);
  const findings: Finding[] = [];
  if (body.coreVoxels === 0) {
    findings.push({ code: 'NO_BODY_FOUND', severity: 'warn', message: `no body above ${bodyThreshold_HU} HU survived a ${openRadius_mm} mm opening: every bone component was treated as outside the body` });
  }
  if (removedVoxels > 0) {
    findings.push({
      code: 'TABLE_REMOVED',
      severity: removedVoxels > 0.5 * totalVoxels ? 'warn' : 'info',
      message: `removed ${r} component(s), ${round(removedVoxels * vv / 1000, 2)} cm³ (${round((100 * removedVoxels) / Math.max(1, totalVoxels), 1)} % of the mask), lying outside the body: scanner table / head holder`,
    });
  }
  return {
    output: { grid: g, data, ...(labels.labels ? { labels: labels.labels } : {}) },
    record: {
      stage: 'segment',
      method: 'remove-table',
      params: {
        bodyThreshold_HU,
        openRadius_mm,
        insideFraction,
        connectivity,
        minPieceFraction,
        densePiece_HU: DENSE_PIECE_HU,
        bodyFill: '2d per axial slice',
        bodyGridFactors: body.factors,
      },
      figures: {
        body_mm3: round(bodyVoxels * vv, 0),
        bodyPieces: body.pieces,
        componentsFound: cc.count,
        componentsRemoved: r,
        removedVoxels,
        removed_mm3: round(removedVoxels * vv, 1),
        removedFraction: round(removedVoxels / Math.max(1, totalVoxels), 4),
        largestKept: largestKept === 0 ? null : { voxels: cc.sizes[largestKept]!, insideBodyFraction: round(inside[largestKept]! / cc.sizes[largestKept]!, 4) },
        components: removed.slice(0, 20),
      },
      ...(findings.length ? { findings } : {}),
    },
  };
}
