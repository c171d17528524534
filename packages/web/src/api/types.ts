/** The JSON the server sends (packages/server/src/routes), as the app reads it. */
export interface CaseSummary {
  id: string;
  purpose: string;
  anatomy: string;
  dueDate: string | null;
  notes: string | null;
  status: string;
  createdBy: string;
  createdAt: string;
}

export interface JobSummary {
  id: string;
  kind: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  progress: number;
  createdAt: string;
}

export interface CaseDetail extends CaseSummary {
  series: Array<{ seriesInstanceUid: string | null; files: number; bytes: number }>;
  jobs: JobSummary[];
}

export interface Artifact {
  id: string;
  jobId: string;
  kind: string;
  name: string;
  mediaType: string;
  sha256: string;
  bytes: number;
}
