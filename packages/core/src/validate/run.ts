/**
 * ISO/IEC 3532-1 6.5 validation of the 2D→3D conversion: scan an analytic phantom into a
 * DICOM series (partial volume, blur, noise, optional gantry tilt), run the same import
 * and convert pipeline a patient series goes through, with the defaults a user gets
 * (automatic threshold, edge placement), and measure the model against the known shape;
 * the same conversion with vertices on the threshold's iso-surface (the older rule) is
 * measured side by side.
 */
import type { DicomSource } from '../dicom/import.js';
import { importSeries } from '../dicom/import.js';
import type { Mesh } from '../geometry/types.js';
import { writeCtSeries } from '../formats/dicom-ct-write.js';
import { convertVolume, type ConvertParams } from '../pipeline/convert.js';
import { round, type StageContext, type StageRecord } from '../pipeline/record.js';
import type { SegmentationOptions } from '../segment/pipeline.js';
import { compactMesh, labelShells } from '../surface/mesh-utils.js';
import { measureAgainstShape, type PhantomMeasures } from './measure.js';
import { scanPhantom, type PhantomScanOptions } from './phantom-series.js';
import { plate, shell, sphere, type AnalyticShape, type PhantomKind } from './shapes.js';
import { convertSegmentationDefaults } from '../pipeline/defaults.js';

/** The segmentation `convert` runs by default (automatic threshold, table removal, 5 mm³ islands). */
/**
 * The segmentation a plain `convert` runs, so validation measures the path users get, with
 * one exception: marrow filling is off. It decides what counts as bone (a small closed
 * hollow is filled as marrow), not where a surface lies, and it would fill the shell
 * phantom whose inner surface is one of the surfaces measured here.
 */
export const DEFAULT_CONVERT_SEGMENTATION: SegmentationOptions = (() => {
  const d = convertSegmentationDefaults('bone');
  return { ...d, cleanup: { ...d.cleanup, fillMarrow: false } };
})();

/** The validation phantoms: centres off the voxel grid so no result depends on symmetry. */
export function standardPhantom(kind: PhantomKind): AnalyticShape {
  const c: [number, number, number] = [0.31, -0.23, 0.17];
  if (kind === 'sphere') return sphere(15, c);
  if (kind === 'shell') return shell(20, 3, c);
  return plate(40, 3, c);
}

/**
 * A bone-density reference insert (a 5 mm sphere in a corner of the field, as QA phantoms
 * carry one) for phantoms without thick bone: the slab model needs the bone's density, which
 * a wall thinner than the blur cannot show (scans of anatomy always hold thick bone too).
 */
export function densityInsert(shape: AnalyticShape): AnalyticShape | null {
  if (shape.kind === 'sphere') return null;
  const c = shape.describe.centre_mm;
  return sphere(5, [c[0] + 21, c[1] + 21, c[2] + 21]);
}

export interface PlacementMeasures {
  placement: 'edge' | 'threshold';
  measures: PhantomMeasures;
  checks: { closed: boolean; manifold: boolean; oriented: boolean; shells: number; triangles: number };
  /** The edge placement's counts (edge, slab, fallback) when it ran. */
  placementFigures: Record<string, unknown> | null;
}

export interface PhantomValidation {
  phantom: Record<string, unknown>;
  scan: PhantomScanOptions;
  /** The lower threshold of the segmentation (automatic by default). */
  threshold_HU: number | null;
  /** The default path (edge placement unless the convert params say otherwise). */
  measures: PhantomMeasures;
  checks: { closed: boolean; manifold: boolean; oriented: boolean; shells: number; triangles: number };
  /** The same conversion with the other placement rule (threshold when edge is under test), side by side. */
  sideBySide: PlacementMeasures | null;
  /** Tolerances: |volume error| ≤ 2 %, p95 surface distance ≤ max(0.5 mm, half the largest voxel side), and for a wall (plate, shell) |thickness error| ≤ wallTolerance_mm. */
  pass: boolean;
  records: StageRecord[];
}

type ValidateConvert = Omit<ConvertParams, 'segmentation'> & { segmentation?: ConvertParams['segmentation'] };

export async function validatePhantom(
  shape: AnalyticShape,
  scan: PhantomScanOptions,
  convert: ValidateConvert,
  ctx: StageContext = {},
  opts: { sideBySide?: boolean; insert?: boolean } = {},
): Promise<PhantomValidation> {
  const insert = opts.insert === false ? null : densityInsert(shape);
  const series = scanPhantom(shape, { ...scan, ...(insert ? { inserts: [insert] } : {}) });
  const files = writeCtSeries(series.slices, series.options);
  const sources: DicomSource[] = files.map((bytes, k) => ({ name: `${shape.kind}/slice${k + 1}.dcm`, read: async () => bytes }));
  const imp = await importSeries(sources, { inputLabel: `${shape.kind} phantom` }, ctx);
  const run = async (placement: ConvertParams['placement']) => {
    const result = await convertVolume(
      { volume: imp.output.volume, modality: 'CT', importFindings: imp.record.findings ?? [] },
      { ...convert, ...(placement ? { placement } : {}), segmentation: convert.segmentation ?? DEFAULT_CONVERT_SEGMENTATION, force: true },
      ctx,
    );
    const model = result.models[0]!;
    const mesh = withoutInsert(model.mesh, insert);
    const c = model.check;
    const placed = model.records.find((r) => r.method === 'edge-model-placement');
    return {
      result,
      model,
      measures: measureAgainstShape(mesh, shape),
      checks: { closed: c.closed, manifold: c.manifold, oriented: c.oriented, shells: c.shells, triangles: c.triangles },
      placementFigures: placed ? placed.figures : null,
    };
  };
  const main = await run(convert.placement);
  const rule = convert.placement?.placement ?? 'edge';
  const otherRule = rule === 'edge' ? 'threshold' : 'edge';
  const old = opts.sideBySide === false ? null : await run({ ...convert.placement, placement: otherRule });
  const measures = main.measures;
  const tol = Math.max(0.5, 0.5 * Math.max(...scan.voxel_mm));
  const c = main.checks;
  const wallTol = wallTolerance_mm(scan.voxel_mm);
  const wallOk = !measures.wallThickness || Math.abs(measures.wallThickness.error_mm) <= wallTol;
  const pass = c.closed && c.manifold && c.oriented && Math.abs(measures.volumeErrorPercent) <= 2 && measures.surfaceDistance.p95_mm <= tol && wallOk;
  const threshold = main.model.range?.[0] ?? null;
  const record: StageRecord = {
    stage: 'validate',
    method: 'analytic-phantom',
    params: {
      phantom: shape.describe,
      kind: shape.kind,
      scan,
      threshold_HU: threshold,
      placement: rule,
      density_insert: insert ? insert.describe : null,
      tolerance: { volumeErrorPercent: 2, p95_mm: tol, ...(measures.wallThickness ? { wallThickness_mm: wallTol } : {}) },
    },
    figures: { ...figures(measures), pass, ...(old ? { [`${otherRule}_placement`]: figures(old.measures) } : {}) },
  };
  return {
    phantom: { kind: shape.kind, ...shape.describe },
    scan,
    threshold_HU: threshold,
    measures,
    checks: c,
    sideBySide: old ? { placement: otherRule, measures: old.measures, checks: old.checks, placementFigures: old.placementFigures } : null,
    pass,
    records: [imp.record, ...main.result.records, ...main.model.records, record],
  };
}

/**
 * Largest |wall thickness error| that passes: 0.1 mm (issue 8's target for plates at 0.5-1.25 mm
 * voxels), or 8 % of the largest voxel side on coarser scans. A thin plate's volume error alone
 * could hide a wall off by more: rims and faces can err in opposite directions.
 */
export function wallTolerance_mm(voxel_mm: readonly number[]): number {
  return Math.max(0.1, 0.08 * Math.max(...voxel_mm));
}

function figures(m: PhantomMeasures): Record<string, number | null> {
  return {
    volume_mm3: round(m.volume_mm3, 2),
    volumeTrue_mm3: round(m.volumeTrue_mm3, 2),
    volumeErrorPercent: round(m.volumeErrorPercent, 3),
    surfaceDistance_mean_mm: round(m.surfaceDistance.mean_mm, 4),
    surfaceDistance_p95_mm: round(m.surfaceDistance.p95_mm, 4),
    surfaceDistance_max_mm: round(m.surfaceDistance.max_mm, 4),
    surfaceDistance_signedMean_mm: round(m.surfaceDistance.signedMean_mm, 4),
    wallThickness_true_mm: m.wallThickness?.true_mm ?? null,
    wallThickness_measured_mm: m.wallThickness ? round(m.wallThickness.measured_mm, 4) : null,
    wallThickness_error_mm: m.wallThickness ? round(m.wallThickness.error_mm, 4) : null,
  };
}

/** The model without the density insert's shell(s): those whose triangles lie within 2 mm of the insert. */
export function withoutInsert(mesh: Mesh, insert: AnalyticShape | null): Mesh {
  if (!insert) return mesh;
  const { shellOf, shellCount } = labelShells(mesh);
  const near = new Uint8Array(shellCount);
  const seen = new Uint8Array(shellCount);
  const P = mesh.positions;
  const I = mesh.indices;
  for (let t = 0; t < shellOf.length; t++) {
    const s = shellOf[t]!;
    if (seen[s]) continue;
    seen[s] = 1;
    const a = 3 * I[3 * t]!;
    near[s] = insert.sdf(P[a]!, P[a + 1]!, P[a + 2]!) < 2 ? 1 : 0;
  }
  const keep = new Uint8Array(shellOf.length);
  for (let t = 0; t < keep.length; t++) keep[t] = near[shellOf[t]!] ? 0 : 1;
  return compactMesh(mesh, keep);
}
