/** Migration 0006-model-codes: short model codes for the QR label (helper codes). */
import type { Migration } from 'kysely';

export const codesMigration: Migration = {
  async up() {
    // Filled by its owner before this lands.
  },
};
