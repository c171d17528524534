/**
 * Assembles the ISO/IEC 3532-1 report from stage records, and only from them.
 *
 * Shared records (one per run): `request` (purpose, tissue, forced), `environment`
 * (software and library versions), `input` (files, checksum), `import` (grid and
 * acquisition protocol), `assess` (findings). Per model (one per threshold): the
 * segmentation records up to the first `surface` record, the reconstruction records
 * from it on; `gate` gives the mesh checks, `accuracy` the 2D→3D figures, `export`
 * the output files and checksums.
 */
import type { Finding, StageRecord } from '../pipeline/record.js';
import { REPORT_SCHEMA, reportSchema, type Report } from './schema.js';

export interface ReportInput {
  records: StageRecord[];
  models: Array<{ name: string; records: StageRecord[] }>;
  /** ISO 8601 time stamp the caller decides (fixed in tests for byte-identical reports). */
  generatedAt: string;
}

type Obj = Record<string, unknown>;

/** Shared records that describe segmentation (the rest of the shared records are import, assessment, request …). */
const SEGMENTATION_STAGES = new Set(['preprocess', 'segment']);

function find(records: StageRecord[], stage: string): StageRecord | undefined {
  return records.find((r) => r.stage === stage);
}
function str(v: unknown): string | null {
  return typeof v === 'string' && v.length ? v : null;
}
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function nums(v: unknown): number[] | null {
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null;
}
/** First defined value among several key paths (records of different stages name things slightly differently). */
function pick(o: Obj | undefined, ...keys: string[]): unknown {
  if (!o) return undefined;
  for (const k of keys) {
    let cur: unknown = o;
    for (const part of k.split('.')) cur = cur && typeof cur === 'object' ? (cur as Obj)[part] : undefined;
    if (cur !== undefined && cur !== null) return cur;
  }
  return undefined;
}

export function assembleReport(input: ReportInput): Report {
  const all = [...input.records, ...input.models.flatMap((m) => m.records)];
  const request = find(input.records, 'request');
  const env = find(input.records, 'environment');
  const inp = find(input.records, 'input');
  const imp = find(input.records, 'import');
  const f = imp?.figures as Obj | undefined;
  const acq = (pick(f, 'acquisition') ?? {}) as Obj;
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const r of all)
    for (const fi of r.findings ?? []) {
      const key = `${fi.code}|${fi.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        findings.push(fi);
      }
    }

  const report: Report = {
    schema: REPORT_SCHEMA,
    generatedAt: input.generatedAt,
    software: {
      name: 'scan2print',
      version: String(pick(env?.figures, 'version') ?? 'unknown'),
      libraries: (pick(env?.figures, 'libraries') ?? {}) as Record<string, string>,
    },
    request: {
      purpose: str(pick(request?.params, 'purpose')),
      tissue: str(pick(request?.params, 'tissue')) ?? 'bone',
      forced: pick(request?.params, 'force') === true,
    },
    input: {
      files: num(pick(inp?.figures, 'files')) ?? 0,
      skippedFiles: num(pick(inp?.figures, 'skippedFiles')) ?? 0,
      sha256: str(pick(inp?.figures, 'sha256')),
      seriesInstanceUid: str(pick(f, 'seriesInstanceUid', 'series.uid')),
      seriesDescription: str(pick(f, 'seriesDescription', 'series.description')),
    },
    acquisition: {
      manufacturer: str(pick(acq, 'manufacturer')),
      model: str(pick(acq, 'manufacturerModelName', 'model')),
      kvp: num(pick(acq, 'kvp')),
      exposure_mAs: num(pick(acq, 'exposure_mAs')),
      convolutionKernel: str(pick(acq, 'convolutionKernel')),
      sliceThickness_mm: num(pick(f, 'acquisition.sliceThickness_mm', 'sliceThicknessTag_mm')),
      sliceStep_mm: num(pick(f, 'sliceSteps_mm.median', 'sliceSteps.median', 'outputStep_mm')),
      pixelSpacing_mm: nums(pick(f, 'pixelSpacing_mm', 'sourcePixelSpacing_mm')),
      dims: nums(pick(f, 'dims', 'grid.dims')),
      spacing_mm: nums(pick(f, 'spacing_mm', 'grid.spacing_mm')),
      direction: nums(pick(f, 'direction', 'grid.direction')),
      tiltDegrees: num(pick(f, 'tiltDegrees')),
    },
    findings,
    segmentation: [],
    reconstruction: [],
    models: [],
    stages: all.map((r) => ({ stage: r.stage, method: r.method, wall_ms: r.wall_ms ?? null, peakRss_bytes: r.peakRss_bytes ?? null })),
    records: all,
  };

  // Segmentation shared by all models (preprocessing, the method, e.g. the auto-threshold histogram) comes first.
  report.segmentation.push(...input.records.filter((r) => SEGMENTATION_STAGES.has(r.stage)));
  for (const m of input.models) {
    const cut = m.records.findIndex((r) => r.stage === 'surface');
    const seg = cut < 0 ? m.records : m.records.slice(0, cut);
    const rec = cut < 0 ? [] : m.records.slice(cut);
    report.segmentation.push(...seg);
    report.reconstruction.push(...rec.filter((r) => r.stage !== 'export'));
    const gate = [...m.records].reverse().find((r) => r.stage === 'gate');
    const accuracy = find(m.records, 'accuracy');
    const threshold = pick(seg.find((r) => r.stage === 'segment' && r.method === 'label-map')?.params, 'range_HU') ?? pick(seg.find((r) => r.stage === 'segment')?.figures, 'threshold', 'threshold_HU');
    report.models.push({
      name: m.name,
      ...(threshold !== undefined ? { threshold } : {}),
      checks: (gate?.figures ?? {}) as Record<string, unknown>,
      accuracy: (accuracy?.figures as Record<string, unknown>) ?? null,
      outputs: m.records
        .filter((r) => r.stage === 'export')
        .map((r) => ({
          file: String(r.figures.file ?? ''),
          format: String(r.params.format ?? r.method),
          bytes: Number(r.figures.bytes ?? 0),
          sha256: String(r.figures.sha256 ?? ''),
        })),
    });
  }
  const anatomy = anatomyOf(all);
  if (anatomy) report.anatomy = anatomy;
  return reportSchema.parse(report);
}

/** The identification record (anatomy/identify.ts) as the report's `anatomy` section; `modelled` from the structure models' records. */
function anatomyOf(all: StageRecord[]): Report['anatomy'] {
  const id = all.find((r) => r.stage === 'segment' && r.method === 'anatomy-identification');
  if (!id) return undefined;
  const modelled = new Set<string>();
  for (const r of all) {
    if (r.method !== 'anatomy-structures') continue;
    for (const s of (r.figures.structures as Array<{ name: string }> | undefined) ?? []) modelled.add(s.name);
  }
  const f = id.figures as Obj;
  const structures = ((f.structures as Array<Obj> | undefined) ?? []).map((s) => ({
    name: String(s.name),
    side: s.side === 'left' ? ('left' as const) : s.side === 'right' ? ('right' as const) : null,
    volume_mm3: num(s.volume_mm3) ?? 0,
    bbox_mm: nums(s.bbox_mm) ?? [],
    confidence: num(s.confidence) ?? 0,
    modelled: modelled.has(String(s.name)),
  }));
  return {
    graph: String(id.params.graph ?? ''),
    region: ((f.region as unknown[] | undefined) ?? []).map(String),
    structures,
    missing: (f.missing as Array<{ name: string; reason: string }> | undefined) ?? [],
    unassigned: (f.unassigned as Array<{ label: number; volume_mm3: number; reason: string }> | undefined) ?? [],
  };
}
