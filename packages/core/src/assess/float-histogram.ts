/**
 * The float counterpart of value-counts.ts, for the assessment's histogram: a float volume (a
 * resampled series: gantry tilt, uneven slices) has no per-value counts, so the assessment read
 * the whole volume again on the calling thread while the workers waited (284 ms on
 * ct/ge-head-tilt-variable-spacing's 42 M voxels). Its histogram is now made on the pool at
 * import, in runs of voxels, and kept with the array. The runs are joined exactly: counts are
 * sums of whole numbers, and minima and maxima are taken with the pass's own comparisons, which
 * keep the first of equal values (the earlier run's), as one pass does.
 *
 * Only the assessment's histogram: the automatic threshold's histogram and the metal flag's row
 * maxima were measured in the same summary and not kept. The pool then held the import ~0.3 s
 * longer, and the table's body (segment/table-body.ts), which starts on the pool when the
 * segmentation does, lost the head start those two passes give it on this thread: the default
 * convert of that series was no faster (3 alternating pairs: 8.00/7.71/7.69 s without the
 * summary, 7.95/7.70/7.83 s with all three), where the histogram alone gave 7.77/7.68/7.78 s
 * against 7.97/7.91/7.78 s.
 */
import { slabRanges, type WorkerPool } from '../parallel/pool.js';
import { HIST_BIN_HU, HIST_MAX_HU, HIST_MIN_HU, METAL_HU, NOT_HU_AIR_HU } from './thresholds.js';
import { summaryPool } from './value-counts.js';

export interface HistogramStats {
  min: number;
  max: number;
  /** Counts per HIST_BIN_HU bin from HIST_MIN_HU (values outside are not binned). */
  bins: Float64Array;
  inRange: number;
  total: number;
  belowAir: number;
  metal: number;
  metalMax: number;
}

/** The assessment's histogram of data[p0, p1), one pass (content.ts histogramStats for float volumes). */
export function floatHistogramStats(data: Float32Array, p0 = 0, p1 = data.length): HistogramStats {
  const nb = Math.ceil((HIST_MAX_HU - HIST_MIN_HU) / HIST_BIN_HU);
  const bins = new Float64Array(nb);
  const inv = 1 / HIST_BIN_HU;
  let min = Infinity, max = -Infinity, inRange = 0, belowAir = 0, metal = 0, metalMax = -Infinity;
  for (let p = p0; p < p1; p++) {
    const v = data[p]!;
    if (v < min) min = v;
    if (v > max) max = v;
    if (v < NOT_HU_AIR_HU) belowAir++;
    else if (v >= METAL_HU) { metal++; if (v > metalMax) metalMax = v; }
    const b = Math.floor((v - HIST_MIN_HU) * inv);
    if (b >= 0 && b < nb) { bins[b]!++; inRange++; }
  }
  return { min, max, bins, inRange, total: p1 - p0, belowAir, metal, metalMax };
}

/** Histograms of consecutive runs of voxels, joined in order: what one pass over them all gives. */
export function joinHistograms(parts: HistogramStats[]): HistogramStats {
  const first = parts[0]!;
  const out: HistogramStats = { ...first, bins: Float64Array.from(first.bins) };
  for (const s of parts.slice(1)) {
    if (s.min < out.min) out.min = s.min;
    if (s.max > out.max) out.max = s.max;
    if (s.metalMax > out.metalMax) out.metalMax = s.metalMax;
    out.inRange += s.inRange;
    out.total += s.total;
    out.belowAir += s.belowAir;
    out.metal += s.metal;
    for (let b = 0; b < out.bins.length; b++) out.bins[b]! += s.bins[b]!;
  }
  return out;
}

export const FLOAT_HISTOGRAM_TASK = 'assess.float-histogram';

export interface FloatHistogramPayload {
  data: Float32Array;
  /** Voxels [p0, p1). */
  p0: number;
  p1: number;
}

/** Kernel: the histogram of one run of voxels. */
export function floatHistogramRun(p: FloatHistogramPayload): HistogramStats {
  return floatHistogramStats(p.data, p.p0, p.p1);
}

const kept = new WeakMap<Float32Array, HistogramStats>();

/** The histogram kept for `data` (made by keepFloatHistogramOnPool), or undefined. Read only. */
export function keptFloatHistogram(data: Float32Array): HistogramStats | undefined {
  return kept.get(data);
}

/**
 * Makes and keeps the assessment's histogram of a float volume on `pool`, in runs of voxels,
 * where value-counts.ts's summaryPool allows (the rule of the integer summary); otherwise does nothing (the assessment then makes its pass on its thread). The import
 * calls it beside the outlier-slice count, as keepInt16SummaryOnPool for integer volumes.
 * Stages never write into a volume they are given, which keeps it right for its array.
 */
export async function keepFloatHistogramOnPool(data: Int16Array | Float32Array, pool: WorkerPool | undefined): Promise<void> {
  if (!(data instanceof Float32Array) || kept.has(data)) return;
  pool = summaryPool(data, pool);
  if (!pool) return;
  const runs = slabRanges(data.length, 2 * pool.size);
  const parts = await Promise.all(runs.map(([p0, p1]) => pool.run<HistogramStats>(FLOAT_HISTOGRAM_TASK, { data, p0, p1 } satisfies FloatHistogramPayload)));
  if (!kept.has(data)) kept.set(data, joinHistograms(parts));
}
