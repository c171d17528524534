/**
 * Migration 0009-order: jobs, reviews and comments get `seq`, a number the database draws in
 * the order rows are inserted. Their lists and "the latest" (model version, review) were ordered
 * by created_at alone: two rows of one instant (one transaction's now(), or PGlite's millisecond
 * clock) came back in whatever order a plan gave, so the version a reviewer approved and the
 * one printed could differ. Now created_at, then seq. Rows from before get numbers in storage
 * order; their ties stay as they were.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const orderMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table jobs add column seq bigint generated always as identity;
      alter table reviews add column seq bigint generated always as identity;
      alter table comments add column seq bigint generated always as identity;
    `.execute(db);
  },
};
