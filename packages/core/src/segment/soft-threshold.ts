/**
 * Soft (logistic) threshold: p = 1 / (1 + exp(−(HU − centre) / width)), a Float32
 * field on the volume's grid. Labels are p ≥ 0.5, computed exactly as HU ≥ centre (no
 * rounding at the boundary). Since p is monotone in HU, the 0.5 isosurface of p is the
 * HU isosurface at the centre: the surface stage can place vertices sub-voxel from p.
 * One-sided: the upper end of the range is not modelled (bone has no useful upper edge).
 */
import { z } from 'zod';
import type { Volume } from '../geometry/types.js';
import { cloneGrid, voxelCount } from '../geometry/grid.js';
import type { StageContext, StageResult } from '../pipeline/record.js';
import { round, timedAsync } from '../pipeline/record.js';
import { registerMethod, segmentRecord, type SegmentationMethod, type SegmentationOutput } from './method.js';
import { allocLike, poolFor, runSlabs, toShared } from './filters/slabs.js';
import { labelFigures } from './threshold.js';

import { SOFT_THRESHOLD_TASK, softThresholdSlab, type SoftThresholdSlabPayload } from './soft-threshold-kernel.js';

export { SOFT_THRESHOLD_TASK, softThresholdSlab, type SoftThresholdSlabPayload };

export const softThresholdParamsSchema = z.object({
  centre_HU: z.number(),
  width_HU: z.number().positive(),
});
export type SoftThresholdParams = z.output<typeof softThresholdParamsSchema>;

/** Probability field and labels (p ≥ 0.5) of a logistic threshold. */
export async function softThreshold(volume: Volume, centre_HU: number, width_HU: number, ctx: StageContext = {}): Promise<SegmentationOutput> {
  const n = voxelCount(volume.grid);
  const pool = poolFor(ctx, n);
  const src = pool ? toShared(volume.data) : volume.data;
  const prob = allocLike(Float32Array, n, pool !== undefined);
  const labels = allocLike(Uint8Array, n, pool !== undefined);
  await runSlabs<SoftThresholdSlabPayload>(pool, SOFT_THRESHOLD_TASK, softThresholdSlab, n, (start, end) => ({
    src,
    prob,
    labels,
    centre: centre_HU,
    width: width_HU,
    start,
    end,
  }));
  return {
    labels: { grid: cloneGrid(volume.grid), data: labels, labels: { 1: `P(HU > ${centre_HU}) ≥ 0.5` } },
    probability: { grid: cloneGrid(volume.grid), data: prob },
  };
}

export const softThresholdMethod: SegmentationMethod<SoftThresholdParams> = {
  name: 'soft-threshold',
  description: 'logistic probability 1/(1+exp(−(HU−centre)/width)); labels where p ≥ 0.5',
  paramsSchema: softThresholdParamsSchema,
  run(volume, params, ctx) {
    return timedAsync(async (): Promise<StageResult<SegmentationOutput>> => {
      const output = await softThreshold(volume, params.centre_HU, params.width_HU, ctx);
      const record = segmentRecord('soft-threshold', { ...params, formula: 'p = 1/(1+exp(-(HU-centre)/width)), label = p >= 0.5' });
      // Voxels in the uncertain band (0.1 < p < 0.9) show how much sub-voxel detail p carries.
      let band = 0;
      const p = output.probability!.data;
      for (let v = 0; v < p.length; v++) if (p[v]! > 0.1 && p[v]! < 0.9) band++;
      record.figures = { ...labelFigures(output.labels), voxels_uncertain_p0_1to0_9: band, fraction_uncertain: round(band / Math.max(1, p.length), 6) };
      return { output, record };
    });
  },
};

registerMethod(softThresholdMethod);
