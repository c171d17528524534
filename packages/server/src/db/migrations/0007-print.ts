/**
 * Migration 0007-print: the organisation's printer/material catalogue as numbered versions
 * (version 0, core's PRINT_CATALOGUE, is not stored), its printers with their outages,
 * quotes given for approved model versions, print jobs, and the latest plan per organisation.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const printMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table print_catalogues (
        org_id uuid not null references orgs(id),
        version integer not null,
        catalogue jsonb not null,
        updated_by uuid not null references users(id),
        audit_seq bigint,
        created_at timestamptz not null default now(),
        primary key (org_id, version)
      );
      create table printers (
        id uuid primary key,
        org_id uuid not null references orgs(id),
        catalogue_id text not null,
        name text not null,
        status text not null default 'up',
        created_by uuid not null references users(id),
        created_at timestamptz not null default now()
      );
      create index printers_org on printers(org_id, created_at);
      create table printer_outages (
        id uuid primary key,
        org_id uuid not null references orgs(id),
        printer_id uuid not null references printers(id),
        from_at timestamptz not null,
        to_at timestamptz,
        note text,
        created_by uuid references users(id),
        created_at timestamptz not null default now()
      );
      create index printer_outages_printer on printer_outages(printer_id, from_at);
      create table print_quotes (
        id uuid primary key,
        org_id uuid not null references orgs(id),
        case_id uuid not null references cases(id),
        model_version_id uuid not null references jobs(id),
        printer text not null,
        material text not null,
        supports boolean not null,
        quote jsonb not null,
        created_by uuid not null references users(id),
        created_at timestamptz not null default now()
      );
      create index print_quotes_case on print_quotes(case_id, created_at);
      create table print_jobs (
        id uuid primary key,
        org_id uuid not null references orgs(id),
        case_id uuid not null references cases(id),
        model_version_id uuid not null references jobs(id),
        printer text not null,
        material text not null,
        duration_s double precision not null,
        parts jsonb not null,
        quote jsonb,
        status text not null default 'queued',
        created_by uuid not null references users(id),
        created_at timestamptz not null default now()
      );
      create index print_jobs_org on print_jobs(org_id, status, created_at);
      create table print_plans (
        org_id uuid primary key references orgs(id),
        plan jsonb not null,
        planned_at timestamptz not null
      );
    `.execute(db);
  },
};
