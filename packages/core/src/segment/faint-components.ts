/**
 * Faint components: connected pieces of a bone threshold's mask that are nothing but
 * tissue a little above the threshold. In a contrast-enhanced scan the automatic
 * threshold sits just above the soft-tissue peak (142 HU on the TotalSegmentator
 * example_ct_dicom, whose portal vein, liver and stomach wall enhance to 140–190 HU),
 * so the noise on enhanced blood and organs crosses it in thousands of specks and blobs;
 * on a head phantom the same happens in an insert just under the threshold.
 *
 * Bone, however faint, differs in its HU distribution: a piece of bone has a dense part
 * (cortex, or the ridge of a thin plate) well above the threshold. A component is removed
 * only when its voxels are consistent with a tissue at the threshold plus noise:
 *   median HU < threshold + medianSigmas·σ,  95th percentile < threshold + p95Sigmas·σ
 *   and max < threshold + maxSigmas·σ,
 * where σ is the noise of soft tissue measured by the automatic threshold (the width of
 * the soft-tissue peak: the distance from the peak to its inflection, smoothing removed;
 * the threshold itself is the peak + 3σ). Whole components only: nothing is ever cut out of a piece
 * that holds a dense voxel, so thin cortex, orbit walls and the skull are not touched (the
 * max bound keeps a faint rib tip joined to costal cartilage on example_ct.nii.gz, 443 HU) (segment-dice.spec.ts and the head series in its record measure that).
 * Linear time: one labelling, one pass of counts per component (no sorting).
 */
import { voxelVolume_mm3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { StageContext, StageResult } from '../pipeline/record.js';
import { round, timed } from '../pipeline/record.js';
import { usageError } from '../errors.js';
import { componentRuns, type Connectivity } from './components.js';
import type { RunComponents } from './components-runs.js';

export interface FaintComponentsParams {
  /** The bone threshold the mask came from (HU). */
  threshold_HU: number;
  /** Noise σ of soft tissue (HU), e.g. from the automatic threshold's peak width. */
  noise_HU: number;
  /** A component's median must lie below threshold + this many σ (default 2). */
  medianSigmas?: number;
  /** A component's 95th percentile must lie below threshold + this many σ (default 5). */
  p95Sigmas?: number;
  /** A component's max must lie below threshold + this many σ (default 10). */
  maxSigmas?: number;
  /** Default 26, as the clean-up's components. */
  connectivity?: Connectivity;
}

export const FAINT_DEFAULTS = { medianSigmas: 2, p95Sigmas: 5, maxSigmas: 10, connectivity: 26 as Connectivity };

/**
 * `known`: the components of `labels` at this connectivity, handed on by the step before
 * (removeTable); else they are labelled here. `inPlace`: the output is written into
 * `labels.data`, which the caller no longer needs.
 */
export function rejectFaintComponents(
  labels: LabelMap,
  volume: Volume | undefined,
  params: FaintComponentsParams,
  _ctx: StageContext = {},
  known?: RunComponents,
  inPlace = false,
): StageResult<LabelMap> {
  return timed(() => {
    if (!volume) throw usageError('NEEDS_VOLUME', 'faint-component rejection needs the HU volume');
    const { threshold_HU: thr, noise_HU: sigma } = params;
    if (!(Number.isFinite(thr) && sigma > 0)) throw usageError('BAD_OPTION', `faint components: threshold ${thr} HU and noise ${sigma} HU must be finite, noise > 0`);
    const medianSigmas = params.medianSigmas ?? FAINT_DEFAULTS.medianSigmas;
    const p95Sigmas = params.p95Sigmas ?? FAINT_DEFAULTS.p95Sigmas;
    const maxSigmas = params.maxSigmas ?? FAINT_DEFAULTS.maxSigmas;
    const connectivity = params.connectivity ?? FAINT_DEFAULTS.connectivity;
    const maxBelow = thr + maxSigmas * sigma;
    const medianBelow = thr + medianSigmas * sigma;
    const p95Below = thr + p95Sigmas * sigma;
    const g = labels.grid;
    const hu = volume.data;
    const src = labels.data;
    const cc = known ?? componentRuns(src, g.dims, connectivity);
    const { runs, comp, count, sizes } = cc;
    // Per component: voxels under the median bound, under the 95th-percentile bound, max HU.
    const underMedian = new Float64Array(count + 1);
    const underP95 = new Float64Array(count + 1);
    const maxHu = new Float64Array(count + 1).fill(-Infinity);
    const nx = g.dims[0];
    const rows = g.dims[1] * g.dims[2];
    for (let r = 0; r < rows; r++) {
      const base = r * nx;
      for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
        const c = comp[t]!;
        for (let v = base + runs.start[t]!; v < base + runs.end[t]!; v++) {
          const x = hu[v]!;
          if (x < medianBelow) underMedian[c]!++;
          if (x < p95Below) underP95[c]!++;
          if (x > maxHu[c]!) maxHu[c] = x;
        }
      }
    }
    const remove = new Uint8Array(count + 1);
    let removedComponents = 0;
    let removedVoxels = 0;
    let largest = 0;
    let largestMax = -Infinity;
    let highestMax = -Infinity;
    for (let c = 1; c <= count; c++) {
      const n = sizes[c]!;
      // median < bound ⇔ more than half below it; p95 < bound ⇔ at least 95 % below it.
      if (underMedian[c]! > n / 2 && underP95[c]! >= 0.95 * n && maxHu[c]! < maxBelow) {
        remove[c] = 1;
        removedComponents++;
        removedVoxels += n;
        if (maxHu[c]! > highestMax) highestMax = maxHu[c]!;
        if (n > largest) {
          largest = n;
          largestMax = maxHu[c]!;
        }
      }
    }
    // in place: the caller (runCleanup) gives up `labels.data`; no 37 M-voxel copy
    const out = inPlace ? src : (src.slice() as typeof src);
    if (removedVoxels > 0) {
      for (let r = 0; r < rows; r++) {
        const base = r * nx;
        for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
          if (remove[comp[t]!]) out.fill(0, base + runs.start[t]!, base + runs.end[t]!);
        }
      }
    }
    let total = 0;
    for (let c = 1; c <= count; c++) total += sizes[c]!;
    const vv = voxelVolume_mm3(g);
    const figures: Record<string, unknown> = {
      componentsFound: count,
      componentsRemoved: removedComponents,
      removedVoxels,
      removed_mm3: round(removedVoxels * vv, 1),
      removedFraction: total > 0 ? round(removedVoxels / total, 4) : 0,
      medianBelow_HU: round(medianBelow, 1),
      p95Below_HU: round(p95Below, 1),
      maxBelow_HU: round(maxBelow, 1),
    };
    if (removedComponents > 0) {
      figures.largestRemoved = { voxels: largest, volume_mm3: round(largest * vv, 1), maxHU: round(largestMax, 1) };
      figures.maxHuRemoved = round(highestMax, 1);
    }
    const notes = [
      `a component is removed when its median is below ${round(medianBelow, 1)} HU, its 95th percentile below ${round(p95Below, 1)} HU and its max below ` +
        `${round(maxBelow, 1)} HU (threshold ${round(thr, 1)} + ${medianSigmas} / ${p95Sigmas} / ${maxSigmas} × soft-tissue noise σ ${round(sigma, 1)} HU): tissue at the threshold plus noise ` +
        '(enhanced blood or organ, an insert), not bone, which has a dense part; components are removed whole, never cut',
    ];
    return {
      output: { ...labels, data: out },
      record: {
        stage: 'segment',
        method: 'faint-components',
        params: { threshold_HU: round(thr, 2), noise_HU: round(sigma, 2), medianSigmas, p95Sigmas, maxSigmas, connectivity },
        figures,
        notes,
      },
    };
  });
}
