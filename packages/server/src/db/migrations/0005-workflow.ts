/** Migration 0005-workflow: case states, transitions, gates, notifications (helper workflow). */
import type { Migration } from 'kysely';

export const workflowMigration: Migration = {
  async up() {
    // Filled by its owner before this lands.
  },
};
