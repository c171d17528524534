/**
 * Migration 0012-print-lifecycle: a print job refers to the quote the server made for it
 * (its duration is that quote's, never a figure a client sends), and goes on from 'queued' to
 * 'printing' on one machine (started_at) and then 'printed' or 'failed' (finished_at, the
 * technician's note). One plate prints on a machine at a time (its jobs start together): the
 * start takes the machine row's lock, so two technicians starting on one machine at once
 * cannot both succeed.
 * Jobs from before this migration have no quote_id (their duration came with them).
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const printLifecycleMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table print_jobs add column quote_id uuid references print_quotes(id);
      alter table print_jobs add column printer_id uuid references printers(id);
      alter table print_jobs add column started_at timestamptz;
      alter table print_jobs add column finished_at timestamptz;
      alter table print_jobs add column note text;
      create index print_jobs_printing on print_jobs(printer_id) where status = 'printing';
    `.execute(db);
  },
};
