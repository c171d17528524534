/** Kysely table types of migration 0005-workflow (case transitions, gate signatures, notifications). */
import type { ColumnType } from 'kysely';

type CreatedAt = ColumnType<Date, string | undefined, never>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** One move of a case from one state to another; actor null for the server's automatic steps. */
export interface CaseTransitionsTable {
  id: string;
  org_id: string;
  case_id: string;
  /** Null for a case's first recorded state. */
  from_state: string | null;
  to_state: string;
  actor_id: Nullable<string>;
  comment: Nullable<string>;
  /** The model version (job) acted on: the approved one, or the convert that segmented the case. */
  model_version_id: Nullable<string>;
  /** seq of the transition's audit entry. */
  audit_seq: Nullable<number>;
  created_at: CreatedAt;
}

/** A stage gate signed for a model version; voided when the case loops back (changes requested, reprint). */
export interface GateSignaturesTable {
  id: string;
  org_id: string;
  case_id: string;
  gate: string;
  model_version_id: Nullable<string>;
  signed_by: string;
  comment: Nullable<string>;
  /** The transition that signed it (the model gate is signed by approving), or none. */
  transition_id: Nullable<string>;
  audit_seq: Nullable<number>;
  voided_at: Nullable<Date>;
  voided_by: Nullable<string>;
  created_at: CreatedAt;
}

/** An in-app notification for one user (e-mailed too when SMTP is set up). */
export interface NotificationsTable {
  id: string;
  org_id: string;
  user_id: string;
  case_id: Nullable<string>;
  transition_id: Nullable<string>;
  kind: string;
  title: string;
  body: string;
  read_at: Nullable<Date>;
  emailed_at: Nullable<Date>;
  created_at: CreatedAt;
}

export interface WorkflowTables {
  case_transitions: CaseTransitionsTable;
  gate_signatures: GateSignaturesTable;
  notifications: NotificationsTable;
}
