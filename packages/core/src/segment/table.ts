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
 * Method (steps 1 and 2, the body, in table-body.ts):
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
import { voxelVolume_mm3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { Finding, StageContext, StageResult } from '../pipeline/record.js';
import { round, timed, timedAsync } from '../pipeline/record.js';
import { inputError, usageError } from '../errors.js';
import { componentRuns, withoutComponents, type Connectivity } from './components.js';
import type { RunComponents } from './components-runs.js';
import { wordsOf } from './components-runs.js';
import { BODY_THRESHOLD_HU, DENSE_PIECE_HU, TABLE_COARSE_MM, coarseBody, coarseBodyOnPool, type CoarseBody } from './table-body.js';
import { runComponentStats } from './stats.js';

export { bodyMask, type BodyMaskResult, type BodyPiece } from './table-body.js';

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

/** The parameters of table removal with their defaults, checked (a usage error where one is out of range). */
export function tableParams(params: RemoveTableParams): Required<RemoveTableParams> {
  const bodyThreshold_HU = params.bodyThreshold_HU ?? BODY_THRESHOLD_HU;
  const openRadius_mm = params.openRadius_mm ?? 3;
  const insideFraction = params.insideFraction ?? 0.5;
  const connectivity = params.connectivity ?? 26;
  const minPieceFraction = params.minPieceFraction ?? 0.02;
  if (!(minPieceFraction >= 0 && minPieceFraction <= 1)) throw usageError('BAD_FRACTION', `minPieceFraction must be in [0, 1] (got ${minPieceFraction})`);
  if (!(openRadius_mm >= 0)) throw usageError('BAD_RADIUS', `table opening radius must be ≥ 0 mm (got ${openRadius_mm})`);
  if (!(insideFraction >= 0 && insideFraction <= 1)) throw usageError('BAD_FRACTION', `insideFraction must be in [0, 1] (got ${insideFraction})`);
  return { bodyThreshold_HU, openRadius_mm, insideFraction, connectivity, minPieceFraction };
}

/**
 * The body of table removal on ctx's pool (coarseBodyOnPool: the cells in slabs, the rest on one
 * worker), started now so that it is computed while this thread goes on; undefined where the
 * pool cannot (no pool, HU not on shared memory) or the parameters are bad (the table
 * step then reports them). runSegmentation starts it before the method, for every label map.
 */
export function tableBodyOnPool(volume: Volume, params: RemoveTableParams, ctx: StageContext): Promise<CoarseBody> | undefined {
  let p: Required<RemoveTableParams>;
  try {
    p = tableParams(params);
  } catch {
    return undefined;
  }
  const body = coarseBodyOnPool(volume, p.bodyThreshold_HU, p.openRadius_mm, TABLE_COARSE_MM, p.minPieceFraction, ctx);
  // a failure is reported by the table step that awaits it, not as an unhandled rejection
  body?.catch(() => {});
  return body;
}

/**
 * removeTable with the body on ctx's pool where the volume's HU are on shared memory
 * (tableBodyOnPool, or `body`, started by the caller for the same volume and parameters),
 * computed there while this thread labels the bone components; else on this thread: the same
 * output either way.
 */
export function removeTableOnPool(
  labels: LabelMap,
  volume: Volume | undefined,
  params: RemoveTableParams = {},
  ctx: StageContext = {},
  handOn?: (kept: RunComponents) => void,
  inPlace = false,
  body?: Promise<CoarseBody>,
): Promise<StageResult<LabelMap>> {
  return timedAsync(async () => {
    const p = checked(labels, volume, params);
    const pending = body ?? tableBodyOnPool(volume!, params, ctx);
    const cc = componentRuns(labels.data, labels.grid.dims, p.connectivity);
    const b = pending ? await pending : coarseBody(volume!, p.bodyThreshold_HU, p.openRadius_mm, TABLE_COARSE_MM, p.minPieceFraction);
    return decided(labels, volume!, p, b, cc, handOn, inPlace);
  });
}

/** The parameters, after checking that there is a volume on the labels' grid. */
function checked(labels: LabelMap, volume: Volume | undefined, params: RemoveTableParams): Required<RemoveTableParams> {
  if (!volume) throw usageError('TABLE_NEEDS_VOLUME', 'table removal needs the HU volume (the body is found from it)');
  const g = labels.grid;
  if (volume.data.length !== labels.data.length) {
    throw inputError('GRID_MISMATCH', `label map (${g.dims.join('×')}) and volume (${volume.grid.dims.join('×')}) are on different grids`);
  }
  return tableParams(params);
}

function tableRemoved(
  labels: LabelMap,
  volume: Volume | undefined,
  params: RemoveTableParams,
  handOn: ((kept: RunComponents) => void) | undefined,
  inPlace: boolean,
): StageResult<LabelMap> {
  const p = checked(labels, volume, params);
  const body = coarseBody(volume!, p.bodyThreshold_HU, p.openRadius_mm, TABLE_COARSE_MM, p.minPieceFraction);
  return decided(labels, volume!, p, body, componentRuns(labels.data, labels.grid.dims, p.connectivity), handOn, inPlace);
}

/** Step 3 of the method: the bone components (`cc`) mostly outside `body` are cleared. */
function decided(
  labels: LabelMap,
  volume: Volume,
  p: Required<RemoveTableParams>,
  body: CoarseBody,
  cc: RunComponents,
  handOn: ((kept: RunComponents) => void) | undefined,
  inPlace: boolean,
): StageResult<LabelMap> {
  const g = labels.grid;
  const { bodyThreshold_HU, openRadius_mm, insideFraction, connectivity, minPieceFraction } = p;
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
