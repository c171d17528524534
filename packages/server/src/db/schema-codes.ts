/** Kysely table types added by migration 0006-model-codes (helper codes). */
import type { ColumnType } from 'kysely';

/**
 * The short code of an approved model version: what the QR label on the print points to
 * (`/q/<code>`). One per model job; the model's SHA-256 is copied here so the print can be
 * matched to its bytes even if an artifact row were ever replaced.
 */
export interface ModelCodesTable {
  /** 8 characters of Crockford base32 (0-9, A-Z without I L O U). */
  code: string;
  org_id: string;
  case_id: string;
  job_id: string;
  /** SHA-256 (hex) of the version's 3MF model file. */
  sha256: string;
  /** The audit entry 'model-code-issued' that records this code. */
  audit_seq: number;
  created_at: ColumnType<Date, string | undefined, never>;
}

export interface CodeTables {
  model_codes: ModelCodesTable;
}
