/**
 * Migration 0008-pacs: DICOM routing, received studies, PACS destinations and sends (issue 15).
 *
 * pacs_routes: which organisation a DICOM association (calling AE title, and the called AE
 * title or any) or a STOW-RS token belongs to; an unknown caller is refused. The token is
 * kept as its SHA-256 only, like API tokens.
 * pacs_receptions: one row per received study (or refused association): who sent it, how many
 * instances, the case it became. No UID or name of the study: those may identify the patient
 * until the anonymiser has run.
 * pacs_destinations, pacs_sends: where models are sent and what was sent (pacs-send).
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const pacsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table pacs_routes (
        id uuid primary key,
        org_id uuid not null references orgs(id),
        calling_ae text,
        called_ae text,
        stow_token_hash text unique,
        auto_convert boolean not null default false,
        convert_params jsonb,
        description text,
        created_by uuid references users(id),
        created_at timestamptz not null default now(),
        check (calling_ae is not null or stow_token_hash is not null)
      );
      create unique index pacs_routes_ae on pacs_routes(calling_ae, coalesce(called_ae, '')) where calling_ae is not null;
      create index pacs_routes_org on pacs_routes(org_id, created_at);
      create table pacs_receptions (
        id uuid primary key,
        org_id uuid references orgs(id),
        route_id uuid references pacs_routes(id) on delete set null,
        via text not null,
        calling_ae text,
        called_ae text,
        remote_address text,
        status text not null,
        instances integer not null default 0,
        refused_instances integer not null default 0,
        case_id uuid references cases(id),
        job_id uuid references jobs(id),
        error text,
        findings jsonb not null default '[]',
        created_at timestamptz not null default now(),
        completed_at timestamptz
      );
      create index pacs_receptions_org on pacs_receptions(org_id, created_at);
      create table pacs_destinations (
        id uuid primary key,
        org_id uuid not null references orgs(id),
        name text not null,
        ae_title text,
        host text,
        port integer,
        dicomweb_url text,
        kind text not null check (kind in ('dimse', 'dicomweb')),
        created_at timestamptz not null default now()
      );
      create index pacs_destinations_org on pacs_destinations(org_id, created_at);
      create table pacs_sends (
        id uuid primary key,
        org_id uuid not null references orgs(id),
        case_id uuid not null references cases(id),
        job_id uuid references jobs(id),
        destination_id uuid not null references pacs_destinations(id),
        status text not null,
        objects jsonb not null default '[]',
        error text,
        created_at timestamptz not null default now()
      );
      create index pacs_sends_case on pacs_sends(case_id, created_at);
    `.execute(db);
  },
};
