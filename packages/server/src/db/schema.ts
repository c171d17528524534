/**
 * Table types for Kysely. One schema for PGlite and PostgreSQL (migrations.ts creates it).
 * No column holds patient-identifying data: files are checked or anonymised before a row
 * or an object exists (routes/files.ts).
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { AuditTables } from './schema-audit.js';
import type { WorkflowTables } from './schema-workflow.js';
import type { CodeTables } from './schema-codes.js';
import type { PrintTables } from './schema-print.js';
import type { PacsTables } from './schema-pacs.js';

type CreatedAt = ColumnType<Date, string | undefined, never>;
type Json = ColumnType<unknown, string, string>;

export const ROLES = ['admin', 'org-admin', 'requester', 'engineer', 'reviewer', 'technician'] as const;
export type Role = (typeof ROLES)[number];

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Job kinds that make a model version (a convert, a rebuild from edited labels). */
export const MODEL_JOB_KINDS = ['convert', 'mesh'] as const;

export interface OrgsTable {
  id: string;
  name: string;
  /** When true, uploads that still carry identifying attributes are anonymised in memory instead of refused. */
  server_anonymise: Generated<boolean>;
  /** Key of the server-side anonymiser (PatientID hashes, UIDs): a secret, never patient data. */
  anonymise_key: string;
  created_at: CreatedAt;
}

export interface UsersTable {
  id: string;
  /** Null only for the installation admin. */
  org_id: string | null;
  email: string;
  role: Role;
  password_hash: string | null;
  created_at: CreatedAt;
  /** Set while the account is disabled: its sessions and tokens are refused. */
  disabled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface TokensTable {
  id: string;
  user_id: string;
  name: string;
  /** SHA-256 of the token; the token itself is shown once and never stored. */
  token_hash: string;
  created_at: CreatedAt;
  last_used_at: Date | null;
  /** Who made it: the user (personal, may sign) or their org-admin (a script account's). Null: before 0010, unknown. */
  created_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** Null: no expiry (the first start's admin token, tokens from before 0010). */
  expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  session_hash: string;
  csrf_token: string;
  expires_at: Date;
  created_at: CreatedAt;
}

export interface CasesTable {
  id: string;
  org_id: string;
  purpose: string;
  anatomy: string;
  due_date: string | null;
  notes: string | null;
  status: Generated<string>;
  created_by: string;
  created_at: CreatedAt;
  /** Who works on the case now (a user of the same organisation), or nobody. */
  assignee_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface FilesTable {
  id: string;
  org_id: string;
  case_id: string;
  /** The stored file name (the anonymised SOP Instance UID based name, never the uploaded path). */
  name: string;
  object_key: string;
  sha256: string;
  bytes: number;
  series_uid: string | null;
  sop_instance_uid: string | null;
  /** 'checked' (arrived anonymised) or 'server' (anonymised here, in memory). */
  anonymised_by: string;
  created_at: CreatedAt;
}

export interface JobsTable {
  id: string;
  org_id: string;
  case_id: string;
  kind: string;
  params: Json;
  state: Generated<JobState>;
  progress: Generated<number>;
  stage: string | null;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  error: string | null;
  idempotency_key: string | null;
  cancel_requested: Generated<boolean>;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  created_by: string;
  created_at: CreatedAt;
  started_at: Date | null;
  finished_at: Date | null;
  /** Core's report summary (findings, model checks) once it succeeded. */
  summary: Json | null;
  /** Not claimed before this time (set when a job is put back during an outage). */
  run_after: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Times the job was put back because the database or file store was not answering (not attempts). */
  deferrals: Generated<number>;
  /** Drawn by the database in insertion order: orders rows of one created_at (migration 0009). */
  seq: Generated<string>;
}

export interface ArtifactsTable {
  id: string;
  org_id: string;
  case_id: string;
  job_id: string;
  kind: string;
  name: string;
  object_key: string;
  media_type: string;
  sha256: string;
  bytes: number;
  created_at: CreatedAt;
}

export interface CommentsTable {
  id: string;
  org_id: string;
  case_id: string;
  user_id: string;
  body: string;
  created_at: CreatedAt;
  /** A point on the model the comment is pinned to, {x, y, z} in LPS mm, or none. */
  point: ColumnType<unknown, string | null | undefined, string | null>;
  /** The model version (job) the comment is about, or none. */
  job_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Drawn by the database in insertion order: orders rows of one created_at (migration 0009). */
  seq: Generated<string>;
}

export const REVIEW_DECISIONS = ['approve', 'request-changes'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** A decision on one model version (the job that made it); the latest sets the case's status. */
export interface ReviewsTable {
  id: string;
  org_id: string;
  case_id: string;
  job_id: string;
  user_id: string;
  decision: ReviewDecision;
  comment: string | null;
  created_at: CreatedAt;
  /** Drawn by the database in insertion order: orders rows of one created_at (migration 0009). */
  seq: Generated<string>;
}

export interface Database extends AuditTables, WorkflowTables, CodeTables, PrintTables, PacsTables {
  orgs: OrgsTable;
  users: UsersTable;
  tokens: TokensTable;
  sessions: SessionsTable;
  cases: CasesTable;
  files: FilesTable;
  jobs: JobsTable;
  artifacts: ArtifactsTable;
  comments: CommentsTable;
  reviews: ReviewsTable;
}

export type Job = Selectable<JobsTable>;
export type NewJob = Insertable<JobsTable>;
export type Artifact = Selectable<ArtifactsTable>;
export type User = Selectable<UsersTable>;
export type Case = Selectable<CasesTable>;
