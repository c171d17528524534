/**
 * Migration 0015-pacs-spool-notes: what the receiver noted against a spooled study besides its
 * instances, kept with it so that a study taken back after a kill (pacs/spool.ts) has the same
 * receipt as if the server had not stopped: instances refused for it (with their reasons),
 * instances of another patient under its Study Instance UID, and associations that carried it
 * and ended without a release. Before this, those were in memory only and a recovered case's
 * receipt said nothing of them: the technician took a study the receiver knew to be
 * incomplete or mixed for a complete one.
 *
 * pacs_spool_notes: one row per note, in the order noted (seq), replayed at the next start
 * through the same code that counted it in memory (study-assembler.ts applyNote). kind:
 * 'refused' (count instances, reasons the first of their refusals), 'other-patient' (count
 * instances), 'interrupted' (reasons[0] says which association).
 *
 * Rows rather than a jsonb column on pacs_spool_studies: a note is one insert, appended like
 * the study's instances, with no read-modify-write of a value that grows with each note (two
 * associations of one study ending together, and the lease renewal, all update that row);
 * seq keeps the order, so the first reasons kept are the ones kept in memory; and the notes
 * go with their study (on delete cascade) when its reception is recorded or it is dropped.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const pacsSpoolNotesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table pacs_spool_notes (
        seq bigserial primary key,
        study_id uuid not null references pacs_spool_studies(id) on delete cascade,
        kind text not null,
        count integer not null,
        reasons jsonb not null,
        noted_at timestamptz not null default now()
      );
      create index pacs_spool_notes_study on pacs_spool_notes(study_id, seq);
    `.execute(db);
  },
};
