/**
 * Migration 0013-pacs-spool: received instances are kept in the object store, and listed
 * here, from the moment they are acknowledged to their sender (C-STORE success, STOW-RS 200)
 * until their study's reception is recorded. A server killed within a study's quiet time
 * finds them at its next start and makes the case then (pacs/spool.ts).
 *
 * pacs_spool_studies: one study being received. Its id is also the id of the reception and
 * of the case it becomes, so that a start that finds a completion cut short goes on with the
 * same case instead of making a second one. owner and lease_until: which server process holds
 * it (it renews the lease); another one takes it over only once the lease ran out.
 * pacs_spool_instances: one instance of it, as stored (anonymised: no identifiable byte is
 * ever written), at object_key.
 * files_org_series: the duplicate check looks up an organisation's files by Series Instance
 * UID (uploads, WADO-RS imports and receptions from before 0011 keep no Study Instance UID).
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const pacsSpoolMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table pacs_spool_studies (
        id uuid primary key,
        org_id uuid not null references orgs(id),
        route_id uuid references pacs_routes(id) on delete set null,
        via text not null,
        calling_ae text,
        called_ae text,
        remote_address text,
        study_uid text not null,
        owner text not null,
        lease_until timestamptz not null,
        created_at timestamptz not null default now()
      );
      create index pacs_spool_studies_lease on pacs_spool_studies(lease_until);
      create table pacs_spool_instances (
        id uuid primary key,
        study_id uuid not null references pacs_spool_studies(id) on delete cascade,
        seq bigserial not null,
        object_key text not null,
        bytes bigint not null,
        anonymised_by text not null,
        received_at timestamptz not null
      );
      create index pacs_spool_instances_study on pacs_spool_instances(study_id, seq);
      create index files_org_series on files(org_id, series_uid) where series_uid is not null;
    `.execute(db);
  },
};
