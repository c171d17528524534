/**
 * The convert pipeline (SPEC §1 steps 3–7) after import: assessment → (stop on error
 * findings unless forced) → preprocessing → segmentation → per model: surface →
 * conditioning → printability gate → accuracy. Several thresholds give several models,
 * meshed concurrently on the pool. Export and the report are the host's (they write
 * files); everything here is pure and returns its stage records.
 */
import { sameGrid } from '../geometry/grid.js';
import type { LabelMap, Mesh, Volume } from '../geometry/types.js';
import { inputError } from '../errors.js';
import { assessVolume } from '../assess/assess.js';
import { preprocess, runSegmentation, type SegmentationOptions } from '../segment/pipeline.js';
import { rangeName, type HuRange } from '../segment/threshold.js';
import { extractSurface } from '../surface/isosurface/extract.js';
import { conditionMesh, type ConditionParams } from '../surface/condition.js';
import { measureSurfaceAccuracy } from '../surface/accuracy.js';
import { placeSurface, type PlaceParams } from '../surface/edge/index.js';
import type { MeshCheck } from '../surface/topology.js';
import { round, stampPeakMemory, type Finding, type StageContext, type StageRecord } from './record.js';

export interface ConvertParams {
  segmentation: SegmentationOptions;
  condition: ConditionParams;
  /** Build models even when the assessment found errors (recorded). */
  force?: boolean;
  /** Measure mesh ↔ segmentation distances (default true). */
  accuracy?: boolean;
  /** Decimate each model to this fraction of its raw triangle count (unless a face target is given). */
  decimateRatio?: number;
  /** Vertex placement: 'edge' (default, the local edge model) or 'threshold' (the iso-surface of the lower threshold). */
  placement?: PlaceParams;
  /** Name of the tissue/anatomy modelled; used in model names. */
  tissue?: string;
}

export interface ConvertModel {
  name: string;
  range?: HuRange;
  labels: LabelMap;
  mesh: Mesh;
  check: MeshCheck;
  printable: boolean;
  records: StageRecord[];
}

export interface ConvertResult {
  models: ConvertModel[];
  /** Shared records: assessment, preprocessing, the segmentation method. */
  records: StageRecord[];
  findings: Finding[];
  /** The (preprocessed) volume the labels are on, for report images. */
  volume: Volume;
}

/** The error findings that stop a conversion (import + assessment). */
export function blockingFindings(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error');
}

export async function convertVolume(
  input: { volume: Volume; modality?: string; importFindings?: Finding[] },
  params: ConvertParams,
  ctx: StageContext = {},
): Promise<ConvertResult> {
  const records: StageRecord[] = [];
  const progress = ctx.progress ?? (() => {});
  const assess = assessVolume({ volume: input.volume, ...(input.modality !== undefined ? { modality: input.modality } : {}) });
  records.push(assess.record);
  stampPeakMemory(ctx, records);
  const findings = [...(input.importFindings ?? []), ...(assess.record.findings ?? [])];
  const errors = blockingFindings(findings);
  if (errors.length && !params.force) {
    throw inputError(
      'INPUT_ASSESSMENT_ERROR',
      `the input assessment found ${errors.length} error(s), no model was built: ${errors.map((f) => `${f.code}: ${f.message}`).join('; ')} (--force builds one anyway and records it)`,
    );
  }
  progress(0.05, 'preprocess');

  const seg = params.segmentation;
  const pre = await preprocess(input.volume, seg.preprocess ?? {}, ctx, records);
  const segResult = await runSegmentation(pre.volume, { ...seg, preprocess: {}, restoreGrid: false }, ctx);
  const tagged = (r: StageRecord) => typeof r.params.labelMap === 'string';
  records.push(...segResult.records.filter((r) => !tagged(r)));
  stampPeakMemory(ctx, [...records, ...segResult.records]);
  progress(0.35, 'surface');

  const { labels, ranges, probability } = segResult.output;
  const many = labels.length > 1;
  const tissue = params.tissue ?? 'bone';
  let done = 0;
  const models = await Promise.all(
    labels.map(async (lab, i): Promise<ConvertModel> => {
      const range = ranges?.[i];
      const tag = range ? rangeName(range) : undefined;
      const name = many && range ? `${tissue}_t${range[0]}` : tissue;
      const own = segResult.records.filter((r) => tagged(r) && r.params.labelMap === tag);
      const modelRecords: StageRecord[] = [];
      if (range) {
        modelRecords.push({ stage: 'segment', method: 'label-map', params: { range_HU: range, model: name }, figures: { threshold_HU: range[0], voxels: countNonZero(lab) } });
      }
      modelRecords.push(...own);
      // Sub-voxel placement: the probability field (soft threshold) at 0.5, else the HU field at the lower threshold.
      const field = probability ?? pre.volume;
      const level = probability ? 0.5 : range?.[0];
      const useField = sameGrid(field.grid, lab.grid) && level !== undefined;
      const surface = await extractSurface(lab, useField ? { field, level } : {}, ctx);
      if (!useField) (surface.record.notes ??= []).push('no field on the label grid: vertices placed from the smoothed mask');
      modelRecords.push(surface.record);
      const placed = placeSurface(surface.output, lab.grid, { ...params.placement, volume: pre.volume }, ctx);
      if (placed) modelRecords.push(placed.record);
      const raw = placed?.output ?? surface.output;
      stampPeakMemory(ctx, modelRecords);
      const condition = { ...params.condition, name };
      if (params.decimateRatio !== undefined && condition.decimate?.targetFaces === undefined) {
        condition.decimate = { ...(condition.decimate ?? {}), targetFaces: Math.max(4, Math.round((params.decimateRatio * raw.indices.length) / 3)) };
      }
      const cond = await conditionMesh(raw, condition, ctx);
      modelRecords.push(...cond.records);
      stampPeakMemory(ctx, modelRecords);
      if (params.accuracy !== false) {
        const t0 = performance.now();
        const acc = measureSurfaceAccuracy(cond.output, { labels: lab, ...(useField ? { field, level } : {}) });
        modelRecords.push({
          stage: 'accuracy',
          method: 'mesh-to-segmentation-boundary',
          params: { reference: 'isosurface of the segmentation at its own resolution (same placement rule)', samples: 'vertices and triangle centroids', level: level ?? null },
          figures: Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, typeof v === 'number' ? round(v, 4) : v])),
          wall_ms: round(performance.now() - t0, 1),
        });
        stampPeakMemory(ctx, modelRecords);
      }
      done++;
      progress(0.35 + (0.6 * done) / labels.length, `model ${name}`);
      return { name, ...(range ? { range } : {}), labels: lab, mesh: cond.output, check: cond.check, printable: cond.printable, records: modelRecords };
    }),
  );
  progress(1, 'done');
  return { models, records, findings, volume: pre.volume };
}

function countNonZero(l: LabelMap): number {
  let n = 0;
  for (let i = 0; i < l.data.length; i++) if (l.data[i] !== 0) n++;
  return n;
}
