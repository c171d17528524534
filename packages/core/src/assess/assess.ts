/**
 * The assess stage (SPEC §1 step 3): findings about the imported volume's values.
 * Header and geometry findings (tilt, spacing, duplicates, thickness …) are made by the
 * import stage (see series-findings.ts) and are in its record; the two lists together
 * are the input assessment.
 */
import type { Volume } from '../geometry/types.js';
import { round, timed, type StageContext, type StageResult } from '../pipeline/record.js';
import { contentFindings, type ContentAssessment } from './content.js';
import * as T from './thresholds.js';

export interface AssessInput {
  volume: Volume;
  /** DICOM Modality of the series (NOT_CT when it is not CT). */
  modality?: string;
}

export function assessVolume(input: AssessInput, _params: Record<string, never> = {}, _ctx: StageContext = {}): StageResult<ContentAssessment> {
  return timed(() => {
    const a = contentFindings(input.volume, input.modality);
    return {
      output: a,
      record: {
        stage: 'assess',
        method: 'hu-histogram-and-borders',
        params: {
          histogram_HU: [T.HIST_MIN_HU, T.HIST_MAX_HU, T.HIST_BIN_HU],
          airWindow_HU: T.AIR_WINDOW_HU,
          fatWindow_HU: T.FAT_WINDOW_HU,
          softTissueWindow_HU: T.SOFT_TISSUE_WINDOW_HU,
          peakMinFraction: T.PEAK_MIN_FRACTION,
          notHuAir_HU: T.NOT_HU_AIR_HU,
          notHuMaxAirFraction: T.NOT_HU_MAX_AIR_FRACTION,
          metal_HU: T.METAL_HU,
          metalMinVolume_mm3: T.METAL_MIN_VOLUME_MM3,
          truncationBone_HU: T.TRUNCATION_BONE_HU,
          truncationMinArea_mm2: T.TRUNCATION_MIN_AREA_MM2,
        },
        figures: {
          huRange: a.huRange,
          airPeak_HU: a.peaks.air.peak_HU ?? null,
          fatPeak_HU: a.peaks.fat.peak_HU ?? null,
          softTissuePeak_HU: a.peaks.softTissue.peak_HU ?? null,
          airFraction: round(a.airFraction, 4),
          metal_mm3: round(a.metal_mm3, 1),
          denseBorder_mm2: a.denseBorder_mm2.map((x) => round(x, 1)),
        },
        findings: a.findings,
      },
    };
  });
}
