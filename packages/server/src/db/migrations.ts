/**
 * The one migration set, run on start by PGlite and PostgreSQL alike (Kysely's Migrator:
 * its lock table makes concurrent starts of several workers safe). Plain SQL that both
 * engines accept; append new migrations, never edit a released one.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { auditMigration } from './migrations/0004-audit.js';
import { workflowMigration } from './migrations/0005-workflow.js';
import { codesMigration } from './migrations/0006-model-codes.js';
import { printMigration } from './migrations/0007-print.js';
import { pacsMigration } from './migrations/0008-pacs.js';
import { orderMigration } from './migrations/0009-order.js';
import { credentialsMigration } from './migrations/0010-credentials.js';
import { pacsStudyMigration } from './migrations/0011-pacs-study.js';
import { printLifecycleMigration } from './migrations/0012-print-lifecycle.js';
import { pacsSpoolMigration } from './migrations/0013-pacs-spool.js';
import { quoteCatalogueMigration } from './migrations/0014-quote-catalogue.js';
import { pacsSpoolNotesMigration } from './migrations/0015-pacs-spool-notes.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table orgs (
          id uuid primary key,
          name text not null unique,
          server_anonymise boolean not null default false,
          anonymise_key text not null,
          created_at timestamptz not null default now()
        );
        create table users (
          id uuid primary key,
          org_id uuid references orgs(id),
          email text not null unique,
          role text not null,
          password_hash text,
          created_at timestamptz not null default now()
        );
        create table tokens (
          id uuid primary key,
          user_id uuid not null references users(id) on delete cascade,
          name text not null,
          token_hash text not null unique,
          created_at timestamptz not null default now(),
          last_used_at timestamptz
        );
        create table sessions (
          id uuid primary key,
          user_id uuid not null references users(id) on delete cascade,
          session_hash text not null unique,
          csrf_token text not null,
          expires_at timestamptz not null,
          created_at timestamptz not null default now()
        );
        create table cases (
          id uuid primary key,
          org_id uuid not null references orgs(id),
          purpose text not null,
          anatomy text not null,
          due_date date,
          notes text,
          status text not null default 'open',
          created_by uuid not null references users(id),
          created_at timestamptz not null default now()
        );
        create index cases_org on cases(org_id, created_at);
        create table files (
          id uuid primary key,
          org_id uuid not null references orgs(id),
          case_id uuid not null references cases(id),
          name text not null,
          object_key text not null,
          sha256 text not null,
          bytes bigint not null,
          series_uid text,
          sop_instance_uid text,
          anonymised_by text not null,
          created_at timestamptz not null default now(),
          unique (case_id, sha256)
        );
        create table jobs (
          id uuid primary key,
          org_id uuid not null references orgs(id),
          case_id uuid not null references cases(id),
          kind text not null,
          params jsonb not null,
          state text not null default 'queued',
          progress double precision not null default 0,
          stage text,
          attempts integer not null default 0,
          max_attempts integer not null default 3,
          error text,
          idempotency_key text,
          cancel_requested boolean not null default false,
          lease_owner text,
          lease_expires_at timestamptz,
          created_by uuid not null references users(id),
          created_at timestamptz not null default now(),
          started_at timestamptz,
          finished_at timestamptz,
          summary jsonb,
          unique (org_id, idempotency_key)
        );
        create index jobs_claim on jobs(state, created_at);
        create table artifacts (
          id uuid primary key,
          org_id uuid not null references orgs(id),
          case_id uuid not null references cases(id),
          job_id uuid not null references jobs(id),
          kind text not null,
          name text not null,
          object_key text not null,
          media_type text not null,
          sha256 text not null,
          bytes bigint not null,
          created_at timestamptz not null default now()
        );
        create table comments (
          id uuid primary key,
          org_id uuid not null references orgs(id),
          case_id uuid not null references cases(id),
          user_id uuid not null references users(id),
          body text not null,
          created_at timestamptz not null default now()
        );
      `.execute(db);
    },
  },
  '0002-job-deferrals': {
    // A job whose database or file store stopped answering is put back with a delay and not
    // charged an attempt (the outage is not the job's fault); deferrals are counted apart.
    async up(db: Kysely<unknown>) {
      await sql`
        alter table jobs add column run_after timestamptz;
        alter table jobs add column deferrals integer not null default 0;
      `.execute(db);
    },
  },
  '0003-web-review': {
    // The web app: who works on a case, decisions on model versions, comments pinned to a
    // point of a version. Job kinds are text already ('mesh' jobs need no column).
    async up(db: Kysely<unknown>) {
      await sql`
        alter table cases add column assignee_id uuid references users(id);
        create table reviews (
          id uuid primary key,
          org_id uuid not null references orgs(id),
          case_id uuid not null references cases(id),
          job_id uuid not null references jobs(id),
          user_id uuid not null references users(id),
          decision text not null,
          comment text,
          created_at timestamptz not null default now()
        );
        create index reviews_case on reviews(case_id, created_at);
        alter table comments add column point jsonb;
        alter table comments add column job_id uuid references jobs(id);
        create index jobs_case on jobs(case_id, created_at);
      `.execute(db);
    },
  },
  // From here on one file per migration (db/migrations/), so features don't edit one list.
  '0004-audit': auditMigration,
  '0005-workflow': workflowMigration,
  '0006-model-codes': codesMigration,
  '0007-print': printMigration,
  '0008-pacs': pacsMigration,
  '0009-order': orderMigration,
  '0010-credentials': credentialsMigration,
  '0011-pacs-study': pacsStudyMigration,
  '0012-print-lifecycle': printLifecycleMigration,
  '0013-pacs-spool': pacsSpoolMigration,
  '0014-quote-catalogue': quoteCatalogueMigration,
  '0015-pacs-spool-notes': pacsSpoolNotesMigration,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export async function migrate(db: Kysely<unknown>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String((error as Error | undefined)?.message ?? error)}`);
  }
}
