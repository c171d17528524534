/**
 * The case-list and case-page JSON as the server sends it, on top of
 * the lead's api/types.ts. Fields the server added later are optional here so that an older
 * server's rows still render.
 */
import type { CaseSummary, JobSummary } from '../api/types.js';

export type JobState = JobSummary['state'];

/** The latest job of a case as a case row carries it. */
export interface LatestJob {
  id: string;
  kind: string;
  state: JobState;
  progress: number;
  stage: string | null;
  error: string | null;
}

export interface Person {
  id: string;
  email: string;
}

export type Decision = 'approve' | 'request-changes';

export interface ReviewSummary {
  decision: Decision;
  by: string | Person;
  at: string;
}

/** One row of GET /api/cases and one `case` event of GET /api/events. */
export interface CaseRow extends CaseSummary {
  latestJob?: LatestJob | null;
  assignee?: Person | null;
  files?: number;
  review?: ReviewSummary | null;
}

/** GET /api/jobs/:id and each `job` event of /api/jobs/:id/events. */
export interface JobDetail {
  id: string;
  caseId: string;
  kind: string;
  state: JobState;
  progress: number;
  stage: string | null;
  error?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface CaseDetailRow extends CaseRow {
  series: Array<{ seriesInstanceUid: string | null; files: number; bytes: number }>;
  jobs: Array<{ id: string; kind: string; state: JobState; progress: number; createdAt: string }>;
}

export interface OrgUser {
  id: string;
  email: string;
  role: string;
}

export interface Review {
  id: string;
  decision: Decision;
  jobId: string | null;
  by: string | Person;
  at: string;
  comment?: string | null;
}

export interface CaseComment {
  id: string;
  body: string;
  author: string | Person;
  createdAt: string;
  point?: { x: number; y: number; z: number } | null;
  jobId?: string | null;
}

export interface VersionArtifact {
  id: string;
  kind: string;
  name: string;
  bytes: number;
  sha256: string;
}

export interface ModelVersion {
  version: number;
  jobId: string;
  kind: string;
  createdAt: string;
  createdBy: string | Person;
  state: JobState;
  artifacts: VersionArtifact[];
}
