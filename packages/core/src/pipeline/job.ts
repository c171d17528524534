/**
 * The whole `convert` job, host-independent: import → assess → segment → surface →
 * condition → gate → accuracy → export bytes → report. The CLI, the server's workers and
 * the browser run exactly this; a host only supplies the file sources, a worker pool, a
 * sink for the output bytes (files, a stream, a download) and a progress callback.
 * Nothing here touches a file system: outputs are named byte arrays.
 * With `fromLabels` the same job rebuilds a model from a given (edited) label map: import and
 * segmentation are skipped, the rest (meshLabelMap, export, report) is the same code.
 */
import { preprocess, type PreprocessOptions } from '../segment/pipeline.js';
import { sameGrid, type Grid } from '../geometry/grid.js';
import { meshFormatOf, writeMesh, writeMeshAsync } from '../formats/mesh-read.js';
import { threeMfDeflateMethod } from '../formats/3mf.js';
import { gateShells, startPreviews, type GateShells } from './job-preview.js';
import { PREVIEW_VOXELS, previewFactor, previewVolume } from '../geometry/preview.js';
import { gzipSync } from 'fflate';
import { writeNifti } from '../formats/nifti-write.js';
import { assembleReport } from '../report/assemble.js';
import { renderReportHtml, type ReportImages } from '../report/html.js';
import { pngDataUri } from '../report/png.js';
import { renderMesh } from '../report/render-mesh.js';
import { renderSlice } from '../report/slices.js';
import { sha256, toHex } from '../anonymise/sha256.js';
import { SCAN2PRINT_VERSION } from '../version.js';
import { readNifti, readNiftiLabels } from '../formats/nifti.js';
import { inputError, usageError } from '../errors.js';
import type { LabelMap, Mesh, Volume } from '../geometry/types.js';
import type { MeshShells } from '../surface/mesh-utils.js';
import { convertVolume, meshLabelMap, type ConvertModel } from './convert.js';
import type { StageContext, StageName, StageRecord } from './record.js';
import { needsForestModel, withForestModel } from './convert-method.js';
import type { ConvertJobHost, ConvertJobRequest, ConvertJobResult, JobOutput, JobSink, SeriesChoice } from './job-types.js';
import { importForConvert } from './job-import.js';
import { earlyModelFiles, threeMfOptions, type EarlyModelFiles } from './job-early-3mf.js';
import { baseName, exportRecord, modelFileName } from './job-outputs.js';

export type { ConvertJobHost, ConvertJobOutputs, ConvertJobRequest, ConvertJobResult, JobOutput, JobSink, SeriesChoice } from './job-types.js';
export { describeSeries, seriesChoiceRecord } from './job-series.js';
export { baseName, modelFileName, plannedOutputs } from './job-outputs.js';

/** Overall progress: each phase's share of the whole job, in order (fractions of 1). */
const PHASES = { import: [0, 0.15], convert: [0.15, 0.85], export: [0.85, 0.92], report: [0.92, 1] } as const;

const utf8 = new TextEncoder();

/** Pictures for the HTML report, one at a time so progress moves and the event loop breathes. */
async function reportImages(volume: Volume, models: ConvertModel[], progress: (f: number, m: string) => void): Promise<ReportImages> {
  const labels = models[0]?.labels;
  const total = 3 + 2 * models.length;
  let done = 0;
  const step = async (what: string) => {
    progress(++done / total, what);
    await new Promise<void>((r) => setTimeout(r, 0));
  };
  const slices = [];
  for (const plane of ['axial', 'coronal', 'sagittal'] as const) {
    const img = renderSlice(volume, labels, plane);
    slices.push({ title: `${plane} slice ${img.index} with the ${models[0]?.name ?? ''} segmentation contour (red)`, dataUri: pngDataUri(img) });
    await step(`${plane} slice`);
  }
  const views = [];
  for (const m of models) {
    for (const view of ['anterior', 'left'] as const) {
      views.push({ title: `${m.name}: ${view} view (${m.mesh.indices.length / 3} triangles)`, dataUri: pngDataUri(renderMesh(m.mesh, view)) });
      await step(`${m.name} ${view} view`);
    }
  }
  return { slices, models: views };
}

/**
 * The imported CT as HU int16 on the label maps' grid. With the default parameters that is
 * the imported grid itself; a crop or an isotropic resampling put the labels on another
 * grid, so the same geometric steps are run again on the raw HU (no median, Gaussian or
 * window: a viewer shows the CT as scanned, not the smoothed field that was thresholded).
 */
export async function volumeOnLabelGrid(imported: Volume, labelGrid: Grid, pre: PreprocessOptions): Promise<Volume> {
  let v = imported;
  if (!sameGrid(v.grid, labelGrid)) {
    const geometric = { ...(pre.crop ? { crop: pre.crop } : {}), ...(pre.isotropic_mm !== undefined ? { isotropic_mm: pre.isotropic_mm } : {}) };
    v = (await preprocess(imported, geometric, {}, [])).volume;
    if (!sameGrid(v.grid, labelGrid)) throw new Error('volumeOnLabelGrid: the label maps are on a grid the crop and resampling do not give');
  }
  if (v.data instanceof Int16Array) return v;
  const hu = new Int16Array(v.data.length);
  for (let i = 0; i < hu.length; i++) hu[i] = Math.max(-32768, Math.min(32767, Math.round(v.data[i]!)));
  return { grid: v.grid, data: hu };
}

/**
 * gzip level of the CT volume output (volume.nii.gz): CT noise compresses little at any level
 * (the 140-slice phantom: 40.8 MB at level 1, 40.0 MB at 6, of 73.4 MB) while level 6 took twice
 * as long (native zlib on the loaded test machine: 6.8 s against 13.5 s, inflating 1.5 against
 * 1.7 s), and the review page inflates it before its first picture.
 */
export const VOLUME_GZIP_LEVEL = 1;

/** A NIfTI output's bytes, gzipped at `level` by the host's gzip where it gives one, else fflate. */
async function niftiBytes(img: Volume | LabelMap, name: string, description: string, host: ConvertJobHost, level = 6): Promise<Uint8Array> {
  const gz = /\.gz$/i.test(name);
  if (gz && host.gzip) return host.gzip(writeNifti(img, { description }), level);
  if (gz && level !== 6) return gzipSync(writeNifti(img, { description }), { level: level as 1, mtime: 0 });
  return writeNifti(img, { gzip: gz, description });
}

/**
 * Work made once: started early where the job would otherwise wait (a failure then waits for its
 * turn: the job fails with it when it is awaited), else made when due.
 */
function once<T>(make: () => Promise<T>): { start: () => void; started: () => boolean; get: () => Promise<T> } {
  let p: Promise<T> | undefined;
  return {
    start: () => {
      if (p) return;
      p = make();
      p.catch(() => {});
    },
    started: () => p !== undefined,
    get: () => (p ??= make()),
  };
}

/** What the first half of a job hands the export and the report: the models and the CT they are on. */
interface BuiltModels {
  models: ConvertModel[];
  /** The CT the labels are on, for the report's slice pictures (only when the report has them). */
  volume?: Volume;
  /** The `volume` output's bytes. */
  volumeBytes: () => Promise<Uint8Array>;
  /** The CT on the label maps' grid (the `volume` output's voxels). */
  ctOnLabelGrid: () => Promise<Volume>;
  series?: SeriesChoice;
}

/** The job's running state the two halves share: records, the overall percentage, the stage context. */
interface JobSteps {
  records: StageRecord[];
  hex: (b: Uint8Array) => string;
  phase: (name: keyof typeof PHASES, label: StageName | 'convert') => (f: number, m?: string) => void;
  ctx: (p: (f: number, m?: string) => void) => StageContext;
  early: EarlyModelFiles;
  /** The final meshes' shells from the conditioning, for the previews (where a preview is asked for). */
  shells?: GateShells;
}

export async function runConvertJob(req: ConvertJobRequest, host: ConvertJobHost = {}): Promise<ConvertJobResult> {
  const hex = host.sha256Hex ?? ((b: Uint8Array) => toHex(sha256(b)));
  const files = host.sink ? undefined : new Map<string, Uint8Array>();
  const sink: JobSink = host.sink ?? ((name, bytes) => void files!.set(name, bytes));
  const tissue = req.tissue ?? 'bone';
  const force = req.force === true;
  const records: StageRecord[] = [];
  // One overall percentage, never going back: each phase maps its own 0..1 into its share.
  let last = 0;
  const phase = (name: keyof typeof PHASES, label: StageName | 'convert') => (f: number, m?: string) => {
    const [a, b] = PHASES[name];
    last = Math.max(last, a + (b - a) * Math.min(1, Math.max(0, f)));
    host.progress?.(last, m ? `${label}: ${m}` : label);
  };
  const ctx = (p: (f: number, m?: string) => void): StageContext => ({
    ...(host.pool ? { pool: host.pool } : {}),
    ...(host.peakMemory ? { peakMemory: host.peakMemory } : {}),
    progress: p,
  });

  records.push({
    stage: 'request',
    method: req.fromLabels ? 'mesh-label-map' : 'convert',
    params: {
      purpose: req.purpose ?? null,
      tissue,
      force,
      series: req.series ?? null,
      segmentation: req.segmentation,
      condition: req.condition,
      decimateRatio: req.decimateRatio ?? null,
      placement: req.fromLabels ? 'smoothed label map (the CT threshold and edge are not used)' : (req.placement ?? 'edge'),
      outputs: req.outputs.models.map(baseName),
      ...(req.fromLabels ? { fromLabels: { labels: baseName(req.fromLabels.labels), volume: baseName(req.fromLabels.volume) } } : {}),
    },
    figures: {},
    ...(force ? { notes: ['--force: models are built even if the input assessment finds errors'] } : {}),
  });
  records.push({ stage: 'environment', method: 'software', params: {}, figures: { version: SCAN2PRINT_VERSION, libraries: host.libraries ?? {} } });

  const date = req.now.toISOString();
  const early = earlyModelFiles(req, host, date);
  const steps: JobSteps = { records, hex, phase, ctx, early, ...(req.outputs.preview ? { shells: gateShells() } : {}) };
  const built = req.fromLabels ? await modelsFromLabels(req, req.fromLabels, steps) : await modelsFromDicom(req, host, steps);

  const exportProgress = phase('export', 'export');
  const many = built.models.length > 1;
  const outputs: JobOutput[] = [];
  const emit = async (name: string, format: string, bytes: Uint8Array) => {
    const sha = hex(bytes);
    await sink(name, bytes);
    outputs.push({ name, format, bytes: bytes.length, sha256: sha });
    return sha;
  };
  const perModel = req.outputs.models.length + (req.outputs.preview ? 1 : 0) + (req.outputs.labels ? 1 : 0);
  const total = perModel * built.models.length + (req.outputs.volume ? 1 : 0) + (req.outputs.volumePreview ? 1 : 0);
  let made = 0;
  const previews = startPreviews(req.outputs.preview ? built.models : [], host, steps.shells);
  // While a preview runs on the pool, the model files leave this thread waiting for it: start
  // the CT volume's file now, so that a host's asynchronous gzip (the server's) runs meanwhile.
  const volumeFile = once(built.volumeBytes);
  if (previews.onPool && req.outputs.volume && built.models[0]) volumeFile.start();
  // What follows a preview on the pool and does not depend on it is made while this thread waits
  // for it, instead of after it: the report's pictures (three slices, each model rasterised twice:
  // ~1 s on a skull), the label maps' files and the CT preview's. Same bytes, same order of files.
  const volume = built.volume;
  const images = req.outputs.reportHtml && volume ? once(() => reportImages(volume, built.models, () => {})) : undefined;
  const labelFiles = new Map(built.models.map((m) => [m, once(() => niftiBytes(m.labels, modelFileName(req.outputs.labels ?? '', m, many), `${m.name} label map`, host))]));
  const ctPreview = once(async () => {
    const ct = await built.ctOnLabelGrid();
    const f = previewFactor(ct.grid.dims, PREVIEW_VOXELS);
    return { f, bytes: await niftiBytes(previewVolume(ct, f), req.outputs.volumePreview ?? '', `CT (HU) preview, every ${f}th voxel`, host) };
  });
  const whileWaiting = () => {
    if (!previews.onPool) return;
    images?.start();
    if (req.outputs.labels) for (const l of labelFiles.values()) l.start();
    if (req.outputs.volumePreview && built.models[0]) ctPreview.start();
  };
  for (const model of built.models) {
    // Per-structure models (--anatomy) name and colour their 3MF objects.
    const meshOpts = threeMfOptions(model, date);
    // early: a 3MF started on the pool beside the gate (its bytes, or undefined where it is written here)
    const files: Array<{ name: string; format: string; make: () => Promise<Uint8Array>; early?: Promise<Uint8Array | undefined> }> = [];
    const earlyFile = early.take(model);
    for (const out of req.outputs.models) {
      const name = modelFileName(out, model, many);
      const format = meshFormatOf(name) ?? 'unknown';
      const made3mf = format === '3mf' ? earlyFile : undefined;
      const make = async () => (await made3mf) ?? writeMeshAsync(model.mesh, name, { ...meshOpts, ascii: req.outputs.ascii === true }, host.pool, host.deflateRaw);
      files.push({ name, format, make, ...(made3mf ? { early: made3mf } : {}) });
    }
    if (req.outputs.preview) {
      const name = modelFileName(req.outputs.preview, model, many);
      files.push({
        name,
        format: `${meshFormatOf(name)}-preview`,
        make: async () => {
          whileWaiting();
          const pv = await previews.of.get(model)!();
          model.records.push(pv.record);
          return writeMesh(pv.output, name, { ...meshOpts, title: `${model.name} preview` });
        },
      });
    }
    if (req.outputs.labels) {
      const name = modelFileName(req.outputs.labels, model, many);
      files.push({ name, format: 'nifti-labels', make: () => labelFiles.get(model)!.get() });
    }
    for (const f of files) {
      exportProgress(made / total, baseName(f.name));
      const t0 = performance.now();
      const bytes = await f.make();
      const sha = await emit(f.name, f.format, bytes);
      // A 3MF model says how its model part was deflated (fflate, or the host's native zlib), and
      // where it was written: one made on the pool beside the gate took this thread only its wait.
      const deflate = f.format === '3mf' ? { deflate: threeMfDeflateMethod(host.deflateRaw) } : {};
      const where = f.early && (await f.early) === bytes ? { written: 'on a pool worker, started beside the gate and the accuracy (wall_ms: the wait for it after them, and the save)' } : {};
      model.records.push(exportRecord(f.format, 'mm', f.name, bytes, sha, t0, { ...deflate, ...where }));
      exportProgress(++made / total, baseName(f.name));
    }
  }
  if (req.outputs.volume && built.models[0]) {
    const name = req.outputs.volume;
    exportProgress(made / total, baseName(name));
    const t0 = performance.now();
    const bytes = await volumeFile.get();
    records.push(exportRecord('nifti-volume', 'HU, mm', name, bytes, await emit(name, 'nifti-volume', bytes), t0));
    exportProgress(++made / total, baseName(name));
  }
  if (req.outputs.volumePreview && built.models[0]) {
    const name = req.outputs.volumePreview;
    const t0 = performance.now();
    const { f, bytes } = await ctPreview.get();
    records.push(exportRecord('nifti-volume-preview', 'HU, mm', name, bytes, await emit(name, 'nifti-volume-preview', bytes), t0, { factor: f }));
    exportProgress(++made / total, baseName(name));
  }

  const reportProgress = phase('report', 'report');
  reportProgress(0);
  const report = assembleReport({ records, models: built.models.map((m) => ({ name: m.name, records: m.records })), generatedAt: date });
  if (req.outputs.reportJson) await emit(req.outputs.reportJson, 'report-json', utf8.encode(`${JSON.stringify(report, null, 2)}\n`));
  if (req.outputs.reportHtml) {
    if (!volume || !images) throw new Error('runConvertJob: the CT was not kept for the report pictures');
    const pictures = await (images.started() ? images.get() : reportImages(volume, built.models, (f, m) => reportProgress(0.05 + 0.9 * f, m)));
    await emit(req.outputs.reportHtml, 'report-html', utf8.encode(renderReportHtml(report, pictures)));
  }
  reportProgress(1);
  return { report, models: built.models, outputs, ...(files ? { files } : {}), ...(built.series ? { series: built.series } : {}) };
}

/** A convert: import the series, assess, segment, and build a model per label map (convertVolume). */
async function modelsFromDicom(req: ConvertJobRequest, host: ConvertJobHost, { records, hex, phase, ctx, early, shells }: JobSteps): Promise<BuiltModels> {
  const tissue = req.tissue ?? 'bone';
  const force = req.force === true;
  // The model first: a host without one fails the job before the import's seconds.
  const forest = needsForestModel(req.segmentation) ? withForestModel(req.segmentation, req.forestModel ?? (await host.forestModel?.()), hex) : undefined;
  const segmentation = forest?.segmentation ?? req.segmentation;
  const importProgress = phase('import', 'import');
  importProgress(0);
  const imported = await importForConvert(req, host, records, hex, ctx(importProgress));
  const series = imported.series;
  if (forest) records.push(forest.record);
  // The CT is kept for the outputs that show it; otherwise it goes once the models are placed.
  const keepCt = Boolean(req.outputs.volume || req.outputs.volumePreview || req.outputs.reportHtml);
  // Work started as each model's gate begins: its 3MF on the pool, its shells kept for the preview.
  const hooks = [early.start, shells?.note].filter((h) => h !== undefined);
  const beforeGate = hooks.length ? (mesh: Mesh, model: string, s: MeshShells) => hooks.forEach((h) => h(mesh, model, s)) : undefined;
  const ct = keepCt ? imported.takeVolume() : undefined;
  const result = await convertVolume(
    { volume: ct ?? imported.takeVolume(), ...(imported.modality ? { modality: imported.modality } : {}), importFindings: imported.findings },
    { segmentation, condition: req.condition, force, tissue, keepVolume: keepCt, ...(req.placement ? { placement: { placement: req.placement } } : {}), ...(req.decimateRatio !== undefined ? { decimateRatio: req.decimateRatio } : {}), ...(beforeGate ? { beforeGate } : {}) },
    ctx(phase('convert', 'convert')),
  );
  records.push(...result.records);
  let onGrid: Promise<Volume> | undefined;
  const ctOnLabelGrid = () => {
    if (!ct) throw new Error('modelsFromDicom: the CT was not kept for an output');
    return (onGrid ??= volumeOnLabelGrid(ct, result.models[0]?.labels.grid ?? result.volume?.grid ?? ct.grid, req.segmentation.preprocess ?? {}));
  };
  const volumeBytes = async () => niftiBytes(await ctOnLabelGrid(), req.outputs.volume ?? '', 'CT (HU) under the label map', host, VOLUME_GZIP_LEVEL);
  return { models: result.models, ...(result.volume ? { volume: result.volume } : {}), volumeBytes, ctOnLabelGrid, series };
}

/** What differs between two grids, in words (dims, spacing, origin, axes), or undefined when they are the same (sameGrid). */
export function gridMismatch(got: Grid, want: Grid): string | undefined {
  if (sameGrid(got, want)) return undefined;
  const fmt = (v: readonly number[], d = 4) => v.map((x) => Number(x.toFixed(d))).join(' × ');
  const diffs: string[] = [];
  if (got.dims.some((d, i) => d !== want.dims[i])) diffs.push(`dims ${fmt(got.dims, 0)} instead of ${fmt(want.dims, 0)}`);
  if (got.spacing_mm.some((d, i) => Math.abs(d - want.spacing_mm[i]!) > 1e-3)) diffs.push(`spacing ${fmt(got.spacing_mm)} mm instead of ${fmt(want.spacing_mm)} mm`);
  if (got.origin_mm.some((d, i) => Math.abs(d - want.origin_mm[i]!) > 1e-3)) diffs.push(`origin ${fmt(got.origin_mm, 3)} mm instead of ${fmt(want.origin_mm, 3)} mm (LPS)`);
  if (got.direction.some((d, i) => Math.abs(d - want.direction[i]!) > 1e-5)) diffs.push(`axes ${fmt(got.direction)} instead of ${fmt(want.direction)}`);
  return diffs.join('; ');
}

/**
 * A rebuild: the given label map (one model, every non-zero label) over the CT it was drawn
 * on. Vertices come from the smoothed mask, not the HU field: painted or erased voxels have no
 * CT edge at the threshold, and the field would pull the surface back to the unedited bone.
 */
async function modelsFromLabels(req: ConvertJobRequest, from: { labels: string; volume: string }, { records, hex, phase, ctx }: JobSteps): Promise<BuiltModels> {
  const importProgress = phase('import', 'import');
  importProgress(0);
  const source = (name: string) => {
    const s = req.sources.find((x) => x.name === name);
    if (!s) throw usageError('NO_SOURCE', `fromLabels names ${baseName(name)}, which is not one of the sources`);
    return s;
  };
  const labelBytes = await source(from.labels).read();
  const volumeFile = await source(from.volume).read();
  const labels = readNiftiLabels(labelBytes, baseName(from.labels));
  const ct = readNifti(volumeFile, baseName(from.volume)).volume;
  const mismatch = gridMismatch(labels.grid, ct.grid);
  if (mismatch) throw inputError('LABELS_GRID', `the label map is not on the CT's grid: ${mismatch}`, baseName(from.labels));
  records.push({
    stage: 'input',
    method: 'read-files',
    params: { checksum: 'SHA-256 of each file' },
    figures: { files: 2, skippedFiles: 0, sha256: hex(labelBytes), labels: { file: baseName(from.labels), sha256: hex(labelBytes) }, volume: { file: baseName(from.volume), sha256: hex(volumeFile) } },
  });
  const g = labels.grid;
  records.push({ stage: 'import', method: 'nifti-label-map', params: { labels: baseName(from.labels), volume: baseName(from.volume) }, figures: { dims: [...g.dims], spacing_mm: [...g.spacing_mm], direction: [...g.direction] } });
  importProgress(1);

  let voxels = 0;
  for (let i = 0; i < labels.data.length; i++) if (labels.data[i] !== 0) voxels++;
  if (voxels === 0) throw inputError('EMPTY_LABELS', 'the label map has no labelled voxel: there is nothing to mesh', baseName(from.labels));
  const name = req.tissue ?? 'bone';
  const built = await meshLabelMap(
    labels,
    { condition: { ...req.condition, name }, ...(req.decimateRatio !== undefined ? { decimateRatio: req.decimateRatio } : {}) },
    ctx(phase('convert', 'surface')),
  );
  const surface = built.records.find((r) => r.stage === 'surface');
  if (surface) (surface.notes ??= []).push('edited label map: vertices placed from the smoothed mask, not the CT threshold');
  const model: ConvertModel = {
    name,
    labels,
    mesh: built.mesh,
    check: built.check,
    printable: built.printable,
    records: [{ stage: 'segment', method: 'label-map', params: { source: baseName(from.labels), model: name }, figures: { voxels } }, ...built.records],
  };
  return { models: [model], volume: ct, volumeBytes: async () => volumeFile, ctOnLabelGrid: async () => ct };
}

