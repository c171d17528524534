/** Migration 0006-model-codes: short model codes for the QR label (helper codes). */
import { sql, type Kysely, type Migration } from 'kysely';

export const codesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // One code per model job (unique job_id: issuing twice returns the first); the code
    // itself is the key the label's URL carries.
    await sql`
      create table model_codes (
        code text primary key,
        org_id uuid not null references orgs(id),
        case_id uuid not null references cases(id),
        job_id uuid not null unique references jobs(id),
        sha256 text not null,
        audit_seq integer not null,
        created_at timestamptz not null default now()
      );
      create index model_codes_case on model_codes(case_id);
    `.execute(db);
  },
};
