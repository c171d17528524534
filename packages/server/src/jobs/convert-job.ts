/**
 * Runs one claimed `convert` job: the case's stored (anonymised) files in, core's
 * runConvertJob — the same function the CLI and the browser call — and its outputs
 * written to the object store under this attempt's own prefix. Artifact rows are added
 * only with the job's success, in one transaction, so a crash never lists a partial file.
 */
import { convertJobSettings, needsForestModel, type ConvertJobRequest, type ConvertJobSettings, type DicomSource, type Report } from '@scan2print/core';
import type { Job } from '../db/schema.js';
import type { Services } from '../context.js';
import { labForestModel } from '../routes/forest-model.js';

export class JobStopped extends Error {
  constructor(readonly why: 'cancel' | 'lost') {
    super(why === 'cancel' ? 'cancelled' : 'lease lost');
  }
}

export interface ArtifactOut {
  kind: string;
  name: string;
  objectKey: string;
  mediaType: string;
  sha256: string;
  bytes: number;
}

const KINDS: Array<[RegExp, string, string]> = [
  [/^preview\.stl$/, 'preview', 'model/stl'],
  [/\.3mf$/, 'model', 'model/3mf'],
  [/\.stl$/, 'model', 'model/stl'],
  [/^volume\.nii\.gz$/, 'volume', 'application/gzip'],
  [/^volume-preview\.nii\.gz$/, 'volume-preview', 'application/gzip'],
  [/\.nii\.gz$/, 'labels', 'application/gzip'],
  [/\.json$/, 'report-json', 'application/json'],
  [/\.html$/, 'report-html', 'text/html; charset=utf-8'],
];

function kindOf(name: string): { kind: string; mediaType: string } {
  const k = KINDS.find(([re]) => re.test(name));
  return k ? { kind: k[1], mediaType: k[2] } : { kind: 'other', mediaType: 'application/octet-stream' };
}

export function attemptPrefix(job: Pick<Job, 'id' | 'attempts'>): string {
  return `jobs/${job.id}/${job.attempts}/`;
}

/** Every attempt's outputs of a job; only the attempt holding the lease writes under it. */
export function jobPrefix(job: Pick<Job, 'id'>): string {
  return `jobs/${job.id}/`;
}

export async function runConvert(
  s: Services,
  job: Job,
  progress: (fraction: number, stage: string) => void,
): Promise<{ artifacts: ArtifactOut[]; summary: unknown }> {
  const settings = convertJobSettings(job.params as Record<string, unknown>);
  const files = await s.db.selectFrom('files').select(['name', 'object_key']).where('case_id', '=', job.case_id).orderBy('name').execute();
  // A lab's own forest (the admin's setting) instead of the host's shipped one.
  const forestModel = needsForestModel(settings.segmentation) ? await labForestModel(s) : undefined;
  return runCoreJob(s, job, files.map((f) => ({ name: f.name, key: f.object_key })), settings, forestModel ? { forestModel } : {}, progress);
}

/** The file names every model job (convert, mesh) gives its outputs; `volume` is the CT under the labels. */
export function jobOutputs(tissue: string): ConvertJobRequest['outputs'] {
  const t = tissue.replace(/[^A-Za-z0-9_-]/g, '_') || 'model';
  return { models: [`${t}.3mf`, `${t}.stl`], preview: 'preview.stl', labels: 'labels.nii.gz', volume: 'volume.nii.gz', volumePreview: 'volume-preview.nii.gz', reportJson: 'report.json', reportHtml: 'report.html' };
}

/**
 * Runs core's job (s.executeConvert: the convert thread, or inline) on objects of the store
 * and writes its outputs under this attempt's prefix. A convert reads the case's files; a
 * mesh job reads an edited label map and the CT volume (`extra.fromLabels`).
 */
export async function runCoreJob(
  s: Services,
  job: Job,
  inputs: Array<{ name: string; key: string }>,
  settings: ConvertJobSettings,
  extra: Pick<ConvertJobRequest, 'fromLabels' | 'forestModel'>,
  progress: (fraction: number, stage: string) => void,
): Promise<{ artifacts: ArtifactOut[]; summary: unknown }> {
  // Core's import lists a file it cannot read and goes on with the rest: right for a bad file,
  // wrong for a store that stopped answering (a model from half the slices). Such a failure
  // is kept and fails the attempt instead, whatever core made of it.
  let storeFailure: { error: unknown } | undefined;
  const sources: DicomSource[] = inputs.map((f) => ({
    name: f.name,
    read: () =>
      s.store.get(f.key).catch((error: unknown) => {
        storeFailure ??= { error };
        throw error;
      }),
  }));
  const prefix = attemptPrefix(job);
  // Outputs of earlier attempts that died half-way are never listed; drop their bytes too.
  // This attempt holds the lease, so no other attempt of the job writes under the prefix now.
  await s.store.deletePrefix(jobPrefix(job));
  const req: ConvertJobRequest = {
    sources,
    inputLabel: `case ${job.case_id}`,
    ...(settings.series !== undefined ? { series: settings.series } : {}),
    segmentation: settings.segmentation,
    condition: settings.condition,
    ...(settings.decimateRatio !== undefined ? { decimateRatio: settings.decimateRatio } : {}),
    ...(settings.purpose !== undefined ? { purpose: settings.purpose } : {}),
    tissue: settings.tissue,
    force: settings.force,
    outputs: jobOutputs(settings.tissue),
    // The job's creation time stamps the report: a retry makes the same bytes.
    now: new Date(job.created_at),
    ...extra,
  };
  const hooks = { progress: (f: number, m?: string) => progress(f, m ?? ''), sink: (name: string, bytes: Uint8Array) => s.store.put(prefix + name, bytes) };
  try {
    const result = await s.executeConvert(req, hooks);
    if (storeFailure) throw storeFailure.error;
    const artifacts = result.outputs.map((o) => ({ ...kindOf(o.name), name: o.name, objectKey: prefix + o.name, sha256: o.sha256, bytes: o.bytes }));
    return { artifacts, summary: summarise(result.report) };
  } catch (e) {
    // An input error core raised because a file could not be read is the store's failure.
    throw storeFailure && !(e instanceof JobStopped) ? storeFailure.error : e;
  }
}

/** What a status call shows: findings and each model's checks, not the whole report. */
function summarise(r: Report) {
  return {
    findings: r.findings,
    models: r.models.map((m) => ({ name: m.name, checks: m.checks, accuracy: m.accuracy ?? null })),
  };
}
