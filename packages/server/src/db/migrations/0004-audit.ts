/** Migration 0004-audit: audit log (helper audit). */
import type { Migration } from 'kysely';

export const auditMigration: Migration = {
  async up() {
    // Filled by its owner before this lands.
  },
};
