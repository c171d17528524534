/**
 * The names of a convert job's outputs: one file per model where several thresholds give several
 * models (model_t226.3mf), and the whole list before any work, for a host to check them first.
 */
import { CT_MAX_HU } from '../segment/presets.js';
import type { ConvertModel } from './convert.js';
import type { ConvertJobOutputs } from './job-types.js';
import { round, type StageRecord } from './record.js';

/** model.3mf → model_t226.3mf when several thresholds give several models. */
export function modelFileName(file: string, model: Pick<ConvertModel, 'range'>, many: boolean): string {
  if (!many || !model.range) return file;
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  const m = /(\.nii\.gz|\.[^.]+)$/i.exec(file.slice(slash + 1));
  const ext = m ? m[1]! : '';
  const tag = model.range[1] === CT_MAX_HU ? `t${model.range[0]}` : `t${model.range[0]}-${model.range[1]}`;
  return `${file.slice(0, file.length - ext.length)}_${tag}${ext}`;
}

/** The last path component (outputs are recorded by name only: folders can hold a patient's name). */
export function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

/** Every output name the job will write for `count` models (all of them, before any work). */
export function plannedOutputs(outputs: ConvertJobOutputs, ranges: Array<ConvertModel['range']>): string[] {
  const many = ranges.length > 1;
  const names: string[] = [];
  for (const range of ranges) {
    const m = range ? { range } : {};
    for (const f of outputs.models) names.push(modelFileName(f, m, many));
    if (outputs.preview) names.push(modelFileName(outputs.preview, m, many));
    if (outputs.labels) names.push(modelFileName(outputs.labels, m, many));
  }
  if (outputs.volume) names.push(outputs.volume);
  if (outputs.volumePreview) names.push(outputs.volumePreview);
  if (outputs.reportJson) names.push(outputs.reportJson);
  if (outputs.reportHtml) names.push(outputs.reportHtml);
  return names;
}

/**
 * The record of one file written: its format, units and frame, name, size and hash, and the
 * time since `t0` (performance.now() when the export began making the file: making the bytes on
 * the job's thread, or waiting for them, and saving them).
 */
export function exportRecord(format: string, units: string, name: string, bytes: Uint8Array, sha256: string, t0: number, params: Record<string, unknown> = {}): StageRecord {
  return {
    stage: 'export',
    method: format,
    params: { format, units, frame: 'DICOM patient coordinates (LPS)', ...params },
    figures: { file: baseName(name), bytes: bytes.length, sha256 },
    wall_ms: round(performance.now() - t0, 1),
  };
}
