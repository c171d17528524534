/**
 * The automatic-threshold method: histogram → threshold (auto-threshold-histogram.ts)
 * → label map of [threshold, hi]. The record carries the histogram (10 HU bins), the
 * peak, the inflection, the threshold and, on fallback, why.
 */
import type { Volume } from '../geometry/types.js';
import type { StageRecord, StageResult } from '../pipeline/record.js';
import { round, timedAsync } from '../pipeline/record.js';
import { registerMethod, segmentRecord, type SegmentationMethod, type SegmentationOutput } from './method.js';
import {
  autoThresholdFromHistogram,
  autoThresholdParamsSchema,
  compactHistogram,
  huHistogram,
  type AutoThresholdParams,
  type AutoThresholdResult,
} from './auto-threshold-histogram.js';
import { labelFigures, thresholdMany } from './threshold.js';
import { LOW_BONE_THRESHOLD_NOTE } from './presets.js';

export * from './auto-threshold-histogram.js';

/** Computes the automatic threshold of a volume and its record (no label map). */
export function findAutoThreshold(volume: Volume, params: Partial<AutoThresholdParams> = {}): { result: AutoThresholdResult; record: StageRecord } {
  const t0 = performance.now();
  const P = autoThresholdParamsSchema.parse(params);
  const h = huHistogram(volume.data, P.histStart_HU, P.histEnd_HU, P.binWidth_HU);
  const { smoothed: _smoothed, ...result } = autoThresholdFromHistogram(h, P);
  const record = segmentRecord('auto-threshold', { ...P, formula: 'peak + k × (inflection − peak)' });
  record.figures = {
    ...result,
    voxelsInHistogram: h.total,
    voxelsOutOfHistogramRange: h.outOfRange,
    histogram: compactHistogram(h, 10),
  };
  if (result.fallback) {
    record.findings = [
      {
        code: 'AUTO_THRESHOLD_FALLBACK',
        severity: 'warn',
        message: `automatic threshold fell back to ${P.fallback_HU} HU: ${result.reason}`,
      },
    ];
    record.notes = [LOW_BONE_THRESHOLD_NOTE];
  }
  record.wall_ms = round(performance.now() - t0, 1);
  return { result, record };
}

export const autoThresholdMethod: SegmentationMethod<AutoThresholdParams> = {
  name: 'auto-threshold',
  description: 'threshold at soft-tissue peak + 3 × (inflection − peak) of the HU histogram',
  paramsSchema: autoThresholdParamsSchema,
  run(volume, params, ctx) {
    return timedAsync(async (): Promise<StageResult<SegmentationOutput>> => {
      const { result, record } = findAutoThreshold(volume, params);
      const [labels] = await thresholdMany(volume, [[result.threshold_HU, params.hi_HU]], ctx);
      Object.assign(record.figures, labelFigures(labels!));
      return { output: { labels: labels! }, record };
    });
  },
};

registerMethod(autoThresholdMethod);
