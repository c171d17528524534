/**
 * `convert --method NAME`: the segmentation methods a convert job runs by name instead of a
 * threshold, and how the job hands them the trained forest the host loaded.
 *
 * - `forest`: the learned bone forest (segment/forest): labels are bone groups, and its
 *   P(bone) (trilinear from the ~1.5 mm working grid) places the surface at 0.5, as a soft
 *   threshold's field does (convertVolume uses any method's probability that way).
 * - `threshold-forest`: bone from the automatic threshold (the convert default), named by
 *   the forest: the `threshold-forest` reducer with forestWeight 0 over a soft threshold at
 *   the automatic level. Its field is the soft threshold's, so the surface is placed as a
 *   `--soft` convert places it; the forest only decides each bone voxel's group, which is
 *   what `--anatomy` reads (anatomy/identify.ts: forest evidence in the label names).
 *
 * The model is data the host reads (core reads no files): ConvertJobHost.forestModel.
 */
import { z } from 'zod';
import { usageError } from '../errors.js';
import type { Volume } from '../geometry/types.js';
import { findAutoThreshold } from '../segment/auto-threshold.js';
import { getReducer, registerMethod, segmentRecord, type SegmentationMethod, type SegmentationOutput } from '../segment/method.js';
import type { SegmentationOptions } from '../segment/pipeline.js';
import { softThreshold } from '../segment/soft-threshold.js';
import { labelFigures } from '../segment/threshold.js';
import { forestParamsSchema, segmentWithForest } from '../segment/forest/method.js';
import { timedAsync, type StageContext, type StageRecord, type StageResult } from './record.js';

/** The methods `convert --method` takes, with what each is (help texts and the refusal of an unknown name). */
export const CONVERT_METHODS = {
  forest: 'the learned bone forest (labels are bone groups; P(bone) places the surface)',
  'threshold-forest': 'bone from the automatic threshold, each bone voxel named by the forest (for --anatomy)',
} as const;
export type ConvertMethod = keyof typeof CONVERT_METHODS;

export function isConvertMethod(name: string): name is ConvertMethod {
  return Object.hasOwn(CONVERT_METHODS, name);
}

/** A trained forest as the host hands it over: the model file's bytes and a name for the record. */
export interface ForestModelBytes {
  bytes: Uint8Array;
  /** A file name, not a path: it is recorded, and the report must not depend on where the host keeps it. */
  source: string;
  /** What the model was trained on and how (a lab's model: its training record), recorded with it. */
  training?: Record<string, unknown>;
}

/** Both convert methods run the forest. */
export function needsForestModel(seg: SegmentationOptions): boolean {
  const m = seg.method as { method: string; params?: { model?: unknown } };
  return isConvertMethod(m.method) && m.params?.model === undefined;
}

/**
 * The segmentation options with the host's model in the method's params (only what goes to
 * the method: the request record keeps the options without the bytes), and a record of which
 * model it was, by SHA-256, so a report says exactly what named the bone.
 */
export function withForestModel(seg: SegmentationOptions, model: ForestModelBytes | undefined, sha256Hex: (b: Uint8Array) => string): { segmentation: SegmentationOptions; record: StageRecord } {
  const name = (seg.method as { method: string }).method;
  if (!model) {
    throw usageError('NO_FOREST_MODEL', `--method ${name} needs the trained bone forest, and this host gives none (ConvertJobHost.forestModel)`);
  }
  const params = { ...((seg.method as { params?: object }).params ?? {}), model: model.bytes, source: model.source };
  return {
    segmentation: { ...seg, method: { method: name, params } },
    record: { stage: 'segment', method: 'forest-model', params: { method: name, source: model.source, ...(model.training ? { training: model.training } : {}) }, figures: { bytes: model.bytes.length, sha256: sha256Hex(model.bytes) } },
  };
}

/**
 * Width of the soft threshold under `threshold-forest`. Its labels are HU ≥ T whatever the
 * width; the width only shapes the field between voxels. Wide, so the logistic is nearly
 * linear over a bone edge's step (a few hundred HU per voxel) and its 0.5 crossing lies
 * close to where the HU field crosses T, which is where the default convert puts the surface.
 */
export const THRESHOLD_FOREST_SOFT_WIDTH_HU = 100;

const thresholdForestMethodParams = forestParamsSchema.extend({
  width_HU: z.number().positive().default(THRESHOLD_FOREST_SOFT_WIDTH_HU),
});

/**
 * Registered as a method (not only the reducer) so a convert runs it by name through the
 * segment pipeline, with the pipeline's clean-up (table, marrow, islands) after it.
 */
export const thresholdForestMethod: SegmentationMethod<z.output<typeof thresholdForestMethodParams>> = {
  name: 'threshold-forest',
  description: 'automatic threshold (soft, its field places the surface) with each bone voxel named by the forest (reducer threshold-forest, forestWeight 0)',
  paramsSchema: thresholdForestMethodParams,
  run(volume: Volume, params, ctx: StageContext) {
    return timedAsync(async (): Promise<StageResult<SegmentationOutput>> => {
      const auto = findAutoThreshold(volume);
      const t = auto.result.threshold_HU;
      const th = await softThreshold(volume, t, params.width_HU, ctx);
      const fo = await segmentWithForest(volume, { ...(params.model !== undefined ? { model: params.model } : {}), ...(params.source !== undefined ? { source: params.source } : {}) }, ctx);
      const red = await getReducer('threshold-forest').run([th, fo.output], { forestWeight: 0 }, ctx);
      const record = segmentRecord('threshold-forest', {
        threshold_HU: t,
        from: 'auto-threshold',
        autoThreshold: auto.record.params,
        width_HU: params.width_HU,
        forestWeight: 0,
        forest: fo.record.params,
        rule: 'labels = HU ≥ threshold (the soft threshold at p ≥ 0.5), each named by the forest’s most probable bone group; field = the soft threshold’s p',
      });
      const { threshold_HU, halfWidth_HU, fallback } = auto.record.figures;
      record.figures = {
        ...labelFigures(red.output.labels),
        // The automatic threshold's level, noise and fallback where a clean-up looks for them.
        threshold_HU,
        halfWidth_HU: halfWidth_HU ?? null,
        fallback: fallback ?? false,
        autoThreshold: auto.record.figures,
        forest: fo.record.figures,
        voxels_forest_said_no: red.record.figures.voxels_forest_said_no ?? null,
      };
      // The forest's names, not its bone, go on: its volume check (FOREST_DISAGREES) does not
      // apply to the threshold's bone; its order check does, to the names it gives.
      const findings = [...(auto.record.findings ?? []), ...(fo.record.findings ?? []).filter((f) => f.code === 'FOREST_ORDER_IMPLAUSIBLE')];
      if (findings.length) record.findings = findings;
      return { output: red.output, record };
    });
  },
};

registerMethod(thresholdForestMethod);
