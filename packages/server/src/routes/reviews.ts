/**
 * Reviews: a decision on one model version (the succeeded job that made it). Since the
 * workflow (issue 11) a decision is a case transition under the same rules as
 * POST /api/cases/:id/transitions: approve → 'approved' (reviewer; the model gate, four eyes,
 * the model code), request-changes → 'changes-requested' (a comment; voids the gates).
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { api, caller } from '../http/route.js';
import { forbidden, HttpError } from '../http/errors.js';
import { MODEL_JOB_KINDS, REVIEW_DECISIONS, type Database, type Role } from '../db/schema.js';
import type { Services } from '../context.js';
import { caseOf } from './scope.js';
import { caseChanged } from './events.js';
import { applyTransition, rolesFor } from '../workflow/engine.js';
import { sendMails } from '../workflow/notify.js';

const Id = z.object({ id: z.uuid() });
/** Who may decide anything on a model version: approving or sending back, from some state. */
const REVIEWERS: readonly Role[] = ['org-admin', 'engineer', 'reviewer', 'technician'];
const TO = { approve: 'approved', 'request-changes': 'changes-requested' } as const;

const reviewBody = z
  .object({
    decision: z.enum(REVIEW_DECISIONS),
    comment: z.string().trim().max(10_000).optional(),
    /** The model version judged; default the latest succeeded model job. */
    jobId: z.uuid().optional(),
  })
  .strict();

/** A succeeded model job of the case: the one named, else the latest; 404 for a job that is not one, 409 when there is none. */
export async function modelJob(db: Kysely<Database>, caseId: string, jobId: string | undefined): Promise<string> {
  let q = db.selectFrom('jobs').select(['id', 'state']).where('case_id', '=', caseId).where('kind', 'in', MODEL_JOB_KINDS);
  if (jobId) q = q.where('id', '=', jobId);
  else q = q.where('state', '=', 'succeeded');
  const j = await q.orderBy('created_at', 'desc').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  if (!j && jobId) throw new HttpError(404, 'NOT_FOUND', `job ${jobId} is not a model job of case ${caseId}`);
  if (!j) throw new HttpError(409, 'NO_MODEL', `case ${caseId} has no succeeded model yet: nothing to review or edit`);
  if (j.state !== 'succeeded') throw new HttpError(409, 'NO_MODEL', `job ${j.id} is ${j.state}: only a succeeded model can be reviewed or edited`);
  return j.id;
}

export function reviewRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;

  r.post('/api/cases/:id/reviews', { config: { access: REVIEWERS, scopedBy: 'case' }, schema: { params: Id, body: reviewBody } }, async (req, reply) => {
    const p = caller(req);
    const c = await caseOf(db, p, req.params.id);
    const b = req.body;
    const to = TO[b.decision];
    // A role that can never approve hears so whatever the case's state.
    if (!rolesFor(to).includes(p.role)) throw forbidden(`role ${p.role} may not ${b.decision}; allowed: ${rolesFor(to).join(', ')}`);
    const jobId = await modelJob(db, c.id, b.jobId);
    const done = await applyTransition(s, { caseId: c.id, orgId: c.org_id, to, actor: p, comment: b.comment, modelVersionId: jobId });
    void sendMails(s, done.mails, req.log);
    caseChanged(db, c.org_id);
    const row = await db.selectFrom('reviews').select('created_at').where('id', '=', done.reviewId ?? '').executeTakeFirst();
    return reply.code(201).send({
      id: done.reviewId,
      decision: b.decision,
      jobId,
      by: { id: p.userId, email: p.email },
      at: new Date(row?.created_at ?? Date.now()).toISOString(),
      comment: b.comment || null,
      state: done.state,
      transitionId: done.transitionId,
      ...(done.code ? { code: done.code } : {}),
    });
  });

  r.get('/api/cases/:id/reviews', { config: { access: 'any', scopedBy: 'case' }, schema: { params: Id } }, async (req) => {
    const c = await caseOf(db, caller(req), req.params.id);
    const rows = await db
      .selectFrom('reviews')
      .innerJoin('users', 'users.id', 'reviews.user_id')
      .select(['reviews.id', 'reviews.decision', 'reviews.job_id', 'reviews.user_id', 'users.email', 'reviews.comment', 'reviews.created_at'])
      .where('reviews.case_id', '=', c.id)
      .orderBy('reviews.created_at')
      .orderBy('reviews.seq')
      .execute();
    return rows.map((x) => ({ id: x.id, decision: x.decision, jobId: x.job_id, by: { id: x.user_id, email: x.email }, at: new Date(x.created_at).toISOString(), comment: x.comment }));
  });
}
