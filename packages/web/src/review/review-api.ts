/**
 * What the review page asks the server: the case's latest succeeded model version and its
 * artifacts (CT volume, label map, preview mesh), the rebuild from an edited label map, and
 * the rebuild job's state.
 */
import { api, request } from '../api/client.js';
import type { Artifact, CaseDetail, JobSummary } from '../api/types.js';

/** Jobs that make a model version (GET /api/cases/:id/versions). */
const MODEL_JOBS = ['convert', 'mesh'];

export interface ModelVersion {
  job: JobSummary;
  volume: Artifact | undefined;
  /** volume-preview.nii.gz: ~2 MB, shown before the ~40 MB volume (absent on older jobs). */
  volumePreview: Artifact | undefined;
  labels: Artifact | undefined;
  preview: Artifact | undefined;
}

export function latestModelJob(jobs: JobSummary[]): JobSummary | undefined {
  return jobs
    .filter((j) => MODEL_JOBS.includes(j.kind) && j.state === 'succeeded')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .at(-1);
}

export async function loadLatestVersion(caseId: string): Promise<{ detail: CaseDetail; version: ModelVersion | null }> {
  // Both at once: one round trip before the CT can be fetched, not two.
  const [detail, all] = await Promise.all([
    api<CaseDetail>('GET', `/api/cases/${encodeURIComponent(caseId)}`),
    api<Artifact[]>('GET', `/api/cases/${encodeURIComponent(caseId)}/artifacts`),
  ]);
  const job = latestModelJob(detail.jobs);
  if (!job) return { detail, version: null };
  const arts = all.filter((a) => a.jobId === job.id);
  const of = (kind: string) => arts.find((a) => a.kind === kind);
  return { detail, version: { job, volume: of('volume'), volumePreview: of('volume-preview'), labels: of('labels'), preview: of('preview') } };
}

/** Where an artifact's bytes are (same origin; a worker may fetch it with the session cookie). */
export function artifactUrl(a: Artifact): string {
  return `/api/artifacts/${encodeURIComponent(a.id)}`;
}

export async function artifactBytes(a: Artifact): Promise<Uint8Array> {
  const r = await request('GET', artifactUrl(a));
  return new Uint8Array(await r.arrayBuffer());
}

/** Sends the edited label map (gzipped NIfTI); the server queues a mesh job and answers its id. */
export async function rebuildFromLabels(caseId: string, baseJobId: string, niftiGz: Uint8Array): Promise<string> {
  const r = await api<{ jobId: string }>('POST', `/api/cases/${encodeURIComponent(caseId)}/labels?baseJob=${encodeURIComponent(baseJobId)}`, niftiGz, {
    headers: { 'content-type': 'application/gzip' },
  });
  return r.jobId;
}

export interface JobState {
  id: string;
  state: JobSummary['state'];
  progress: number;
  stage?: string | null;
  error?: { code?: string; message?: string } | string | null;
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/**
 * Follows a job over its event stream (GET /api/jobs/:id/events, `job` events) until it
 * ends; returns a function that stops following. EventSource reconnects by itself when the
 * stream drops; the server ends the stream when the job ends.
 */
export function followJob(jobId: string, onState: (j: JobState) => void): () => void {
  const es = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/events`);
  es.addEventListener('job', (ev) => {
    const j = JSON.parse((ev as MessageEvent<string>).data) as JobState;
    onState(j);
    if (TERMINAL.includes(j.state)) es.close();
  });
  return () => es.close();
}

export function jobErrorText(j: JobState): string {
  if (!j.error) return j.state;
  return typeof j.error === 'string' ? j.error : (j.error.message ?? j.error.code ?? j.state);
}
