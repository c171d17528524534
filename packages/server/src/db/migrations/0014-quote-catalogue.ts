/**
 * Migration 0014-quote-catalogue: a stored quote records the catalogue entry it was made with,
 * the printer and material records as they were (catalogue_entry) and the SHA-256 of their
 * canonical JSON (catalogue_hash). A print job takes a quote only while that entry is still the
 * catalogue's: an org-admin's new rate or price makes older quotes stale (print/quote-basis.ts).
 * Quotes from before this migration have neither, and count as stale: what they were made
 * with is not known.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const quoteCatalogueMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table print_quotes add column catalogue_hash text;
      alter table print_quotes add column catalogue_entry jsonb;
    `.execute(db);
  },
};
