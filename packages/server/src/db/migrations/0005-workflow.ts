/**
 * Migration 0005-workflow: case states (core's CASE_STATES in cases.status), the transition
 * history, stage-gate signatures and in-app notifications.
 *
 * Existing cases: 'open' becomes 'segmented' when a convert job of it succeeded, 'uploaded'
 * when it holds files, else 'draft' (an order with nothing in it yet). 'approved' and
 * 'changes-requested' keep their names; an approved case gets its model gate from the
 * approving review (who signed, which version), so it can go on to print preparation
 * without being approved again. The other two gates were never signed: printing needs them.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const workflowMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table case_transitions (
        id uuid primary key,
        org_id uuid not null references orgs(id),
        case_id uuid not null references cases(id),
        from_state text,
        to_state text not null,
        actor_id uuid references users(id),
        comment text,
        model_version_id uuid references jobs(id),
        audit_seq bigint,
        created_at timestamptz not null default now()
      );
      create index case_transitions_case on case_transitions(case_id, created_at);
      create table gate_signatures (
        id uuid primary key,
        org_id uuid not null references orgs(id),
        case_id uuid not null references cases(id),
        gate text not null,
        model_version_id uuid references jobs(id),
        signed_by uuid not null references users(id),
        comment text,
        transition_id uuid references case_transitions(id),
        audit_seq bigint,
        voided_at timestamptz,
        voided_by uuid references case_transitions(id),
        created_at timestamptz not null default now()
      );
      create index gate_signatures_case on gate_signatures(case_id, gate, created_at);
      create table notifications (
        id uuid primary key,
        org_id uuid not null references orgs(id),
        user_id uuid not null references users(id) on delete cascade,
        case_id uuid references cases(id),
        transition_id uuid references case_transitions(id),
        kind text not null,
        title text not null,
        body text not null,
        read_at timestamptz,
        emailed_at timestamptz,
        created_at timestamptz not null default now()
      );
      create index notifications_user on notifications(user_id, created_at);
      alter table cases alter column status set default 'draft';
    `.execute(db);
    await caseStatesFromOpen(db);
  },
};

/** Existing cases into the workflow's states (exported for its spec; runs once, inside the migration). */
export async function caseStatesFromOpen(db: Kysely<unknown>): Promise<void> {
  await sql`
      update cases set status = case
          when exists (select 1 from jobs j where j.case_id = cases.id and j.kind = 'convert' and j.state = 'succeeded') then 'segmented'
          when exists (select 1 from files f where f.case_id = cases.id) then 'uploaded'
          else 'draft' end
        where status = 'open';
      insert into gate_signatures (id, org_id, case_id, gate, model_version_id, signed_by, comment, created_at)
        select distinct on (r.case_id) r.id, r.org_id, r.case_id, 'model', r.job_id, r.user_id, r.comment, r.created_at
        from reviews r join cases c on c.id = r.case_id
        where c.status = 'approved' and r.decision = 'approve'
        order by r.case_id, r.created_at desc;
  `.execute(db);
}
