/**
 * Migration 0010-credentials: API tokens record who made them, when they expire and when they
 * were revoked; users can be disabled. A token made by someone else for a user (an org-admin for
 * a script account) acts as that user but may not sign (approve, sign a gate): a signature is
 * the signer's own. Tokens from before this migration have no maker on record, so they are
 * treated as made by someone else, and no expiry (they stay valid until revoked).
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const credentialsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table tokens add column created_by uuid references users(id);
      alter table tokens add column expires_at timestamptz;
      alter table tokens add column revoked_at timestamptz;
      alter table users add column disabled_at timestamptz;
    `.execute(db);
  },
};
