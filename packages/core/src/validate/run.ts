/**
 * ISO/IEC 3532-1 6.5 validation of the 2D→3D conversion: scan an analytic phantom into a
 * DICOM series (partial volume, blur, noise, optional gantry tilt), run the same import
 * and convert pipeline a patient series goes through, and measure the model against the
 * known shape.
 */
import type { DicomSource } from '../dicom/import.js';
import { importSeries } from '../dicom/import.js';
import { writeCtSeries } from '../formats/dicom-ct-write.js';
import { convertVolume, type ConvertParams } from '../pipeline/convert.js';
import { round, type StageContext, type StageRecord } from '../pipeline/record.js';
import { measureAgainstShape, type PhantomMeasures } from './measure.js';
import { scanPhantom, type PhantomScanOptions } from './phantom-series.js';
import { plate, shell, sphere, type AnalyticShape, type PhantomKind } from './shapes.js';

/** The validation phantoms: centres off the voxel grid so no result depends on symmetry. */
export function standardPhantom(kind: PhantomKind): AnalyticShape {
  const c: [number, number, number] = [0.31, -0.23, 0.17];
  if (kind === 'sphere') return sphere(15, c);
  if (kind === 'shell') return shell(20, 3, c);
  return plate(40, 3, c);
}

export interface PhantomValidation {
  phantom: Record<string, unknown>;
  scan: PhantomScanOptions;
  threshold_HU: number;
  measures: PhantomMeasures;
  checks: { closed: boolean; manifold: boolean; oriented: boolean; shells: number; triangles: number };
  /** Tolerances: |volume error| ≤ 2 %, p95 surface distance ≤ max(0.5 mm, half the largest voxel side). */
  pass: boolean;
  records: StageRecord[];
}

export async function validatePhantom(
  shape: AnalyticShape,
  scan: PhantomScanOptions,
  convert: Omit<ConvertParams, 'segmentation'> & { segmentation?: ConvertParams['segmentation'] },
  ctx: StageContext = {},
): Promise<PhantomValidation> {
  const bg = scan.background_hu ?? 40;
  const fg = scan.object_hu ?? 1200;
  // Halfway between background and object: the threshold that places the boundary without bias.
  const threshold = Math.round((bg + fg) / 2);
  const series = scanPhantom(shape, scan);
  const files = writeCtSeries(series.slices, series.options);
  const sources: DicomSource[] = files.map((bytes, k) => ({ name: `${shape.kind}/slice${k + 1}.dcm`, read: async () => bytes }));
  const imp = await importSeries(sources, { inputLabel: `${shape.kind} phantom` }, ctx);
  const result = await convertVolume(
    { volume: imp.output.volume, modality: 'CT', importFindings: imp.record.findings ?? [] },
    { ...convert, segmentation: convert.segmentation ?? { method: { method: 'threshold', ranges: [[threshold, 3071]] } }, force: true },
    ctx,
  );
  const model = result.models[0]!;
  const measures = measureAgainstShape(model.mesh, shape);
  const tol = Math.max(0.5, 0.5 * Math.max(...scan.voxel_mm));
  const c = model.check;
  const pass = c.closed && c.manifold && c.oriented && Math.abs(measures.volumeErrorPercent) <= 2 && measures.surfaceDistance.p95_mm <= tol;
  const record: StageRecord = {
    stage: 'validate',
    method: 'analytic-phantom',
    params: { phantom: shape.describe, kind: shape.kind, scan, threshold_HU: threshold, tolerance: { volumeErrorPercent: 2, p95_mm: tol } },
    figures: {
      volume_mm3: round(measures.volume_mm3, 2),
      volumeTrue_mm3: round(measures.volumeTrue_mm3, 2),
      volumeErrorPercent: round(measures.volumeErrorPercent, 3),
      surfaceDistance_mean_mm: round(measures.surfaceDistance.mean_mm, 4),
      surfaceDistance_p95_mm: round(measures.surfaceDistance.p95_mm, 4),
      surfaceDistance_max_mm: round(measures.surfaceDistance.max_mm, 4),
      surfaceDistance_signedMean_mm: round(measures.surfaceDistance.signedMean_mm, 4),
      wallThickness_true_mm: measures.wallThickness?.true_mm ?? null,
      wallThickness_measured_mm: measures.wallThickness ? round(measures.wallThickness.measured_mm, 4) : null,
      wallThickness_error_mm: measures.wallThickness ? round(measures.wallThickness.error_mm, 4) : null,
      pass,
    },
  };
  return {
    phantom: { kind: shape.kind, ...shape.describe },
    scan,
    threshold_HU: threshold,
    measures,
    checks: { closed: c.closed, manifold: c.manifold, oriented: c.oriented, shells: c.shells, triangles: c.triangles },
    pass,
    records: [imp.record, ...result.records, ...model.records, record],
  };
}
