/**
 * A `mesh` job: a model rebuilt from an edited label map (POST /api/cases/:id/labels).
 *
 * Where it runs: through s.executeConvert like a convert (the CLI's convert thread under
 * `serve`/`worker`, inline otherwise), as core's runConvertJob with `fromLabels`. Meshing a
 * full-size label map is seconds of CPU in long synchronous stretches, which on the API's
 * main thread would stall every request; and it is core's one job function, so the model
 * goes through the same meshLabelMap → condition → gate → accuracy → export → report as the
 * convert it corrects, with that convert's parameters.
 */
import { convertJobSettings, inputError, type ConvertJobParams } from '@scan2print/core';
import type { Kysely } from 'kysely';
import type { Database, Job } from '../db/schema.js';
import type { Services } from '../context.js';
import { runCoreJob, type ArtifactOut } from './convert-job.js';

export interface MeshJobParams {
  /** The model job whose label map was edited (its volume is the CT under the edit). */
  baseJobId: string;
  /** Object key of the edited label map (NIfTI, as sent). */
  labels: string;
}

/** The convert a model descends from (through earlier rebuilds): its parameters are the rebuild's. */
export async function rootConvert(db: Kysely<Database>, caseId: string, jobId: string): Promise<Job> {
  const seen = new Set<string>();
  let id = jobId;
  for (;;) {
    const j = await db.selectFrom('jobs').selectAll().where('id', '=', id).where('case_id', '=', caseId).executeTakeFirst();
    if (!j) throw inputError('NO_BASE_JOB', `base job ${id} is not a job of case ${caseId}`);
    if (j.kind === 'convert') return j;
    const next = (j.params as Partial<MeshJobParams>).baseJobId;
    if (j.kind !== 'mesh' || !next || seen.has(next)) throw inputError('NO_BASE_JOB', `job ${id} (${j.kind}) does not descend from a convert`);
    seen.add(id);
    id = next;
  }
}

export async function runMesh(
  s: Services,
  job: Job,
  progress: (fraction: number, stage: string) => void,
): Promise<{ artifacts: ArtifactOut[]; summary: unknown }> {
  const p = job.params as MeshJobParams;
  const root = await rootConvert(s.db, job.case_id, p.baseJobId);
  const settings = convertJobSettings(root.params as ConvertJobParams);
  const volume = await s.db
    .selectFrom('artifacts')
    .select('object_key')
    .where('job_id', '=', p.baseJobId)
    .where('kind', '=', 'volume')
    .executeTakeFirst();
  if (!volume) throw inputError('NO_VOLUME', `base job ${p.baseJobId} has no CT volume (volume.nii.gz); rebuild from a newer model`);
  const inputs = [
    { name: 'edited-labels.nii', key: p.labels },
    { name: 'volume.nii.gz', key: volume.object_key },
  ];
  return runCoreJob(s, job, inputs, settings, { fromLabels: { labels: inputs[0]!.name, volume: inputs[1]!.name } }, progress);
}
