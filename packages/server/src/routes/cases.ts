/** Cases (an order for a model: purpose, anatomy, due date, notes), their series and comments. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { api, caller } from '../http/route.js';
import { orgOf } from '../auth/principal.js';
import type { Services } from '../context.js';
import { caseOf } from './scope.js';

const Id = z.object({ id: z.uuid() });
const WRITERS = ['org-admin', 'requester', 'engineer'] as const;

export const caseBody = z
  .object({
    purpose: z.string().trim().min(1).max(2000),
    anatomy: z.string().trim().min(1).max(200),
    dueDate: z.iso.date().optional(),
    notes: z.string().max(10_000).optional(),
  })
  .strict();

type CaseRow = Awaited<ReturnType<typeof caseOf>>;

function caseJson(c: CaseRow) {
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

export function caseRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;

  r.post('/api/cases', { config: { access: WRITERS }, schema: { body: caseBody } }, async (req, reply) => {
    const p = caller(req);
    const id = randomUUID();
    const b = req.body;
    await db
      .insertInto('cases')
      .values({ id, org_id: orgOf(p), purpose: b.purpose, anatomy: b.anatomy, due_date: b.dueDate ?? null, notes: b.notes ?? null, created_by: p.userId })
      .execute();
    return reply.code(201).send({ id });
  });

  r.get('/api/cases', { config: { access: 'any' } }, async (req) => {
    const p = caller(req);
    const rows = await db.selectFrom('cases').selectAll().where('org_id', '=', orgOf(p)).orderBy('created_at', 'desc').limit(1000).execute();
    return rows.map(caseJson);
  });

  r.get('/api/cases/:id', { config: { access: 'any', scopedBy: 'case' }, schema: { params: Id } }, async (req) => {
    const c = await caseOf(db, caller(req), req.params.id);
    const series = await db
      .selectFrom('files')
      .select(['series_uid', sql<number>`count(*)::int`.as('files'), sql<number>`sum(bytes)::float8`.as('bytes')])
      .where('case_id', '=', c.id)
      .groupBy('series_uid')
      .execute();
    const jobs = await db.selectFrom('jobs').select(['id', 'kind', 'state', 'progress', 'created_at']).where('case_id', '=', c.id).orderBy('created_at').execute();
    return {
      ...caseJson(c),
      series: series.map((x) => ({ seriesInstanceUid: x.series_uid, files: Number(x.files), bytes: Number(x.bytes) })),
      jobs: jobs.map((j) => ({ id: j.id, kind: j.kind, state: j.state, progress: j.progress, createdAt: new Date(j.created_at).toISOString() })),
    };
  });

  r.post(
    '/api/cases/:id/comments',
    { config: { access: 'any', scopedBy: 'case' }, schema: { params: Id, body: z.object({ body: z.string().trim().min(1).max(10_000) }).strict() } },
    async (req, reply) => {
      const p = caller(req);
      const c = await caseOf(db, p, req.params.id);
      const id = randomUUID();
      await db.insertInto('comments').values({ id, org_id: c.org_id, case_id: c.id, user_id: p.userId, body: req.body.body }).execute();
      return reply.code(201).send({ id });
    },
  );

  r.get('/api/cases/:id/comments', { config: { access: 'any', scopedBy: 'case' }, schema: { params: Id } }, async (req) => {
    const c = await caseOf(db, caller(req), req.params.id);
    const rows = await db
      .selectFrom('comments')
      .innerJoin('users', 'users.id', 'comments.user_id')
      .select(['comments.id', 'comments.body', 'comments.created_at', 'users.email'])
      .where('comments.case_id', '=', c.id)
      .orderBy('comments.created_at')
      .execute();
    return rows.map((x) => ({ id: x.id, body: x.body, author: x.email, createdAt: new Date(x.created_at).toISOString() }));
  });
}
