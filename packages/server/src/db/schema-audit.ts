/** Kysely table types added by the audit migration (0004-audit). */
import type { ColumnType } from 'kysely';

/** Insert and select only: the table refuses updates and deletes. */
type Fixed<T> = ColumnType<T, T, never>;

export interface AuditLogTable {
  seq: Fixed<number>;
  /** ISO 8601 UTC text, exactly as hashed. */
  at: Fixed<string>;
  org_id: Fixed<string | null>;
  case_id: Fixed<string | null>;
  actor_id: Fixed<string | null>;
  actor_email: Fixed<string | null>;
  actor_role: Fixed<string | null>;
  action: Fixed<string>;
  /** Canonical JSON text of the details object. */
  details: Fixed<string>;
  prev_hash: Fixed<string>;
  case_prev_hash: Fixed<string | null>;
  hash: Fixed<string>;
  key_id: Fixed<string>;
  signature: Fixed<string>;
}

export interface AuditTables {
  audit_log: AuditLogTable;
}
