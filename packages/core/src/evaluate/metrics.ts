/**
 * Overlap and surface-distance metrics between a reference and a segmentation mask
 * on one grid (ISO/IEC 3532-2 performance evaluation).
 *
 * Definitions (stated in every record):
 * - dice = 2|R∩S| / (|R|+|S|), jaccard = |R∩S| / |R∪S|, sensitivity = |R∩S| / |R|,
 *   precision = |R∩S| / |S|, volumeDiffPercent = 100·(|S| − |R|) / |R| (signed: positive
 *   when the segmentation is larger).
 * - Surfaces are the boundary voxels of each mask (foreground voxels with a background
 *   6-neighbour; outside the grid counts as background). A directed surface distance
 *   is, for each boundary voxel of one mask, the exact Euclidean distance in mm from its
 *   centre to the nearest boundary-voxel centre of the other mask (anisotropic spacing).
 * - hausdorff_mm = the largest directed distance in either direction.
 * - hausdorff95_mm = max(P95(R→S), P95(S→R)): the larger of the two directed 95th
 *   percentiles (as MONAI and DeepMind's surface-distance compute it), percentile by
 *   linear interpolation between order statistics (numpy's default). The 95th percentile
 *   of the pooled distances of both directions (MedPy's hd95) is also recorded as
 *   hausdorff95_pooled_mm.
 * - assd_mm = (Σ R→S + Σ S→R) / (|∂R| + |∂S|): the mean over all boundary voxels of both.
 * Undefined values (a distance when one mask is empty, sensitivity with an empty
 * reference, …) are null, never NaN, so JSON stays valid.
 */
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { WorkerPool } from '../parallel/pool.js';
import { edt3d, edt3dParallel, surfaceMask } from './edt.js';

export interface SegmentationMetrics {
  dice: number | null;
  jaccard: number | null;
  sensitivity: number | null;
  precision: number | null;
  volumeDiffPercent: number | null;
  hausdorff_mm: number | null;
  hausdorff95_mm: number | null;
  assd_mm: number | null;
}

/** Counts and directed figures behind the metrics (for the record). */
export interface MetricDetails {
  ref_voxels: number;
  seg_voxels: number;
  overlap_voxels: number;
  ref_volume_mm3: number;
  seg_volume_mm3: number;
  ref_surface_voxels: number;
  seg_surface_voxels: number;
  hausdorff_ref_to_seg_mm: number | null;
  hausdorff_seg_to_ref_mm: number | null;
  hausdorff95_ref_to_seg_mm: number | null;
  hausdorff95_seg_to_ref_mm: number | null;
  hausdorff95_pooled_mm: number | null;
  mean_ref_to_seg_mm: number | null;
  mean_seg_to_ref_mm: number | null;
}

export const METRIC_DEFINITIONS = [
  'dice = 2|R∩S|/(|R|+|S|); jaccard = |R∩S|/|R∪S|; sensitivity = |R∩S|/|R|; precision = |R∩S|/|S|; volumeDiffPercent = 100·(|S|−|R|)/|R|',
  'surface = boundary voxels (foreground with a background 6-neighbour; outside the grid is background); distances are exact Euclidean (mm) between voxel centres, physical spacing',
  'hausdorff_mm = max of both directed maxima; hausdorff95_mm = max of the two directed 95th percentiles (linear interpolation); assd_mm = mean over the boundary voxels of both masks',
];

/** Linear-interpolation percentile of sorted values (numpy's default). */
export function percentileSorted(sorted: Float64Array, pct: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const r = (pct / 100) * (n - 1);
  const lo = Math.floor(r);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (r - lo) * (sorted[hi]! - sorted[lo]!);
}

interface Prepared {
  counts: { ref: number; seg: number; tp: number };
  crop?: { dims: Vec3; sRef: Uint8Array; sSeg: Uint8Array };
}

/** Counts voxels and crops both masks to the bounding box of their union (exact: all surface points lie inside). */
function prepare(ref: Uint8Array, seg: Uint8Array, dims: Vec3): Prepared {
  const [nx, ny, nz] = dims;
  let nr = 0, ns = 0, tp = 0;
  let i0 = nx, i1 = -1, j0 = ny, j1 = -1, k0 = nz, k1 = -1;
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const r = ref[p]!, s = seg[p]!;
        if (!(r | s)) continue;
        if (r) nr++;
        if (s) ns++;
        if (r && s) tp++;
        if (i < i0) i0 = i;
        if (i > i1) i1 = i;
        if (j < j0) j0 = j;
        if (j > j1) j1 = j;
        if (k < k0) k0 = k;
        if (k > k1) k1 = k;
      }
    }
  }
  const counts = { ref: nr, seg: ns, tp };
  if (nr === 0 || ns === 0) return { counts };
  const cd: Vec3 = [i1 - i0 + 1, j1 - j0 + 1, k1 - k0 + 1];
  const cr = new Uint8Array(cd[0] * cd[1] * cd[2]);
  const cs = new Uint8Array(cr.length);
  let q = 0;
  for (let k = k0; k <= k1; k++) {
    for (let j = j0; j <= j1; j++) {
      const row = i0 + j * nx + k * nx * ny;
      cr.set(ref.subarray(row, row + cd[0]), q);
      cs.set(seg.subarray(row, row + cd[0]), q);
      q += cd[0];
    }
  }
  // A voxel on the crop's face whose outside neighbour lies in the full grid is
  // background there too (the union is empty outside the box), so the crop's
  // "outside is background" rule gives the same surface as the full grid.
  return { counts, crop: { dims: cd, sRef: surfaceMask(cr, cd), sSeg: surfaceMask(cs, cd) } };
}

/** Distances (mm) at the voxels set in `from`, looked up in the distance field `field`. */
function sample(from: Uint8Array, field: Float32Array): Float64Array {
  let n = 0;
  for (let p = 0; p < from.length; p++) if (from[p]) n++;
  const out = new Float64Array(n);
  let q = 0;
  for (let p = 0; p < from.length; p++) if (from[p]) out[q++] = field[p]!;
  return out;
}

function finish(prep: Prepared, grid: Grid, toSeg?: Float32Array, toRef?: Float32Array): { metrics: SegmentationMetrics; details: MetricDetails } {
  const { ref: nr, seg: ns, tp } = prep.counts;
  const vv = grid.spacing_mm[0] * grid.spacing_mm[1] * grid.spacing_mm[2];
  const union = nr + ns - tp;
  const metrics: SegmentationMetrics = {
    dice: nr + ns > 0 ? (2 * tp) / (nr + ns) : 1,
    jaccard: union > 0 ? tp / union : 1,
    sensitivity: nr > 0 ? tp / nr : null,
    precision: ns > 0 ? tp / ns : null,
    volumeDiffPercent: nr > 0 ? (100 * (ns - nr)) / nr : null,
    hausdorff_mm: nr === 0 && ns === 0 ? 0 : null,
    hausdorff95_mm: nr === 0 && ns === 0 ? 0 : null,
    assd_mm: nr === 0 && ns === 0 ? 0 : null,
  };
  const details: MetricDetails = {
    ref_voxels: nr,
    seg_voxels: ns,
    overlap_voxels: tp,
    ref_volume_mm3: nr * vv,
    seg_volume_mm3: ns * vv,
    ref_surface_voxels: 0,
    seg_surface_voxels: 0,
    hausdorff_ref_to_seg_mm: null,
    hausdorff_seg_to_ref_mm: null,
    hausdorff95_ref_to_seg_mm: null,
    hausdorff95_seg_to_ref_mm: null,
    hausdorff95_pooled_mm: null,
    mean_ref_to_seg_mm: null,
    mean_seg_to_ref_mm: null,
  };
  if (!prep.crop || !toSeg || !toRef) return { metrics, details };
  const rs = sample(prep.crop.sRef, toSeg).sort();
  const sr = sample(prep.crop.sSeg, toRef).sort();
  const pooled = new Float64Array(rs.length + sr.length);
  pooled.set(rs);
  pooled.set(sr, rs.length);
  pooled.sort();
  let sum = 0;
  for (let q = 0; q < pooled.length; q++) sum += pooled[q]!;
  let sumRs = 0;
  for (let q = 0; q < rs.length; q++) sumRs += rs[q]!;
  details.ref_surface_voxels = rs.length;
  details.seg_surface_voxels = sr.length;
  details.hausdorff_ref_to_seg_mm = rs[rs.length - 1]!;
  details.hausdorff_seg_to_ref_mm = sr[sr.length - 1]!;
  details.hausdorff95_ref_to_seg_mm = percentileSorted(rs, 95);
  details.hausdorff95_seg_to_ref_mm = percentileSorted(sr, 95);
  details.hausdorff95_pooled_mm = percentileSorted(pooled, 95);
  details.mean_ref_to_seg_mm = sumRs / rs.length;
  details.mean_seg_to_ref_mm = (sum - sumRs) / sr.length;
  metrics.hausdorff_mm = Math.max(details.hausdorff_ref_to_seg_mm, details.hausdorff_seg_to_ref_mm);
  metrics.hausdorff95_mm = Math.max(details.hausdorff95_ref_to_seg_mm, details.hausdorff95_seg_to_ref_mm);
  metrics.assd_mm = sum / pooled.length;
  return { metrics, details };
}

function checkMasks(ref: Uint8Array, seg: Uint8Array, grid: Grid): void {
  const n = grid.dims[0] * grid.dims[1] * grid.dims[2];
  if (ref.length !== n || seg.length !== n) throw new RangeError(`compareMasks: masks have ${ref.length} and ${seg.length} voxels, grid ${grid.dims.join('×')} needs ${n}`);
}

/** All metrics between two binary masks (non-zero = inside) on the same grid. */
export function compareMasks(ref: Uint8Array, seg: Uint8Array, grid: Grid): { metrics: SegmentationMetrics; details: MetricDetails } {
  checkMasks(ref, seg, grid);
  const prep = prepare(ref, seg, grid.dims);
  if (!prep.crop) return finish(prep, grid);
  const { dims, sRef, sSeg } = prep.crop;
  return finish(prep, grid, edt3d(sSeg, dims, grid.spacing_mm), edt3d(sRef, dims, grid.spacing_mm));
}

/** compareMasks with the distance transforms run on the worker pool (same numbers). */
export async function compareMasksParallel(ref: Uint8Array, seg: Uint8Array, grid: Grid, pool: WorkerPool): Promise<{ metrics: SegmentationMetrics; details: MetricDetails }> {
  checkMasks(ref, seg, grid);
  const prep = prepare(ref, seg, grid.dims);
  if (!prep.crop) return finish(prep, grid);
  const { dims, sRef, sSeg } = prep.crop;
  const toSeg = await edt3dParallel(sSeg, dims, grid.spacing_mm, pool);
  const toRef = await edt3dParallel(sRef, dims, grid.spacing_mm, pool);
  return finish(prep, grid, toSeg, toRef);
}
