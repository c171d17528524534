/**
 * The segment stage as the CLI, server and browser run it:
 *   preprocess (crop → isotropic resample → median → Gaussian → window)
 *   → method (threshold range(s), auto threshold, soft threshold, region growing, or any
 *     registered SegmentationMethod)
 *   → clean-up per label map (segment/pipeline-cleanup.ts)
 * Every step appends its StageRecord; the records are the whole account of what was done.
 * Several threshold ranges give one label map each (computed together on the pool) and
 * each goes through the same clean-up.
 */
import type { LabelMap, Volume } from '../geometry/types.js';
import type { Grid, Vec3 } from '../geometry/grid.js';
import { cloneGrid, indexToPhysical } from '../geometry/grid.js';
import type { StageContext, StageRecord } from '../pipeline/record.js';
import { timedAsync } from '../pipeline/record.js';
import { usageError } from '../errors.js';
import { getMethod, runMethod, segmentRecord } from './method.js';
import { labelFigures, rangeName, thresholdMany, thresholdMethod, type HuRange } from './threshold.js';
import { findAutoThreshold, type AutoThresholdParams } from './auto-threshold.js';
import { softThresholdMethod } from './soft-threshold.js';
import './method-region-grow.js'; // registers the region-grow method
import { CT_MAX_HU, getPreset } from './presets.js';
import { cropBounds, cropVolume, pasteLabels, pasteVolume, type CropBox } from './filters/crop.js';
import { resampleIsotropic } from './filters/resample.js';
import { medianFilter } from './filters/median.js';
import { gaussianFilter } from './filters/gaussian.js';
import { windowVolume, type WindowMode } from './filters/window.js';
import { runCleanup, type CleanupOptions } from './pipeline-cleanup.js';
import { tableBodyOnPool } from './table.js';
import { forestEvidenceOf } from './forest/evidence.js';
import type { ForestEvidence } from '../anatomy/identify-types.js';

export interface PreprocessOptions {
  crop?: CropBox;
  /** Isotropic spacing in mm, or 'auto' for the finest axis. */
  isotropic_mm?: number | 'auto';
  /** Median radius in voxels. */
  median_radius?: number;
  /** Gaussian sigma in mm (one value or per axis). */
  gaussian_mm?: number | Vec3;
  window?: { lo_HU: number; hi_HU: number; mode?: WindowMode };
}

export type MethodOptions =
  /** One or more inclusive HU ranges; a preset fills a single range. */
  | { method: 'threshold'; ranges?: HuRange[]; preset?: string }
  | { method: 'auto-threshold'; params?: Partial<AutoThresholdParams> }
  /** Any registered SegmentationMethod by name (region growing, classifiers, …). */
  | { method: string; params?: unknown };

export interface SegmentationOptions {
  preprocess?: PreprocessOptions;
  method: MethodOptions;
  /** Soft (logistic) threshold of this width, centred on the (single) lower threshold. */
  soft?: { width_HU: number };
  cleanup?: CleanupOptions;
  /** After a crop without resampling, put the labels back on the input grid (default true). */
  restoreGrid?: boolean;
}

export interface SegmentationResult {
  output: {
    /** One label map per threshold range (one for every other method). */
    labels: LabelMap[];
    /** The HU range of each label map, where the method is a threshold. */
    ranges?: HuRange[];
    probability?: Volume;
    /** The forest's own group and confidence per voxel (methods forest, threshold-forest), for identification. */
    forest?: ForestEvidence;
    /** The grid the labels are on (the input grid unless resampled). */
    grid: Grid;
  };
  records: StageRecord[];
}

export async function preprocess(volume: Volume, opts: PreprocessOptions, ctx: StageContext, records: StageRecord[]): Promise<{ volume: Volume; cropLo?: Vec3 }> {
  let v = volume;
  let cropLo: Vec3 | undefined;
  const push = <T>(r: { output: T; record: StageRecord }): T => {
    records.push(r.record);
    return r.output;
  };
  if (opts.crop) {
    cropLo = cropBounds(v.grid, opts.crop).lo;
    v = push(cropVolume(v, opts.crop));
  }
  if (opts.isotropic_mm !== undefined) v = push(await resampleIsotropic(v, opts.isotropic_mm, ctx));
  if (opts.median_radius) v = push(await medianFilter(v, opts.median_radius, ctx));
  if (opts.gaussian_mm !== undefined) v = push(await gaussianFilter(v, opts.gaussian_mm, ctx));
  if (opts.window) v = push(windowVolume(v, opts.window.lo_HU, opts.window.hi_HU, opts.window.mode));
  return { volume: v, ...(cropLo ? { cropLo } : {}) };
}

/** Ranges of a threshold option (preset or explicit), validated. */
export function thresholdRanges(m: { ranges?: HuRange[]; preset?: string }): HuRange[] {
  if (m.preset !== undefined) {
    if (m.ranges?.length) throw usageError('PRESET_AND_THRESHOLD', 'give either a preset or threshold ranges, not both');
    const p = getPreset(m.preset);
    return [[p.lo_HU, p.hi_HU]];
  }
  if (!m.ranges?.length) throw usageError('NO_THRESHOLD', 'threshold method needs at least one HU range or a preset');
  return m.ranges;
}

export async function runSegmentation(input: Volume, options: SegmentationOptions, ctx: StageContext = {}): Promise<SegmentationResult> {
  const records: StageRecord[] = [];
  const pre = await preprocess(input, options.preprocess ?? {}, ctx, records);
  const volume = pre.volume;
  ctx.progress?.(0.3, 'segment');

  // The body of table removal depends on the HU only: on the pool it is computed while the
  // method runs and the clean-up labels the bone, once for every label map.
  const removeTable = options.cleanup?.removeTable;
  const tableBody = removeTable ? tableBodyOnPool(volume, removeTable === true ? {} : removeTable, ctx) : undefined;

  let labels: LabelMap[];
  let ranges: HuRange[] | undefined;
  let cleanup = options.cleanup;
  let probability: Volume | undefined;
  let forest: ForestEvidence | undefined;
  // Label maps of a plain threshold are referenced by nothing else here, so the clean-up may
  // write into them (runCleanup's givenUp); a method's output may be shared (forest evidence).
  let ownLabels = false;
  const m = options.method;

  if (m.method === 'threshold' || m.method === 'auto-threshold') {
    if (m.method === 'threshold') {
      ranges = thresholdRanges(m as { ranges?: HuRange[]; preset?: string });
    } else {
      const found = findAutoThreshold(volume, (m as { params?: Partial<AutoThresholdParams> }).params ?? {});
      records.push(found.record);
      cleanup = withFaintParams(cleanup, found.record.figures);
      ranges = [[found.result.threshold_HU, (found.record.params.hi_HU as number | undefined) ?? CT_MAX_HU]];
    }
    if (options.soft) {
      if (ranges.length !== 1) throw usageError('SOFT_MANY', 'a soft threshold needs a single threshold, not several');
      const r = await runMethod(softThresholdMethod, volume, { centre_HU: ranges[0]![0], width_HU: options.soft.width_HU }, ctx);
      records.push(r.record);
      labels = [r.output.labels];
      probability = r.output.probability;
    } else if (ranges.length === 1) {
      const [lo, hi] = ranges[0]!;
      const preset = (m as { preset?: string }).preset;
      const r = await runMethod(thresholdMethod, volume, { lo_HU: lo, hi_HU: hi, ...(preset !== undefined ? { preset } : {}) }, ctx);
      if (m.method === 'auto-threshold') {
        // The range came from the histogram, not a fixed low value: no outward-bias note.
        r.record.params.from = 'auto-threshold';
        delete r.record.notes;
      }
      records.push(r.record);
      labels = [r.output.labels];
      ownLabels = true;
    } else {
      const rs = ranges;
      const r = await timedAsync(async () => {
        const out = await thresholdMany(volume, rs, ctx);
        const record = segmentRecord(rs.length > 1 ? 'multi-threshold' : 'threshold', { ranges_HU: rs, inclusive: true });
        record.figures = { perRange: out.map((l, i) => ({ range: rangeName(rs[i]!), ...labelFigures(l) })) };
        return { output: out, record };
      });
      records.push(r.record);
      labels = r.output;
      ownLabels = true;
    }
  } else {
    if (options.soft) throw usageError('SOFT_METHOD', `--soft works with a threshold, not with method "${m.method}"`);
    let params = (m as { params?: unknown }).params;
    // A seed voxel index refers to the input grid; after a crop or resampling it is
    // passed on as the same physical point.
    const p = params as { seed_ijk?: Vec3 } | undefined;
    if (m.method === 'region-grow' && p?.seed_ijk && volume !== input) {
      const { seed_ijk, ...rest } = p;
      params = { ...rest, seed_mm: indexToPhysical(input.grid, seed_ijk[0], seed_ijk[1], seed_ijk[2]) };
    }
    const r = await runMethod(getMethod(m.method), volume, params, ctx);
    records.push(r.record);
    labels = [r.output.labels];
    probability = r.output.probability;
    forest = forestEvidenceOf(r.output);
  }
  ctx.progress?.(0.6, 'clean-up');

  if (cleanup) {
    const cleaned: LabelMap[] = [];
    for (let i = 0; i < labels.length; i++) {
      const tag = ranges && ranges.length > 1 ? rangeName(ranges[i]!) : undefined;
      const r = await runCleanup(labels[i]!, volume, cleanup, ctx, ownLabels, tableBody);
      for (const rec of r.records) records.push(tag ? { ...rec, params: { ...rec.params, labelMap: tag } } : rec);
      cleaned.push(r.output);
    }
    labels = cleaned;
    if (probability) records.push(reconcileProbability(probability, labels[0]!));
  }

  // A crop without resampling goes back onto the input grid, so outputs align with the source.
  let grid = cloneGrid(volume.grid);
  if (pre.cropLo && options.restoreGrid !== false && options.preprocess?.isotropic_mm === undefined) {
    const lo = pre.cropLo;
    labels = labels.map((l) => pasteLabels(l, cloneGrid(input.grid), lo));
    if (probability) probability = pasteVolume(probability, cloneGrid(input.grid), lo, 0);
    if (forest?.confidence) forest = { ...forest, labels: pasteLabels(forest.labels, cloneGrid(input.grid), lo), confidence: pasteLabels({ grid: forest.labels.grid, data: forest.confidence }, cloneGrid(input.grid), lo).data as Uint8Array };
    grid = cloneGrid(input.grid);
  }
  ctx.progress?.(1, 'done');
  return { output: { labels, grid, ...(ranges ? { ranges } : {}), ...(probability ? { probability } : {}), ...(forest ? { forest } : {}) }, records };
}

/**
 * `rejectFaint: true` becomes the automatic threshold's level and soft-tissue noise σ
 * (its halfWidth_HU: peak to inflection, the σ of a Gaussian peak); where the histogram
 * gave no peak (fallback), the noise is unknown and the step is left out.
 */
function withFaintParams(cleanup: CleanupOptions | undefined, figures: Record<string, unknown> | undefined): CleanupOptions | undefined {
  if (cleanup?.rejectFaint !== true) return cleanup;
  const thr = figures?.threshold_HU;
  const sigma = figures?.halfWidth_HU;
  const { rejectFaint: _asked, ...rest } = cleanup;
  if (figures?.fallback === true || typeof thr !== 'number' || typeof sigma !== 'number' || !(sigma > 0)) return rest;
  return { ...rest, rejectFaint: { threshold_HU: thr, noise_HU: sigma } };
}

/**
 * After clean-up the labels and the soft-threshold field can disagree (a removed table
 * still has p ≥ 0.5, a filled cavity p < 0.5). The surface stage follows p, so p is set
 * to 0 where clean-up removed a voxel and to 1 where it added one: the 0.5 isosurface
 * then bounds exactly the cleaned label map, sub-voxel where clean-up left it alone.
 */
export function reconcileProbability(probability: Volume, labels: LabelMap): StageRecord {
  const p = probability.data;
  const l = labels.data;
  let cleared = 0;
  let set = 0;
  for (let v = 0; v < p.length; v++) {
    const on = l[v] !== 0;
    if (!on && p[v]! >= 0.5) {
      p[v] = 0;
      cleared++;
    } else if (on && p[v]! < 0.5) {
      p[v] = 1;
      set++;
    }
  }
  return { stage: 'segment', method: 'probability-reconcile', params: { rule: 'p := 0 where clean-up removed a voxel, 1 where it added one' }, figures: { voxelsCleared: cleared, voxelsSet: set } };
}
