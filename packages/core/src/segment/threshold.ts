/**
 * Fixed HU threshold: label 1 where lo ≤ HU ≤ hi (inclusive, NaN never selected).
 * Several ranges at once run as independent slab tasks on the pool, all in flight
 * together; each range gets its own label map, identical to the sequential result.
 */
import { z } from 'zod';
import type { LabelMap, Volume } from '../geometry/types.js';
import { cloneGrid, voxelCount, voxelVolume_mm3 } from '../geometry/grid.js';
import type { StageContext, StageResult } from '../pipeline/record.js';
import { round, timedAsync } from '../pipeline/record.js';
import { usageError } from '../errors.js';
import { registerMethod, segmentRecord, type SegmentationMethod, type SegmentationOutput } from './method.js';
import { CT_MAX_HU, getPreset, LOW_BONE_THRESHOLD_NOTE } from './presets.js';
import { wordsOf } from './components-runs.js';
import { allocLike, isShared, poolFor, runSlabs, toShared, type NumArray } from './filters/slabs.js';

import { THRESHOLD_TASK, thresholdSlab, type ThresholdSlabPayload } from './threshold-kernel.js';

export { THRESHOLD_TASK, thresholdSlab, type ThresholdSlabPayload };

export type HuRange = [lo_HU: number, hi_HU: number];

function checkRange(r: HuRange): void {
  if (!Number.isFinite(r[0]) || !Number.isFinite(r[1]) || r[0] > r[1]) {
    throw usageError('BAD_THRESHOLD', `threshold range [${r[0]}, ${r[1]}] HU is not a range (need finite lo ≤ hi)`);
  }
}

/** Count of non-zero voxels. */
export function countLabelled(data: NumArray): number {
  let n = 0;
  const w32 = data instanceof Uint8Array ? wordsOf(data) : undefined;
  if (w32) {
    // four voxels to a word: a mask is mostly air (zero words)
    for (let t = 0; t < w32.length; t++) {
      const w = w32[t]!;
      if (w !== 0) n += ((w & 0xff) !== 0 ? 1 : 0) + ((w & 0xff00) !== 0 ? 1 : 0) + ((w & 0xff0000) !== 0 ? 1 : 0) + (w >>> 24 !== 0 ? 1 : 0);
    }
    for (let i = w32.length * 4; i < data.length; i++) if (data[i] !== 0) n++;
    return n;
  }
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) n++;
  return n;
}

/**
 * One label map per range, computed together on the pool (all slabs of all ranges in
 * flight at once). Without a pool (or for small volumes) runs inline; results are
 * byte-identical either way.
 */
export async function thresholdMany(volume: Volume, ranges: HuRange[], ctx: StageContext = {}): Promise<LabelMap[]> {
  ranges.forEach(checkRange);
  const n = voxelCount(volume.grid);
  // One range is a single memory-bound pass (~0.1 s for 37 M voxels): not worth copying
  // the volume to shared memory, but where it is shared already (DICOM assembly puts it
  // there) the slabs run on the pool and the label map comes out shared, so the steps after
  // (clean-up on the pool, the isosurface's slabs) need no copy of it either.
  const pool = ranges.length > 1 || isShared(volume.data) ? poolFor(ctx, n) : undefined;
  const src = pool ? toShared(volume.data) : volume.data;
  const outs = ranges.map(() => allocLike(Uint8Array, n, pool !== undefined));
  await Promise.all(
    ranges.map(([lo, hi], r) =>
      runSlabs<ThresholdSlabPayload>(pool, THRESHOLD_TASK, thresholdSlab, n, (start, end) => ({ src, out: outs[r]!, lo, hi, start, end })),
    ),
  );
  return outs.map((data, r) => ({ grid: cloneGrid(volume.grid), data, labels: { 1: rangeName(ranges[r]!) } }));
}

/** Sequential single-range threshold (the reference for determinism tests). */
export function thresholdVolume(volume: Volume, lo: number, hi: number): LabelMap {
  checkRange([lo, hi]);
  const n = voxelCount(volume.grid);
  const out = new Uint8Array(n);
  thresholdSlab({ src: volume.data, out, lo, hi, start: 0, end: n });
  return { grid: cloneGrid(volume.grid), data: out, labels: { 1: rangeName([lo, hi]) } };
}

export function rangeName(r: HuRange): string {
  return `HU ${r[0]}..${r[1]}`;
}

/** Figures every threshold-like record carries. */
export function labelFigures(labels: LabelMap): Record<string, number> {
  const n = labels.data.length;
  const sel = countLabelled(labels.data);
  return {
    voxels_selected: sel,
    voxels_total: n,
    fraction_selected: round(sel / Math.max(1, n), 6),
    volume_mm3: round(sel * voxelVolume_mm3(labels.grid), 1),
  };
}

/** True where a fixed range is a low bone threshold (record gets the outward-bias note). */
export function isLowBoneThreshold(lo: number, hi: number): boolean {
  return lo <= 300 && lo >= 100 && hi >= 1500;
}

export const thresholdParamsSchema = z
  .object({
    /** A named preset (see presets.ts); its range is used where lo/hi are not given. */
    preset: z.string().optional(),
    lo_HU: z.number().optional(),
    hi_HU: z.number().optional(),
  })
  .transform((p, ctx) => {
    const pre = p.preset !== undefined ? safePreset(p.preset) : undefined;
    if (p.preset !== undefined && !pre) {
      ctx.addIssue({ code: 'custom', message: `unknown preset "${p.preset}"` });
      return z.NEVER;
    }
    const lo = p.lo_HU ?? pre?.lo_HU;
    if (lo === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give lo_HU or a preset' });
      return z.NEVER;
    }
    const hi = p.hi_HU ?? pre?.hi_HU ?? CT_MAX_HU;
    return { preset: pre?.name, presetSource: pre?.source, lo_HU: lo, hi_HU: hi };
  });

function safePreset(name: string) {
  try {
    return getPreset(name);
  } catch {
    return undefined;
  }
}

export type ThresholdParams = z.output<typeof thresholdParamsSchema>;

export const thresholdMethod: SegmentationMethod<ThresholdParams> = {
  name: 'threshold',
  description: 'fixed HU range [lo, hi] (inclusive), or a named preset',
  paramsSchema: thresholdParamsSchema,
  run(volume, params, ctx) {
    return timedAsync(async (): Promise<StageResult<SegmentationOutput>> => {
      const [labels] = await thresholdMany(volume, [[params.lo_HU, params.hi_HU]], ctx);
      const record = segmentRecord('threshold', { ...params });
      record.figures = labelFigures(labels!);
      if (isLowBoneThreshold(params.lo_HU, params.hi_HU)) record.notes = [LOW_BONE_THRESHOLD_NOTE];
      return { output: { labels: labels! }, record };
    });
  },
};

registerMethod(thresholdMethod);
