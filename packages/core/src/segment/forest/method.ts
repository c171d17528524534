/**
 * The forest as a segmentation method (`forest`) and the reducer that combines it with a
 * threshold (`threshold-forest`). Core reads no files: the host hands over the model's
 * bytes (params.model) or registers a default once (setDefaultForestModel), e.g. the CLI
 * from packages/core/models/, the server at start-up, the browser after a fetch.
 */
import { z } from 'zod';
import { cloneGrid, sameGrid, voxelVolume_mm3 } from '../../geometry/grid.js';
import type { Finding, StageResult } from '../../pipeline/record.js';
import { round, timedAsync } from '../../pipeline/record.js';
import { inputError, usageError } from '../../errors.js';
import { registerMethod, registerReducer, segmentRecord, type Reducer, type SegmentationMethod, type SegmentationOutput } from '../method.js';
import { labelFigures } from '../threshold.js';
import { getPreset } from '../presets.js';
import { poolFor } from '../filters/slabs.js';
import { decodeForest, type ForestModel } from './model.js';
import { runForest, type ForestOutput } from './predict.js';
import { groupPlaces, orderFinding } from './order.js';

let defaultModel: { model: ForestModel; source: string } | undefined;

/** Sets the model `--method forest` uses when its params name none (bytes are decoded and checked here). */
export function setDefaultForestModel(model: ForestModel | Uint8Array, source: string): void {
  defaultModel = { model: model instanceof Uint8Array ? decodeForest(model, source) : model, source };
}

export function defaultForestModel(): { model: ForestModel; source: string } | undefined {
  return defaultModel;
}

export const forestParamsSchema = z.object({
  /** A decoded model or its bytes; absent: the host's default model. */
  model: z.custom<ForestModel | Uint8Array>((v) => v instanceof Uint8Array || (typeof v === 'object' && v !== null && 'meta' in v && 'stages' in v)).optional(),
  /** Name of the model for the record (a file name), when given as bytes or object. */
  source: z.string().optional(),
});
export type ForestParams = z.output<typeof forestParamsSchema>;

function resolveModel(p: ForestParams): { model: ForestModel; source: string } {
  if (p.model !== undefined) {
    const source = p.source ?? 'params.model';
    return { model: p.model instanceof Uint8Array ? decodeForest(p.model, source) : p.model, source };
  }
  if (!defaultModel) throw usageError('NO_FOREST_MODEL', 'the forest method needs a trained model: none given and the host registered no default (setDefaultForestModel)');
  return defaultModel;
}

/** Runs the forest (the method's body, for callers that want ForestOutput itself). */
export async function segmentWithForest(volume: Parameters<SegmentationMethod['run']>[0], params: ForestParams, ctx: Parameters<SegmentationMethod['run']>[2]): Promise<StageResult<ForestOutput>> {
  return timedAsync(async () => {
    const { model, source } = resolveModel(params);
    const n = volume.data.length;
    const { output, figures } = await runForest(volume, model, poolFor(ctx, n));
    const record = segmentRecord('forest', {
      model: source,
      groups: model.meta.groups,
      trainedOn: model.meta.trainedOn,
      seed: model.meta.seed,
      trees: model.meta.trees,
      depth: model.meta.depth,
      features: model.meta.features,
      contextFeatures: model.meta.contextFeatures,
      createdWith: model.meta.createdWith,
      rule: 'P(bone) = 1 − P(not bone) of stage 2, trilinear from the working grid; label = best bone group where P(bone) ≥ 0.5',
    });
    const groups = model.meta.groups;
    const places = groupPlaces(output.labels, groups.length);
    const perGroup: Record<string, number> = {};
    const heights: Record<string, number> = {};
    groups.forEach((g, i) => {
      perGroup[`voxels_${g}`] = places.counts[i + 1]!;
      if (places.counts[i + 1]! > 0) heights[g] = round(places.z_mm[i + 1]!, 1);
    });
    record.figures = { ...labelFigures(output.labels), ...figures, ...perGroup, groupCentroidZ_mm: heights };
    const check = againstThreshold(volume.data, Number(record.figures.voxels_selected));
    record.figures.voxelsAtBoneThreshold = check.threshold;
    const order = orderFinding(groups, places, voxelVolume_mm3(output.labels.grid));
    const findings = [check.finding, order].filter((f): f is Finding => f !== undefined);
    if (findings.length) record.findings = findings;
    return { output, record };
  });
}

/** The lower bound of the bone preset (InVesalius, Mimics: 226 HU) the forest's bone is compared with. */
const BONE_PRESET_HU = getPreset('bone').lo_HU;

/**
 * The forest knows the anatomy it was trained on (the shipped model: two abdominal and pelvic
 * CTs, no skull). On other scans it can label little or much bone without any sign: 20 slices
 * of the head phantom gave 347 mm³ (3 pieces named thoracic vertebrae and ribs) where 226 HU
 * and up holds 44 cm³. A forest bone volume under a quarter or over five times the bone preset's
 * is said (whole bones, marrow included, are more than their cortex at 226 HU: its own training
 * CT at 3 mm gives 2.6 times).
 */
function againstThreshold(hu: ArrayLike<number>, forest: number): { threshold: number; finding?: Finding } {
  let threshold = 0;
  for (let v = 0; v < hu.length; v++) if (hu[v]! >= BONE_PRESET_HU) threshold++;
  if (threshold === 0) return { threshold };
  const ratio = forest / threshold;
  if (ratio >= 0.25 && ratio <= 5) return { threshold };
  return {
    threshold,
    finding: {
      code: 'FOREST_DISAGREES',
      severity: 'warn',
      message:
        `the forest labelled ${round(ratio * 100, 1)} % as many voxels as bone as the bone preset (${BONE_PRESET_HU} HU and up) selects: ` +
        `the model may not know this anatomy (it names the bones it was trained on); check the model, or use the automatic threshold (the default) or --method threshold-forest`,
    },
  };
}

export const forestMethod: SegmentationMethod<ForestParams> = {
  name: 'forest',
  description: 'learned two-stage decision forest over multi-scale HU features: P(bone) per voxel and a bone group per label',
  paramsSchema: forestParamsSchema,
  run(volume, params, ctx) {
    return segmentWithForest(volume, params, ctx);
  },
};

registerMethod(forestMethod);

export const thresholdForestParamsSchema = z.object({
  /** Weight of the forest's P(bone) in the vote (the threshold input counts 1 − w). */
  forestWeight: z.number().min(0).max(1).default(0.5),
});
export type ThresholdForestParams = z.output<typeof thresholdForestParamsSchema>;

/**
 * Threshold + forest: P = (1 − w)·P_threshold + w·P_forest (a 0/1 threshold counts as
 * its labels); label where P ≥ 0.5, named by the forest's most probable bone group at
 * that voxel (ForestOutput.group, defined also where the forest itself said no).
 * forestWeight 0 = "bone from the threshold (with its clean-up), names from the forest".
 * Inputs: [threshold, forest].
 */
export const thresholdForestReducer: Reducer<ThresholdForestParams> = {
  name: 'threshold-forest',
  description: 'weighted vote of a threshold and the forest probability; bone groups named by the forest',
  paramsSchema: thresholdForestParamsSchema,
  run(inputs, params) {
    return timedAsync(async (): Promise<StageResult<SegmentationOutput>> => {
      if (inputs.length !== 2) throw inputError('REDUCE_INPUTS', `threshold-forest needs two inputs (threshold, forest), got ${inputs.length}`);
      const [th, fo] = inputs as [SegmentationOutput, SegmentationOutput];
      if (!sameGrid(th.labels.grid, fo.labels.grid)) throw inputError('GRID_MISMATCH', 'threshold-forest needs both label maps on one grid');
      if (!fo.probability) throw inputError('REDUCE_INPUTS', 'threshold-forest: the second input (the forest) has no probability');
      const w = params.forestWeight;
      const n = th.labels.data.length;
      const pf = fo.probability.data;
      const pt = th.probability?.data;
      const tl = th.labels.data;
      const fl = fo.labels.data;
      const labels = new Uint8Array(n);
      const prob = new Float32Array(n);
      const groups = (fo as Partial<ForestOutput>).groups;
      const best = (fo as Partial<ForestOutput>).group;
      let renamed = 0;
      for (let v = 0; v < n; v++) {
        const a = pt ? pt[v]! : tl[v] ? 1 : 0;
        const p = (1 - w) * a + w * pf[v]!;
        prob[v] = p;
        if (p >= 0.5) {
          labels[v] = fl[v] || (best ? best[v]! : 1);
          if (!fl[v]) renamed++;
        }
      }
      const names: Record<number, string> = {};
      groups?.forEach((g, i) => (names[i + 1] = g));
      const conf = (fo as Partial<ForestOutput>).confidence;
      // The forest's own naming rides along (forest/evidence.ts): identification renames a
      // voxel only where the forest is sure of its group, which the labels alone cannot say.
      const output: SegmentationOutput & Partial<ForestOutput> = {
        labels: { grid: cloneGrid(th.labels.grid), data: labels, ...(groups ? { labels: names } : {}) },
        probability: { grid: cloneGrid(th.labels.grid), data: prob },
        ...(groups && best && conf ? { groups: [...groups], group: best, confidence: conf } : {}),
      };
      const record = segmentRecord('threshold-forest', { forestWeight: w, rule: 'P = (1-w)*P_threshold + w*P_forest; label = forest group where P >= 0.5' });
      record.figures = { ...labelFigures(output.labels), voxels_forest_said_no: renamed, fraction_forest_said_no: round(renamed / Math.max(1, n), 6) };
      return { output, record };
    });
  },
};

registerReducer(thresholdForestReducer);
