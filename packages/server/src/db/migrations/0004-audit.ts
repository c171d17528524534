/**
 * Migration 0004-audit: the append-only audit log (issue 11). Every column is text or a
 * number that reads back exactly as it was hashed: `at` is the ISO text itself, `details`
 * the canonical JSON text (jsonb would renormalise numbers and key order), ids are text
 * (no foreign keys: the log outlives what it names). A trigger refuses UPDATE, DELETE and
 * TRUNCATE for everyone but a superuser who disables it; on PostgreSQL those privileges
 * are also revoked from the role running the migration unless it is a superuser (an owner
 * may revoke its own privileges; PGlite runs as a superuser, so nothing is revoked there).
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const auditMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table audit_log (
        seq bigint primary key,
        at text not null,
        org_id text,
        case_id text,
        actor_id text,
        actor_email text,
        actor_role text,
        action text not null,
        details text not null,
        prev_hash text not null,
        case_prev_hash text,
        hash text not null unique,
        key_id text not null,
        signature text not null
      );
      create index audit_log_case on audit_log(case_id, seq);
      create index audit_log_org on audit_log(org_id, seq);
      create function audit_log_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';
      end
      $$;
      create trigger audit_log_no_change before update or delete on audit_log
        for each row execute function audit_log_append_only();
      create trigger audit_log_no_truncate before truncate on audit_log
        for each statement execute function audit_log_append_only();
      do $$
      begin
        if not (select rolsuper from pg_roles where rolname = current_user) then
          execute format('revoke update, delete, truncate on audit_log from %I', current_user);
        end if;
        revoke update, delete, truncate on audit_log from public;
      end
      $$;
    `.execute(db);
  },
};
