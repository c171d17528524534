/**
 * Region growing as a segmentation method: from an empty label map, grow from a seed
 * (LPS mm or voxel index) within an HU range, with the leak guard of region-grow.ts.
 */
import { z } from 'zod';
import { cloneGrid, voxelCount } from '../geometry/grid.js';
import type { StageResult } from '../pipeline/record.js';
import { timedAsync } from '../pipeline/record.js';
import { registerMethod, type SegmentationMethod, type SegmentationOutput } from './method.js';
import { regionGrow } from './region-grow.js';
import { labelFigures } from './threshold.js';

const vec3 = z.tuple([z.number(), z.number(), z.number()]);

export const regionGrowParamsSchema = z
  .object({
    seed_mm: vec3.optional(),
    seed_ijk: vec3.optional(),
    range_HU: z.tuple([z.number(), z.number()]),
    maxVolume_mm3: z.number().positive().optional(),
    bridgeRadius_mm: z.number().nonnegative().optional(),
  })
  .refine((p) => (p.seed_mm === undefined) !== (p.seed_ijk === undefined), { message: 'give exactly one of seed_mm or seed_ijk' });

export type RegionGrowMethodParams = z.output<typeof regionGrowParamsSchema>;

export const regionGrowMethod: SegmentationMethod<RegionGrowMethodParams> = {
  name: 'region-grow',
  description: 'grow from a seed within an HU range (leak guard: stops past a maximum volume)',
  paramsSchema: regionGrowParamsSchema,
  run(volume, params, ctx) {
    return timedAsync(async (): Promise<StageResult<SegmentationOutput>> => {
      const empty = { grid: cloneGrid(volume.grid), data: new Uint8Array(voxelCount(volume.grid)) };
      const seed = params.seed_mm !== undefined ? { mm: params.seed_mm } : { voxel: params.seed_ijk! };
      const r = regionGrow(
        empty,
        volume,
        {
          seed,
          range_HU: params.range_HU,
          ...(params.maxVolume_mm3 !== undefined ? { maxVolume_mm3: params.maxVolume_mm3 } : {}),
          ...(params.bridgeRadius_mm !== undefined ? { bridgeRadius_mm: params.bridgeRadius_mm } : {}),
        },
        ctx,
      );
      r.record.figures = { ...r.record.figures, ...labelFigures(r.output) };
      return { output: { labels: r.output }, record: r.record };
    });
  },
};

registerMethod(regionGrowMethod);
