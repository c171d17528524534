/**
 * The job queue is the jobs table itself, in PostgreSQL or PGlite alike: a worker claims
 * the oldest queued job with FOR UPDATE SKIP LOCKED and holds it by a lease it renews
 * (heartbeat). A worker that dies (kill -9) stops renewing; once the lease runs out
 * another worker claims the job again, up to max_attempts.
 *
 * Why not pg-boss: its releases for Node 20 keep their own job tables, so job state
 * (progress, stage, cancel, artifacts) would live twice and have to be kept in step; a
 * claim query and a lease are a few statements here, run the same on both engines, and
 * let the artifacts and the job's success commit in one transaction.
 */
import { randomUUID } from 'node:crypto';
import { HttpError } from '../http/errors.js';
import { refuseClosedCaseNow } from '../workflow/closed.js';
import { sql, type Kysely } from 'kysely';
import type { Database, Job, JobState } from '../db/schema.js';

export const TERMINAL: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export interface NewJobInput {
  orgId: string;
  caseId: string;
  kind: string;
  params: unknown;
  createdBy: string;
  idempotencyKey?: string;
  maxAttempts?: number;
}

/** JSON with object keys sorted (jsonb keeps its own key order), to compare two requests' params. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/**
 * Adds a job; with an idempotency key, a repeat returns the first job instead of adding another.
 * A key is the organisation's (one client may retry on any of its cases): used again for another
 * case, kind or params it is refused (422 IDEMPOTENCY_KEY_REUSED), not answered with a job that
 * is not the one asked for.
 */
export async function enqueue(db: Kysely<Database>, j: NewJobInput): Promise<{ id: string; created: boolean }> {
  if (!db.isTransaction) return db.transaction().execute((tx) => enqueue(tx, j));
  // The case row's lock orders this with approval (workflow/engine.ts, which takes it too):
  // no job joins a case approved an instant ago, and no approval passes a job queued just
  // before it (its requirement no-pending-job). A repeat of an earlier request still gets its job.
  const repeat = j.idempotencyKey !== undefined && (await db.selectFrom('jobs').select('id').where('org_id', '=', j.orgId).where('idempotency_key', '=', j.idempotencyKey).executeTakeFirst());
  if (!repeat) await refuseClosedCaseNow(db, j.caseId);
  const id = randomUUID();
  const inserted = await db
    .insertInto('jobs')
    .values({
      id,
      org_id: j.orgId,
      case_id: j.caseId,
      kind: j.kind,
      params: JSON.stringify(j.params),
      stage: null,
      error: null,
      idempotency_key: j.idempotencyKey ?? null,
      lease_owner: null,
      lease_expires_at: null,
      created_by: j.createdBy,
      started_at: null,
      finished_at: null,
      summary: null,
      run_after: null,
      ...(j.maxAttempts !== undefined ? { max_attempts: j.maxAttempts } : {}),
    })
    .onConflict((oc) => oc.columns(['org_id', 'idempotency_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, created: true };
  const first = await db
    .selectFrom('jobs')
    .select(['id', 'case_id', 'kind', 'params'])
    .where('org_id', '=', j.orgId)
    .where('idempotency_key', '=', j.idempotencyKey!)
    .executeTakeFirstOrThrow();
  const stored = typeof first.params === 'string' ? (JSON.parse(first.params) as unknown) : first.params;
  if (first.case_id !== j.caseId || first.kind !== j.kind || canonical(stored) !== canonical(j.params)) {
    const what = first.case_id !== j.caseId ? `case ${first.case_id}` : first.kind !== j.kind ? `a ${first.kind} job` : 'other params';
    throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${j.idempotencyKey} was used for another request (job ${first.id}, ${what}): a new request needs a new key`);
  }
  return { id: first.id, created: false };
}

/**
 * Claims the next job for `owner`: a queued one, or a running one whose lease ran out
 * (its worker died). A job whose worker died max_attempts times is failed instead.
 */
export async function claim(db: Kysely<Database>, owner: string, leaseSeconds: number): Promise<Job | undefined> {
  // Attempts put back during an outage (deferrals) are not charged against max_attempts.
  await sql`
    update jobs set state = 'failed', finished_at = now(), lease_owner = null,
      error = 'the worker running this job stopped ' || (attempts - deferrals) || ' times (crash or kill); not retried again'
    where state = 'running' and lease_expires_at < now() and attempts - deferrals >= max_attempts and not cancel_requested`.execute(db);
  // Cancelled while running, then its worker died: nothing is left to stop.
  await sql`
    update jobs set state = 'cancelled', finished_at = now(), lease_owner = null
    where state = 'running' and lease_expires_at < now() and cancel_requested`.execute(db);
  const r = await sql<Job>`
    update jobs set state = 'running', attempts = attempts + 1, lease_owner = ${owner},
      lease_expires_at = now() + make_interval(secs => ${leaseSeconds}),
      started_at = coalesce(started_at, now()), error = null, run_after = null
    where id = (
      select id from jobs
      where (state = 'queued' or (state = 'running' and lease_expires_at < now())) and attempts - deferrals < max_attempts
        and not cancel_requested and (run_after is null or run_after <= now())
      order by created_at
      limit 1
      for update skip locked)
    returning *`.execute(db);
  return r.rows[0];
}

/** Renews the lease and saves progress; says whether to stop (cancelled, or the lease was lost). */
export async function heartbeat(
  db: Kysely<Database>,
  id: string,
  owner: string,
  leaseSeconds: number,
  progress: number,
  stage: string | null,
): Promise<'continue' | 'cancel' | 'lost'> {
  const r = await sql<{ cancel_requested: boolean }>`
    update jobs set lease_expires_at = now() + make_interval(secs => ${leaseSeconds}), progress = ${progress}, stage = ${stage}
    where id = ${id} and lease_owner = ${owner} and state = 'running'
    returning cancel_requested`.execute(db);
  const row = r.rows[0];
  if (!row) return 'lost';
  return row.cancel_requested ? 'cancel' : 'continue';
}

/**
 * Ends a claimed job; false when the lease was lost meanwhile (another worker owns it now), and
 * for 'succeeded' also when a cancel was asked for meanwhile (the caller cancels it instead: a
 * cancel the API answered with cancelRequested must not end as a success).
 */
export async function settle(
  db: Kysely<Database>,
  id: string,
  owner: string,
  state: 'succeeded' | 'failed' | 'cancelled' | 'queued',
  fields: { error?: string; summary?: unknown; deferSeconds?: number } = {},
): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({
      state,
      lease_owner: null,
      lease_expires_at: null,
      // Put back during an outage: not before the delay, and not charged as an attempt.
      ...(state === 'queued' && fields.deferSeconds !== undefined
        ? { deferrals: sql<number>`deferrals + 1`, run_after: sql<Date>`now() + make_interval(secs => ${fields.deferSeconds})` }
        : {}),
      ...(state === 'queued' ? {} : { finished_at: new Date() }),
      ...(state === 'succeeded' ? { progress: 1, stage: 'done' } : {}),
      ...(fields.error !== undefined ? { error: fields.error } : {}),
      ...(fields.summary !== undefined ? { summary: JSON.stringify(fields.summary) } : {}),
    })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('state', '=', 'running')
    .$if(state === 'succeeded', (u) => u.where('cancel_requested', '=', false))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Cancels now if queued; asks the worker to stop if running. Returns the state after. */
export async function requestCancel(db: Kysely<Database>, id: string): Promise<JobState> {
  await db.updateTable('jobs').set({ state: 'cancelled', finished_at: new Date() }).where('id', '=', id).where('state', '=', 'queued').execute();
  await db.updateTable('jobs').set({ cancel_requested: true }).where('id', '=', id).where('state', '=', 'running').execute();
  const j = await db.selectFrom('jobs').select('state').where('id', '=', id).executeTakeFirstOrThrow();
  return j.state;
}

/**
 * Embedded mode only (one process owns the database): a job left 'running' by a previous
 * process that was killed is taken back at once instead of after its lease.
 */
export async function releaseOrphans(db: Kysely<Database>): Promise<number> {
  const r = await db
    .updateTable('jobs')
    .set({ lease_expires_at: new Date(0) })
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
