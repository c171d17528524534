/**
 * Migration 0011-pacs-study: a reception keeps the Study Instance UID its case was made from,
 * as stored (the anonymiser's replacement UID, or the sender's own when the study came
 * anonymised: what the case's files carry, never the identifiable original). A study received
 * again into the same organisation is then told apart from a new one (PACS_DUPLICATE_STUDY).
 * Receptions from before this migration have none.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const pacsStudyMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table pacs_receptions add column study_uid text;
      create index pacs_receptions_study on pacs_receptions(org_id, study_uid) where study_uid is not null;
    `.execute(db);
  },
};
