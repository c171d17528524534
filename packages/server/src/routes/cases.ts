/** Cases (an order for a model: purpose, anatomy, due date, notes), their series and comments. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { CASE_CREATORS } from '@scan2print/core';
import type { Database } from '../db/schema.js';
import { api, caller } from '../http/route.js';
import { orgOf } from '../auth/principal.js';
import type { Services } from '../context.js';
import { caseOf } from './scope.js';
import { caseChanged } from './events.js';
import { badRequest } from '../http/errors.js';
import { appendAudit } from '../audit/index.js';

const Id = z.object({ id: z.uuid() });
/** Who may say who works on a case: every member but the technician. */
const ASSIGNERS = ['org-admin', 'requester', 'engineer', 'reviewer'] as const;

/** A comment's pin: a point of the model in LPS mm. */
const Point = z.object({ x: z.number().finite(), y: z.number().finite(), z: z.number().finite() }).strict();
const commentBody = z
  .object({ body: z.string().trim().min(1).max(10_000), point: Point.optional(), jobId: z.uuid().optional() })
  .strict();

export const caseBody = z
  .object({
    purpose: z.string().trim().min(1).max(2000),
    anatomy: z.string().trim().min(1).max(200),
    dueDate: z.iso.date().optional(),
    notes: z.string().max(10_000).optional(),
  })
  .strict();

type Case = Awaited<ReturnType<typeof caseOf>>;

function caseJson(c: Case) {
  return {
    id: c.id,
    purpose: c.purpose,
    anatomy: c.anatomy,
    dueDate: c.due_date,
    notes: c.notes,
    status: c.status,
    createdBy: c.created_by,
    createdAt: new Date(c.created_at).toISOString(),
  };
}

export interface Person {
  id: string;
  email: string;
}

/** One row of GET /api/cases (and one `case` event of GET /api/events): the case, its latest job, who works on it, its latest review. */
export type CaseRowJson = ReturnType<typeof caseJson> & {
  latestJob: { id: string; kind: string; state: string; progress: number; stage: string | null; error: string | null } | null;
  assignee: Person | null;
  files: number;
  review: { decision: string; by: Person; at: string } | null;
};

/**
 * The rows of an organisation's cases (newest first), or of the given ones: five queries
 * whatever the number of cases (the event stream runs this every second per organisation).
 */
export async function caseRows(db: Kysely<Database>, orgId: string, caseIds?: string[]): Promise<CaseRowJson[]> {
  if (caseIds?.length === 0) return [];
  let cases = db.selectFrom('cases').leftJoin('users', 'users.id', 'cases.assignee_id').selectAll('cases').select('users.email as assignee_email').where('cases.org_id', '=', orgId);
  if (caseIds) cases = cases.where('cases.id', 'in', caseIds);
  const rows = await cases.orderBy('cases.created_at', 'desc').limit(1000).execute();
  if (rows.length === 0) return [];
  const ids = rows.map((c) => c.id);
  const jobs = await db
    .selectFrom('jobs')
    .distinctOn('case_id')
    .select(['id', 'case_id', 'kind', 'state', 'progress', 'stage', 'error'])
    .where('org_id', '=', orgId)
    .where('case_id', 'in', ids)
    .orderBy('case_id')
    .orderBy('created_at', 'desc')
    .orderBy('seq', 'desc')
    .execute();
  const files = await db
    .selectFrom('files')
    .select(['case_id', sql<number>`count(*)::int`.as('n')])
    .where('org_id', '=', orgId)
    .where('case_id', 'in', ids)
    .groupBy('case_id')
    .execute();
  const reviews = await db
    .selectFrom('reviews')
    .innerJoin('users', 'users.id', 'reviews.user_id')
    .distinctOn('reviews.case_id')
    .select(['reviews.case_id', 'reviews.decision', 'reviews.user_id', 'users.email', 'reviews.created_at'])
    .where('reviews.org_id', '=', orgId)
    .where('reviews.case_id', 'in', ids)
    .orderBy('reviews.case_id')
    .orderBy('reviews.created_at', 'desc')
    .orderBy('reviews.seq', 'desc')
    .execute();
  const jobOf = new Map(jobs.map((j) => [j.case_id, j]));
  const filesOf = new Map(files.map((f) => [f.case_id, Number(f.n)]));
  const reviewOf = new Map(reviews.map((r) => [r.case_id, r]));
  return rows.map((c) => {
    const j = jobOf.get(c.id);
    const r = reviewOf.get(c.id);
    return {
      ...caseJson(c),
      latestJob: j ? { id: j.id, kind: j.kind, state: j.state, progress: j.progress, stage: j.stage, error: j.error } : null,
      assignee: c.assignee_id ? { id: c.assignee_id, email: c.assignee_email ?? '' } : null,
      files: filesOf.get(c.id) ?? 0,
      review: r ? { decision: r.decision, by: { id: r.user_id, email: r.email }, at: new Date(r.created_at).toISOString() } : null,
    };
  });
}

/** One case's row (it exists: the caller loaded it through caseOf). */
export async function caseRow(db: Kysely<Database>, c: Pick<Case, 'id' | 'org_id'>): Promise<CaseRowJson> {
  const [row] = await caseRows(db, c.org_id, [c.id]);
  return row!;
}

export function caseRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;

  r.post('/api/cases', { config: { access: CASE_CREATORS }, schema: { body: caseBody } }, async (req, reply) => {
    const p = caller(req);
    const id = randomUUID();
    const b = req.body;
    await db
      .insertInto('cases')
      .values({ id, org_id: orgOf(p), purpose: b.purpose, anatomy: b.anatomy, due_date: b.dueDate ?? null, notes: b.notes ?? null, created_by: p.userId })
      .execute();
    await appendAudit(s, db, { action: 'case-created', actor: p, orgId: orgOf(p), caseId: id, details: { anatomy: b.anatomy, dueDate: b.dueDate ?? null } });
    return reply.code(201).send({ id });
  });

  r.get('/api/cases', { config: { access: 'any' } }, async (req) => {
    return caseRows(db, orgOf(caller(req)));
  });

  r.get('/api/cases/:id', { config: { access: 'any', scopedBy: 'case' }, schema: { params: Id } }, async (req) => {
    const c = await caseOf(db, caller(req), req.params.id);
    const series = await db
      .selectFrom('files')
      .select(['series_uid', sql<number>`count(*)::int`.as('files'), sql<number>`sum(bytes)::float8`.as('bytes')])
      .where('case_id', '=', c.id)
      .groupBy('series_uid')
      .execute();
    const jobs = await db.selectFrom('jobs').select(['id', 'kind', 'state', 'progress', 'created_at']).where('case_id', '=', c.id).orderBy('created_at').orderBy('seq').execute();
    return {
      ...(await caseRow(db, c)),
      series: series.map((x) => ({ seriesInstanceUid: x.series_uid, files: Number(x.files), bytes: Number(x.bytes) })),
      jobs: jobs.map((j) => ({ id: j.id, kind: j.kind, state: j.state, progress: j.progress, createdAt: new Date(j.created_at).toISOString() })),
    };
  });

  r.put(
    '/api/cases/:id/assignee',
    { config: { access: ASSIGNERS, scopedBy: 'case' }, schema: { params: Id, body: z.object({ userId: z.uuid().nullable() }).strict() } },
    async (req) => {
      const c = await caseOf(db, caller(req), req.params.id);
      const { userId } = req.body;
      if (userId !== null) {
        const u = await db.selectFrom('users').select('id').where('id', '=', userId).where('org_id', '=', c.org_id).executeTakeFirst();
        if (!u) throw badRequest('UNKNOWN_USER', `no user ${userId} in this organisation (GET /api/users lists them)`);
      }
      await db.updateTable('cases').set({ assignee_id: userId }).where('id', '=', c.id).execute();
      await appendAudit(s, db, { action: 'case-updated', actor: caller(req), orgId: c.org_id, caseId: c.id, details: { assigneeId: userId } });
      caseChanged(db, c.org_id);
      return caseRow(db, c);
    },
  );

  r.post('/api/cases/:id/comments', { config: { access: 'any', scopedBy: 'case' }, schema: { params: Id, body: commentBody } }, async (req, reply) => {
    const p = caller(req);
    const c = await caseOf(db, p, req.params.id);
    const { body, point, jobId } = req.body;
    if (jobId) {
      const j = await db.selectFrom('jobs').select('id').where('id', '=', jobId).where('case_id', '=', c.id).executeTakeFirst();
      if (!j) throw badRequest('UNKNOWN_JOB', `job ${jobId} is not a job of case ${c.id}`);
    }
    const id = randomUUID();
    await db
      .insertInto('comments')
      .values({ id, org_id: c.org_id, case_id: c.id, user_id: p.userId, body, point: point ? JSON.stringify(point) : null, job_id: jobId ?? null })
      .execute();
    await appendAudit(s, db, { action: 'comment', actor: p, orgId: c.org_id, caseId: c.id, details: { commentId: id, jobId: jobId ?? null } });
    return reply.code(201).send({ id });
  });

  r.get('/api/cases/:id/comments', { config: { access: 'any', scopedBy: 'case' }, schema: { params: Id } }, async (req) => {
    const c = await caseOf(db, caller(req), req.params.id);
    const rows = await db
      .selectFrom('comments')
      .innerJoin('users', 'users.id', 'comments.user_id')
      .select(['comments.id', 'comments.body', 'comments.created_at', 'comments.point', 'comments.job_id', 'comments.user_id', 'users.email'])
      .where('comments.case_id', '=', c.id)
      .orderBy('comments.created_at')
      .orderBy('comments.seq')
      .execute();
    return rows.map((x) => ({
      id: x.id,
      body: x.body,
      author: { id: x.user_id, email: x.email },
      createdAt: new Date(x.created_at).toISOString(),
      point: (x.point as { x: number; y: number; z: number } | null) ?? null,
      jobId: x.job_id,
    }));
  });
}
