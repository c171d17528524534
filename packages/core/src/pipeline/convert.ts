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
import { countLabelled, rangeName, type HuRange } from '../segment/threshold.js';
import { extractSurface } from '../surface/isosurface/extract.js';
import { conditionMesh, type ConditionParams, type TopologyHandOver } from '../surface/condition.js';
import { checkedTopology } from '../surface/cleanup.js';
import type { MeshShells } from '../surface/mesh-utils.js';
import { toShared } from '../parallel/pool.js';
import type { measureSurfaceAccuracy } from '../surface/accuracy.js';
import { startAccuracy, type PendingAccuracy } from '../surface/accuracy-pool.js';
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
  /**
   * false: the caller needs no HU volume back (no slice pictures, no volume output), so it is
   * let go once every model is placed (70 MB on the phantom head, held through the gate) and
   * ConvertResult.volume is undefined. Default true.
   */
  keepVolume?: boolean;
  /**
   * Given each threshold model's final mesh and name before the gate judges it (not an
   * --anatomy model's, which is assembled after its structures' gates): the job starts writing
   * the model file on the pool there, beside the gate and the accuracy. The mesh is not to be
   * changed; a gate that refuses it ends the job, and what was started is dropped. `shells`: its
   * shells by edges (conditionMesh's), equal to labelShellsByVertex's when the gate passes it.
   */
  beforeGate?: (mesh: Mesh, model: string, shells: MeshShells) => void;
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
  /** The (preprocessed) volume the labels are on, for report images; undefined with keepVolume false. */
  volume?: Volume;
}

/** The error findings that stop a conversion (import + assessment). */
export function blockingFindings(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error');
}

/** Segmentation records that belong to one label map (one threshold's model). */
const tagged = (r: StageRecord) => typeof r.params.labelMap === 'string';

/** What segmentation hands the meshing: the label maps and the HU volume they are on. */
interface Segmented {
  /** Taken by meshModels, so that only the models hold it while they need it. */
  volume: Volume | undefined;
  records: StageRecord[];
  findings: Finding[];
  output: Awaited<ReturnType<typeof runSegmentation>>['output'];
  /** Records of the segmentation tagged with their label map. */
  ownRecords: StageRecord[];
}

/**
 * Assessment, preprocessing and segmentation (segmentVolume), then the models (meshModels).
 * Not an async function itself: one would hold `input` (the imported volume) until the last
 * model is measured.
 */
export function convertVolume(
  input: { volume: Volume; modality?: string; importFindings?: Finding[] },
  params: ConvertParams,
  ctx: StageContext = {},
): Promise<ConvertResult> {
  return segmentVolume(input, params, ctx).then((segmented) => meshModels(segmented, params, ctx));
}

async function segmentVolume(input: { volume: Volume; modality?: string; importFindings?: Finding[] }, params: ConvertParams, ctx: StageContext): Promise<Segmented> {
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
  records.push(...segResult.records.filter((r) => !tagged(r)));
  stampPeakMemory(ctx, [...records, ...segResult.records]);
  return { volume: pre.volume, records, findings, output: segResult.output, ownRecords: segResult.records.filter(tagged) };
}

async function meshModels(segmented: Segmented, params: ConvertParams, ctx: StageContext): Promise<ConvertResult> {
  const { records, findings } = segmented;
  const progress = ctx.progress ?? (() => {});
  progress(0.35, 'surface');
  const seg = params.segmentation;
  let volume: Volume | undefined = segmented.volume!;
  segmented.volume = undefined;
  const { labels, ranges, probability, forest } = segmented.output;
  const many = labels.length > 1;
  const tissue = params.tissue ?? 'bone';
  if (seg.anatomy?.structures.length) {
    const hu = volume;
    const field = probability ?? hu;
    const level = probability ? 0.5 : ranges?.[0]?.[0];
    const model = await meshStructures(labels, hu, seg.anatomy, records, (lab, name, c) =>
      meshLabelMap(
        lab,
        { condition: { ...params.condition, name }, placement: { ...params.placement, volume: hu }, ...(sameGrid(field.grid, lab.grid) && level !== undefined ? { field, level } : {}), ...(params.decimateRatio !== undefined ? { decimateRatio: params.decimateRatio } : {}), ...(params.accuracy !== undefined ? { accuracy: params.accuracy } : {}) },
        c,
      ), scaled(ctx, 0.35, 0.95), forest);
    progress(1, 'done');
    return { models: [model], records, findings, volume: hu };
  }
  /** Model i's threshold range, file name and its own (per-label-map) segmentation records. */
  const modelOf = (i: number) => {
    const range = ranges?.[i];
    const tag = range ? rangeName(range) : undefined;
    const name = many && range ? `${tissue}_t${range[0]}` : tissue;
    return { range, name, own: segmented.ownRecords.filter((r) => r.params.labelMap === tag) };
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
  // Each model's meshLabelMap is handed the volume here and holds it until that model is placed;
  // the per-model callbacks below do not hold it, so without keepVolume it goes with the last placement.
  const meshed = labels.map((lab, i): Promise<ConvertModel> => {
    const { range, name, own } = modelOf(i);
    const modelRecords: StageRecord[] = [];
    if (range) {
      modelRecords.push({ stage: 'segment', method: 'label-map', params: { range_HU: range, model: name }, figures: { threshold_HU: range[0], voxels: countLabelled(lab.data) } });
    }
    modelRecords.push(...own);
    // Sub-voxel placement: the probability field (soft threshold) at 0.5, else the HU field at the lower threshold.
    const field = probability ?? volume!;
    const level = probability ? 0.5 : range?.[0];
    const useField = sameGrid(field.grid, lab.grid) && level !== undefined;
    const built = meshLabelMap(
      lab,
      {
        condition: { ...params.condition, name },
        placement: { ...params.placement, volume: volume! },
        ...(useField ? { field, level } : {}),
        ...(params.decimateRatio !== undefined ? { decimateRatio: params.decimateRatio } : {}),
        ...(params.accuracy !== undefined ? { accuracy: params.accuracy } : {}),
        ...(params.beforeGate ? { beforeGate: (m: Mesh, shells: MeshShells) => params.beforeGate!(m, name, shells) } : {}),
      },
      modelCtx(i),
    );
    return built.then((b) => {
      const surfaceRecord = b.records.find((r) => r.stage === 'surface');
      if (!useField && surfaceRecord) (surfaceRecord.notes ??= []).push('no field on the label grid: vertices placed from the smoothed mask');
      modelRecords.push(...b.records);
      modelCtx(i).progress!(1, `model ${name}`);
      return { name, ...(range ? { range } : {}), labels: lab, mesh: b.mesh, check: b.check, printable: b.printable, records: modelRecords };
    });
  });
  const kept = params.keepVolume !== false ? volume : undefined;
  volume = undefined;
  const models = await Promise.all(meshed);
  progress(1, 'done');
  return { models, records, findings, ...(kept ? { volume: kept } : {}) };
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
  /** Given the final mesh and its shells before the gate judges it (ConvertParams.beforeGate). */
  beforeGate?: (mesh: Mesh, shells: MeshShells) => void;
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
export function meshLabelMap(labels: LabelMap, params: MeshLabelParams, ctx: StageContext = {}): Promise<MeshLabelResult> {
  const records: StageRecord[] = [];
  const sub = { ...(params.label !== undefined ? { label: params.label } : {}), ...(params.field ? { field: params.field } : {}), ...(params.level !== undefined ? { level: params.level } : {}) };
  // Not an async function: one would hold `params` (the HU field and placement volume) until the
  // accuracy; the steps after placement get only what they use (the field only when it is the
  // accuracy's reference).
  const rest = { condition: params.condition, decimateRatio: params.decimateRatio, accuracy: params.accuracy, level: params.level, field: params.field !== undefined, beforeGate: params.beforeGate };
  return surfaceOf(labels, sub, params.placement, ctx, records).then(({ raw, edgePlaced, reference, known }) => conditionAndMeasure(labels, raw, reference, edgePlaced, rest, ctx, records, known));
}

/** conditioning → gate → accuracy of the placed surface `raw`, against `reference`. */
async function conditionAndMeasure(
  labels: LabelMap,
  raw: Mesh,
  reference: AccuracyReference,
  edgePlaced: boolean,
  params: Pick<MeshLabelParams, 'condition' | 'decimateRatio' | 'accuracy' | 'level' | 'beforeGate'> & { field: boolean },
  ctx: StageContext,
  records: StageRecord[],
  known: TopologyHandOver,
): Promise<MeshLabelResult> {
  stampPeakMemory(ctx, records);
  const condition: ConditionParams = { ...params.condition, grid: labels.grid };
  if (params.decimateRatio !== undefined && condition.decimate?.targetFaces === undefined) {
    condition.decimate = { ...(condition.decimate ?? {}), targetFaces: Math.max(4, Math.round((params.decimateRatio * raw.indices.length) / 3)) };
  }
  // The accuracy only reads the final mesh, as the gate does: with a pool it runs on a worker
  // beside the gate (started first: the gate's result waits for it, not for the caller's work).
  let accuracy: PendingAccuracy | undefined;
  const beforeGate = (final: Mesh, shells: MeshShells): void => {
    if (params.accuracy !== false) accuracy = startAccuracy(final, reference, edgePlaced ? { samples: PLACED_ACCURACY_SAMPLES } : {}, ctx.pool);
    params.beforeGate?.(final, shells);
  };
  const cond = await conditionMesh(raw, condition, scaled(ctx, 0.25, 0.9), beforeGate, known);
  records.push(...cond.records);
  stampPeakMemory(ctx, records);
  if (params.accuracy !== false) {
    const { accuracy: acc, wall_ms } = await accuracy!();
    records.push({
      stage: 'accuracy',
      method: 'mesh-to-segmentation-boundary',
      params: { reference: edgePlaced ? 'the extracted surface after edge placement (before conditioning)' : 'isosurface of the segmentation at its own resolution (same placement rule)', samples: 'vertices and triangle centroids', level: params.level ?? null, field: params.field },
      figures: Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, typeof v === 'number' ? round(v, 4) : v])),
      wall_ms: round(wall_ms, 1),
    });
    stampPeakMemory(ctx, records);
  }
  ctx.progress?.(1, 'accuracy');
  return { mesh: cond.output, check: cond.check, printable: cond.printable, records };
}

type AccuracyReference = Parameters<typeof measureSurfaceAccuracy>[1];

/**
 * Surface → placement: the mesh conditioning starts from, whether it was edge-placed, the
 * accuracy's reference (the placed surface, else the segmentation with its field), and the
 * triangles' topology for the first clean-up. Its own function so that the threshold
 * positions, the placement's rules and, after edge placement, the HU field are garbage once it
 * returns (an async function holds its locals).
 */
async function surfaceOf(
  labels: LabelMap,
  sub: { label?: number; field?: Volume; level?: number },
  placement: EdgePlacement | undefined,
  ctx: StageContext,
  records: StageRecord[],
): Promise<{ raw: Mesh; edgePlaced: boolean; reference: AccuracyReference; known: TopologyHandOver }> {
  const surface = await extractSurface(labels, sub, scaled(ctx, 0, 0.25));
  records.push(surface.record);
  // Placement moves vertices and keeps the triangles: what the clean-up works out from the
  // triangles alone is worked out here while the pool places (this thread would only wait).
  // With a pool the triangles also go to shared memory here: the placed surface (its positions
  // are there already) is the accuracy's reference, posted to a worker beside the gate, and
  // posting it then copies nothing (a structured clone: ~0.1 s of this thread on a skull, on the gate's path).
  const known: TopologyHandOver = {};
  const triangles = surface.output;
  let indices = triangles.indices;
  const placed = await placeSurface(triangles, labels.grid, placement, ctx, () => {
    if (ctx.pool && ctx.pool.size >= 2) indices = toShared(indices);
    known.topology = checkedTopology({ positions: triangles.positions, indices });
  });
  if (placed) records.push(placed.record);
  // the marching-cubes positions, which never cross: the self-intersection repair's way back
  if (placed) known.safePositions = triangles.positions;
  const raw = placed ? { ...placed.output, indices } : surface.output;
  // after edge placement the boundary the model must follow is the placed surface, not the threshold's iso-surface
  const edgePlaced = placed?.record.method === 'edge-model-placement';
  // the rims it found are refined before smoothing (condition-rims.ts)
  if (edgePlaced) known.rims = { flags: placed!.rims, blur_mm: placed!.blurMax_mm };
  return { raw, edgePlaced, reference: edgePlaced ? { labels, surface: raw } : { labels, ...sub }, known };
}
