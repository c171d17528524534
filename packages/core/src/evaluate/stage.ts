/**
 * The evaluation stage: reference label map + segmentation label map → metrics and
 * a record. Labels are chosen per side ("25-50,69-78" or a list; default: every
 * non-zero label). When the grids differ, the reference is resampled onto the
 * segmentation grid (nearest neighbour in physical space) and the record says so.
 */
import { sameGrid } from '../geometry/grid.js';
import type { LabelMap } from '../geometry/types.js';
import { round, timed, timedAsync, type StageContext, type StageRecord, type StageResult } from '../pipeline/record.js';
import { parseLabelRanges, resampleLabelsNearest, selectLabels } from './labels.js';
import { compareMasks, compareMasksParallel, METRIC_DEFINITIONS, type MetricDetails, type SegmentationMetrics } from './metrics.js';

export interface EvaluateParams {
  /** Reference labels as a list or a range string like "25-50,69-78,91-116"; default all non-zero. */
  refLabels?: number[] | string;
  /** Segmentation labels, same forms; default all non-zero. */
  segLabels?: number[] | string;
}

function labelList(v: number[] | string | undefined, option: string): number[] | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? parseLabelRanges(v, option) : [...v].sort((a, b) => a - b);
}

function compact(labels: number[] | undefined): string {
  if (!labels) return 'all non-zero';
  const out: string[] = [];
  for (let a = 0; a < labels.length; ) {
    let b = a;
    while (b + 1 < labels.length && labels[b + 1] === labels[b]! + 1) b++;
    out.push(a === b ? `${labels[a]}` : `${labels[a]}-${labels[b]}`);
    a = b + 1;
  }
  return out.join(',');
}

function prepareMasks(ref: LabelMap, seg: LabelMap, params: EvaluateParams) {
  const refLabels = labelList(params.refLabels, '--ref-labels');
  const segLabels = labelList(params.segLabels, '--seg-labels');
  const resampled = !sameGrid(ref.grid, seg.grid);
  const refOnSeg = resampled ? resampleLabelsNearest(ref, seg.grid) : ref;
  return { refLabels, segLabels, resampled, refMask: selectLabels(refOnSeg, refLabels), segMask: selectLabels(seg, segLabels) };
}

function makeRecord(p: ReturnType<typeof prepareMasks>, seg: LabelMap, ref: LabelMap, r: { metrics: SegmentationMetrics; details: MetricDetails }, parallel: boolean): StageRecord {
  const rounded = (x: number | null) => (x === null ? null : round(x, 4));
  const figures: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.metrics)) figures[k] = rounded(v);
  for (const [k, v] of Object.entries(r.details)) figures[k] = typeof v === 'number' ? round(v, 4) : v;
  figures.grid_dims = [...seg.grid.dims];
  figures.grid_spacing_mm = [...seg.grid.spacing_mm];
  figures.edt_on_worker_pool = parallel;
  const record: StageRecord = {
    stage: 'evaluate',
    method: 'overlap+surface-distance (exact EDT)',
    params: { refLabels: compact(p.refLabels), segLabels: compact(p.segLabels), hausdorff95: 'max of directed 95th percentiles', surface: 'boundary voxels, 6-connectivity' },
    figures,
    notes: [...METRIC_DEFINITIONS],
  };
  if (p.resampled) {
    record.corrections = [
      `reference (${ref.grid.dims.join('×')} at ${ref.grid.spacing_mm.map((s) => round(s, 4)).join('×')} mm) resampled onto the segmentation grid (${seg.grid.dims.join('×')} at ${seg.grid.spacing_mm.map((s) => round(s, 4)).join('×')} mm), nearest neighbour in physical space`,
    ];
  }
  const findings = [];
  if (r.details.ref_voxels === 0) findings.push({ code: 'EVAL_EMPTY_REF', severity: 'warn' as const, message: `the reference mask (labels ${compact(p.refLabels)}) is empty${p.resampled ? ' on the segmentation grid' : ''}` });
  if (r.details.seg_voxels === 0) findings.push({ code: 'EVAL_EMPTY_SEG', severity: 'warn' as const, message: `the segmentation mask (labels ${compact(p.segLabels)}) is empty` });
  if (findings.length) record.findings = findings;
  return record;
}

/** Evaluates `seg` against the reference `ref` (single thread). */
export function evaluateSegmentation(ref: LabelMap, seg: LabelMap, params: EvaluateParams = {}): StageResult<SegmentationMetrics> {
  return timed(() => {
    const p = prepareMasks(ref, seg, params);
    const r = compareMasks(p.refMask, p.segMask, seg.grid);
    return { output: r.metrics, record: makeRecord(p, seg, ref, r, false) };
  });
}

/** evaluateSegmentation with the distance transforms on ctx.pool when there is one (same numbers). */
export async function evaluateSegmentationAsync(ref: LabelMap, seg: LabelMap, params: EvaluateParams = {}, ctx: StageContext = {}): Promise<StageResult<SegmentationMetrics>> {
  return timedAsync(async () => {
    const p = prepareMasks(ref, seg, params);
    const pool = ctx.pool && ctx.pool.size > 1 ? ctx.pool : undefined;
    const r = pool ? await compareMasksParallel(p.refMask, p.segMask, seg.grid, pool) : compareMasks(p.refMask, p.segMask, seg.grid);
    return { output: r.metrics, record: makeRecord(p, seg, ref, r, pool !== undefined) };
  });
}
