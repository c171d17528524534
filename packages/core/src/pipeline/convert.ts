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
import { placeSurface, type EdgePlacement, type PlaceParams } from '../surface/edge/index.js';
import type { MeshCheck } from '../surface/topology.js';
import { round, stampPeakMemory, type Finding, type StageContext, type StageRecord } from './record.js';
import { meshStructures, type AnatomyRequest } from './convert-anatomy.js';
import type { ThreeMfPart } from '../formats/3mf.js';
import { emptySegmentationError, isEmptyLabelMap } from './empty-segmentation.js';
import { warmPool } from '../parallel/warm.js';

export interface ConvertParams {
  /** `anatomy` (convert --anatomy): one model of the named structures, an object per structure (convert-anatomy.ts). */
  segmentation: SegmentationOptions & AnatomyRequest;
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
  /** Name and colour per mesh group (structure models: one 3MF object per structure). */
  parts?: Record<number, ThreeMfPart>;
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
  // The workers load while assessment and segmentation run here (surface is their first task).
  warmPool(ctx.pool);
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
  const pre = await preprocess(input.volume, seg.preprocess ?? {}, scaled(ctx, 0.05, 0.15), records);
  const segResult = await runSegmentation(pre.volume, { ...seg, preprocess: {}, restoreGrid: false }, scaled(ctx, 0.15, 0.35));
  const tagged = (r: StageRecord) => typeof r.params.labelMap === 'string';
  records.push(...segResult.records.filter((r) => !tagged(r)));
  stampPeakMemory(ctx, [...records, ...segResult.records]);
  progress(0.35, 'surface');

  const { labels, ranges, probability, forest } = segResult.output;
  const many = labels.length > 1;
  const tissue = params.tissue ?? 'bone';
  if (seg.anatomy?.structures.length) {
    const field = probability ?? pre.volume;
    const level = probability ? 0.5 : ranges?.[0]?.[0];
    const model = await meshStructures(labels, pre.volume, seg.anatomy, records, (lab, name, c) =>
      meshLabelMap(
        lab,
        { condition: { ...params.condition, name }, placement: { ...params.placement, volume: pre.volume }, ...(sameGrid(field.grid, lab.grid) && level !== undefined ? { field, level } : {}), ...(params.decimateRatio !== undefined ? { decimateRatio: params.decimateRatio } : {}), ...(params.accuracy !== undefined ? { accuracy: params.accuracy } : {}) },
        c,
      ), scaled(ctx, 0.35, 0.95), forest);
    progress(1, 'done');
    return { models: [model], records, findings, volume: pre.volume };
  }
  /** Model i's threshold range, file name and its own (per-label-map) segmentation records. */
  const modelOf = (i: number) => {
    const range = ranges?.[i];
    const tag = range ? rangeName(range) : undefined;
    const name = many && range ? `${tissue}_t${range[0]}` : tissue;
    return { range, name, own: segResult.records.filter((r) => tagged(r) && r.params.labelMap === tag) };
  };
  // An empty label map would reach the gate as "mesh not printable": say which step emptied it, before any meshing
  // (with --allow-open too: an empty model is never exported).
  labels.forEach((lab, i) => {
    if (!isEmptyLabelMap(lab)) return;
    const { name, own } = modelOf(i);
    throw emptySegmentationError(name, [...records, ...own]);
  });
  // Models are meshed concurrently: the overall fraction is the mean of theirs, so it never goes back.
  const fractions = labels.map(() => 0);
  const modelCtx = (i: number): StageContext => ({
    ...ctx,
    progress: (f, m) => {
      fractions[i] = Math.max(fractions[i]!, f);
      progress(0.35 + (0.6 * fractions.reduce((a, b) => a + b, 0)) / labels.length, m);
    },
  });
  const models = await Promise.all(
    labels.map(async (lab, i): Promise<ConvertModel> => {
      const { range, name, own } = modelOf(i);
      const modelRecords: StageRecord[] = [];
      if (range) {
        modelRecords.push({ stage: 'segment', method: 'label-map', params: { range_HU: range, model: name }, figures: { threshold_HU: range[0], voxels: countNonZero(lab) } });
      }
      modelRecords.push(...own);
      // Sub-voxel placement: the probability field (soft threshold) at 0.5, else the HU field at the lower threshold.
      const field = probability ?? pre.volume;
      const level = probability ? 0.5 : range?.[0];
      const useField = sameGrid(field.grid, lab.grid) && level !== undefined;
      const built = await meshLabelMap(
        lab,
        { condition: { ...params.condition, name }, placement: { ...params.placement, volume: pre.volume }, ...(useField ? { field, level } : {}), ...(params.decimateRatio !== undefined ? { decimateRatio: params.decimateRatio } : {}), ...(params.accuracy !== undefined ? { accuracy: params.accuracy } : {}) },
        modelCtx(i),
      );
      const surfaceRecord = built.records.find((r) => r.stage === 'surface');
      if (!useField && surfaceRecord) (surfaceRecord.notes ??= []).push('no field on the label grid: vertices placed from the smoothed mask');
      modelRecords.push(...built.records);
      modelCtx(i).progress!(1, `model ${name}`);
      return { name, ...(range ? { range } : {}), labels: lab, mesh: built.mesh, check: built.check, printable: built.printable, records: modelRecords };
    }),
  );
  progress(1, 'done');
  return { models, records, findings, volume: pre.volume };
}

/** A context whose progress maps 0..1 into [a, b] of the caller's. */
export function scaled(ctx: StageContext, a: number, b: number): StageContext {
  const p = ctx.progress;
  return p ? { ...ctx, progress: (f, m) => p(a + (b - a) * Math.min(1, Math.max(0, f)), m) } : ctx;
}

/**
 * Samples for the accuracy against the placed surface: exact point-to-mesh distances need a
 * triangle grid over the whole surface (philips head phantom: 2.1 s CPU for 20k samples,
 * 4.0 s for 100k, against 1.2 s for the field's iso-surface); 20k give a mean to ±0.0005 mm.
 */
const PLACED_ACCURACY_SAMPLES = 20_000;

export interface MeshLabelParams {
  condition: ConditionParams;
  /** Mesh only this label value (default: every non-zero label). */
  label?: number;
  /** HU or probability field on the label grid: places vertices sub-voxel at `level`. */
  field?: Volume;
  /** Iso level in field units (default: estimated by the surface stage). */
  level?: number;
  /** Decimate to this fraction of the raw triangle count (unless the condition gives a face target). */
  decimateRatio?: number;
  /** Moves vertices from the threshold to the local edge model (surface/edge); omitted = threshold positions. */
  placement?: EdgePlacement;
  /** Measure mesh ↔ segmentation distances (default true). */
  accuracy?: boolean;
}

export interface MeshLabelResult {
  mesh: Mesh;
  check: MeshCheck;
  printable: boolean;
  /** surface → condition (… gate) → accuracy records, in order. */
  records: StageRecord[];
}

/**
 * One label map → one printable model: surface → conditioning (the label grid is passed,
 * so scan-border caps are held) → gate → accuracy. `convert` runs it per model and `mesh`
 * runs it on a label file, so both record the same stages with the same parameters.
 */
export async function meshLabelMap(labels: LabelMap, params: MeshLabelParams, ctx: StageContext = {}): Promise<MeshLabelResult> {
  const records: StageRecord[] = [];
  const sub = { ...(params.label !== undefined ? { label: params.label } : {}), ...(params.field ? { field: params.field } : {}), ...(params.level !== undefined ? { level: params.level } : {}) };
  const { raw, edgePlaced } = await surfaceOf(labels, sub, params.placement, ctx, records);
  stampPeakMemory(ctx, records);
  const condition: ConditionParams = { ...params.condition, grid: labels.grid };
  if (params.decimateRatio !== undefined && condition.decimate?.targetFaces === undefined) {
    condition.decimate = { ...(condition.decimate ?? {}), targetFaces: Math.max(4, Math.round((params.decimateRatio * raw.indices.length) / 3)) };
  }
  const cond = await conditionMesh(raw, condition, scaled(ctx, 0.25, 0.9));
  records.push(...cond.records);
  stampPeakMemory(ctx, records);
  if (params.accuracy !== false) {
    const t0 = performance.now();
    const acc = measureSurfaceAccuracy(cond.output, edgePlaced ? { labels, surface: raw } : { labels, ...sub }, edgePlaced ? { samples: PLACED_ACCURACY_SAMPLES } : {});
    records.push({
      stage: 'accuracy',
      method: 'mesh-to-segmentation-boundary',
      params: { reference: edgePlaced ? 'the extracted surface after edge placement (before conditioning)' : 'isosurface of the segmentation at its own resolution (same placement rule)', samples: 'vertices and triangle centroids', level: params.level ?? null, field: params.field !== undefined },
      figures: Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, typeof v === 'number' ? round(v, 4) : v])),
      wall_ms: round(performance.now() - t0, 1),
    });
    stampPeakMemory(ctx, records);
  }
  ctx.progress?.(1, 'accuracy');
  return { mesh: cond.output, check: cond.check, printable: cond.printable, records };
}

/**
 * Surface → placement: the mesh conditioning starts from, and whether it was edge-placed (then
 * it is also the accuracy's reference). Its own function so that the threshold positions and
 * the placement's rules are garbage once it returns (an async function holds its locals).
 */
async function surfaceOf(labels: LabelMap, sub: { label?: number; field?: Volume; level?: number }, placement: EdgePlacement | undefined, ctx: StageContext, records: StageRecord[]): Promise<{ raw: Mesh; edgePlaced: boolean }> {
  const surface = await extractSurface(labels, sub, scaled(ctx, 0, 0.25));
  records.push(surface.record);
  const placed = await placeSurface(surface.output, labels.grid, placement, ctx);
  if (placed) records.push(placed.record);
  // after edge placement the boundary the model must follow is the placed surface, not the threshold's iso-surface
  return { raw: placed?.output ?? surface.output, edgePlaced: placed?.record.method === 'edge-model-placement' };
}

function countNonZero(l: LabelMap): number {
  let n = 0;
  for (let i = 0; i < l.data.length; i++) if (l.data[i] !== 0) n++;
  return n;
}
