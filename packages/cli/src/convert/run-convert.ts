/**
 * The whole `convert` job on the host side: inputs → import → core convert pipeline →
 * exports (temp + rename) → ISO report (JSON + HTML). Used by `convert` and `demo`.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, extname, join } from 'node:path';
import {
  assembleReport,
  convertVolume,
  importSeries,
  meshFormatOf,
  previewMesh,
  renderReportHtml,
  SCAN2PRINT_VERSION,
  writeMesh,
  writeNifti,
  type ConditionParams,
  type ConvertModel,
  type DicomSource,
  type Report,
  type SegmentationOptions,
  type StageRecord,
} from '@scan2print/core';
import { lazyNodePool } from '../io/import-input.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { sha256Hex } from '../util/checksum.js';
import { createPeakMemorySampler } from '../util/memory.js';
import type { Progress } from '../util/progress.js';
import { libraryVersions } from '../util/versions.js';
import { reportImages } from './report-images.js';

export interface ConvertJob {
  sources: DicomSource[];
  inputLabel: string;
  series?: string;
  segmentation: SegmentationOptions;
  condition: ConditionParams;
  decimateRatio?: number;
  outputs: string[];
  ascii?: boolean;
  preview?: string;
  labelsOut?: string;
  reportJson?: string;
  reportHtml?: string;
  purpose?: string;
  tissue: string;
  force: boolean;
  /** ISO 8601 time for the report and 3MF (SOURCE_DATE_EPOCH when set, for reproducible output). */
  now: Date;
  progress: Progress;
}

export interface ConvertOutcome {
  report: Report;
  models: ConvertModel[];
  written: Array<{ file: string; bytes: number; sha256: string }>;
}

/** A model's output file: model.3mf → model_t226.3mf when several thresholds give several models. */
export function modelFileName(file: string, model: ConvertModel, many: boolean): string {
  if (!many || !model.range) return file;
  const ext = extname(file);
  const tag = model.range[1] === 3071 ? `t${model.range[0]}` : `t${model.range[0]}-${model.range[1]}`;
  return join(dirname(file), `${basename(file, ext)}_${tag}${ext}`);
}

/** Reads each source once through the import, hashing it on the way (no extra read). */
function hashingSources(sources: DicomSource[]): { sources: DicomSource[]; digest: () => { files: number; sha256: string } } {
  const perFile = new Map<string, { sha256: string; bytes: number }>();
  const wrapped = sources.map((s) => ({
    name: s.name,
    async read() {
      const b = await s.read();
      if (!perFile.has(s.name)) perFile.set(s.name, { sha256: sha256Hex(b), bytes: b.length });
      return b;
    },
  }));
  return {
    sources: wrapped,
    digest() {
      const h = createHash('sha256');
      for (const name of [...perFile.keys()].sort()) {
        const f = perFile.get(name)!;
        h.update(`${f.bytes} ${f.sha256}\n`);
      }
      return { files: perFile.size, sha256: h.digest('hex') };
    },
  };
}

export async function runConvert(job: ConvertJob): Promise<ConvertOutcome> {
  const records: StageRecord[] = [];
  const memory = createPeakMemorySampler();
  const pool = lazyNodePool();
  const progress = job.progress;
  const ctxBase = { pool, peakMemory: memory.peakSinceLast };
  try {
    records.push({
      stage: 'request',
      method: 'convert',
      params: {
        purpose: job.purpose ?? null,
        tissue: job.tissue,
        force: job.force,
        series: job.series ?? null,
        segmentation: job.segmentation,
        condition: job.condition,
        decimateRatio: job.decimateRatio ?? null,
        outputs: job.outputs.map((o) => basename(o)),
      },
      figures: {},
      ...(job.force ? { notes: ['--force: models are built even if the input assessment finds errors'] } : {}),
    });
    records.push({ stage: 'environment', method: 'software', params: {}, figures: { version: SCAN2PRINT_VERSION, libraries: libraryVersions() } });

    progress.stage('import');
    const hashing = hashingSources(job.sources);
    const imp = await importSeries(hashing.sources, { ...(job.series !== undefined ? { series: job.series } : {}), inputLabel: job.inputLabel }, {
      ...ctxBase,
      progress: (f, m) => progress.update(f, m),
    });
    const digest = hashing.digest();
    records.push({
      stage: 'input',
      method: 'read-files',
      params: { checksum: 'SHA-256 over "<bytes> <sha256>\\n" of every source file, in sorted path order' },
      figures: { files: job.sources.length, skippedFiles: imp.output.skipped.notDicom.length, sha256: digest.sha256 },
    });
    const first = imp.output.instances[0];
    imp.record.figures.acquisition = first ? { ...first.acquisition, sliceThickness_mm: first.sliceThickness ?? null } : {};
    imp.record.figures.seriesInstanceUid = imp.output.chosen.uid;
    imp.record.figures.seriesDescription = imp.output.chosen.description ?? null;
    records.push(imp.record);
    imp.record.peakRss_bytes = memory.peakSinceLast();

    progress.stage('convert');
    const result = await convertVolume(
      { volume: imp.output.volume, ...(imp.output.chosen.modality ? { modality: imp.output.chosen.modality } : {}), importFindings: imp.record.findings ?? [] },
      { segmentation: job.segmentation, condition: job.condition, force: job.force, tissue: job.tissue, ...(job.decimateRatio !== undefined ? { decimateRatio: job.decimateRatio } : {}) },
      { ...ctxBase, progress: (f, m) => progress.update(f, m) },
    );
    records.push(...result.records);

    progress.stage('export');
    const many = result.models.length > 1;
    const date = job.now.toISOString();
    const written: ConvertOutcome['written'] = [];
    for (const model of result.models) {
      const files: Array<{ file: string; bytes: Uint8Array; format: string }> = [];
      for (const out of job.outputs) {
        const file = modelFileName(out, model, many);
        files.push({ file, format: meshFormatOf(file) ?? 'unknown', bytes: writeMesh(model.mesh, file, { ascii: job.ascii === true, title: `${model.name} (scan2print)`, creationDate: date.slice(0, 10), name: model.name }) });
      }
      if (job.preview) {
        const pv = await previewMesh(model.mesh);
        model.records.push(pv.record);
        const file = modelFileName(job.preview, model, many);
        files.push({ file, format: `${meshFormatOf(file)}-preview`, bytes: writeMesh(pv.output, file, { title: `${model.name} preview`, creationDate: date.slice(0, 10), name: model.name }) });
      }
      if (job.labelsOut) {
        const file = modelFileName(job.labelsOut, model, many);
        files.push({ file, format: 'nifti-labels', bytes: writeNifti(model.labels, { gzip: /\.gz$/i.test(file), description: `${model.name} label map` }) });
      }
      for (const f of files) {
        writeFileAtomic(f.file, f.bytes);
        const sha256 = sha256Hex(f.bytes);
        written.push({ file: f.file, bytes: f.bytes.length, sha256 });
        model.records.push({ stage: 'export', method: f.format, params: { format: f.format, units: 'mm', frame: 'DICOM patient coordinates (LPS)' }, figures: { file: basename(f.file), bytes: f.bytes.length, sha256 } });
      }
    }

    const report = assembleReport({ records, models: result.models.map((m) => ({ name: m.name, records: m.records })), generatedAt: date });
    if (job.reportJson) {
      const bytes = `${JSON.stringify(report, null, 2)}\n`;
      writeFileAtomic(job.reportJson, bytes);
      written.push({ file: job.reportJson, bytes: Buffer.byteLength(bytes), sha256: sha256Hex(bytes) });
    }
    if (job.reportHtml) {
      progress.stage('report');
      const html = renderReportHtml(report, reportImages(result.volume, result.models));
      writeFileAtomic(job.reportHtml, html);
      written.push({ file: job.reportHtml, bytes: Buffer.byteLength(html), sha256: sha256Hex(html) });
    }
    progress.done();
    return { report, models: result.models, written };
  } finally {
    progress.done();
    memory.stop();
    await pool.close();
  }
}
