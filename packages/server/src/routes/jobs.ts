/** Jobs: start a convert on a case, read its state, follow it live (SSE), cancel it. */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { convertJobSettings, convertParamsSchema } from '@scan2print/core';
import { api, caller } from '../http/route.js';
import { badRequest } from '../http/errors.js';
import type { Services } from '../context.js';
import type { Job } from '../db/schema.js';
import { enqueue, requestCancel, TERMINAL } from '../jobs/queue.js';
import { caseOf, jobOf } from './scope.js';
import { appendAudit } from '../audit/index.js';
import { refuseClosedCase } from '../workflow/closed.js';

const Id = z.object({ id: z.uuid() });
const STARTERS = ['org-admin', 'requester', 'engineer'] as const;

export function jobJson(j: Job) {
  return {
    id: j.id,
    caseId: j.case_id,
    kind: j.kind,
    params: j.params,
    state: j.state,
    progress: j.progress,
    stage: j.stage,
    attempts: j.attempts,
    ...(j.error ? { error: j.error } : {}),
    ...(j.summary ? { summary: j.summary } : {}),
    createdAt: new Date(j.created_at).toISOString(),
    ...(j.started_at ? { startedAt: new Date(j.started_at).toISOString() } : {}),
    ...(j.finished_at ? { finishedAt: new Date(j.finished_at).toISOString() } : {}),
  };
}

export function jobRoutes(app: FastifyInstance, s: Services, poke: () => void): void {
  const r = api(app);
  const { db } = s;

  r.post(
    '/api/cases/:id/jobs',
    {
      config: { access: STARTERS, scopedBy: 'case' },
      schema: {
        params: Id,
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }).loose(),
        body: z.object({ kind: z.literal('convert'), params: convertParamsSchema.optional() }).strict(),
      },
    },
    async (req, reply) => {
      const p = caller(req);
      // A closed or approved case is refused by enqueue, under the case's lock (CASE_CLOSED,
      // CASE_APPROVED), where a repeat of an earlier request still gets its job.
      const c = await caseOf(db, p, req.params.id);
      const params = req.body.params ?? {};
      // The CLI's own rules (combinations, ranges), not only the schema's shapes.
      convertJobSettings(params);
      const files = await db.selectFrom('files').select('id').where('case_id', '=', c.id).limit(1).execute();
      if (files.length === 0) {
        // A closed case says so first: uploading files would not help it.
        refuseClosedCase(c);
        throw badRequest('NO_FILES', `case ${c.id} has no uploaded files; POST /api/cases/${c.id}/files first`);
      }
      const key = req.headers['idempotency-key'];
      const { id, created } = await enqueue(db, {
        orgId: c.org_id,
        caseId: c.id,
        kind: 'convert',
        params,
        createdBy: p.userId,
        ...(key !== undefined ? { idempotencyKey: key } : {}),
      });
      if (created) await appendAudit(s, db, { action: 'job-queued', actor: p, orgId: c.org_id, caseId: c.id, details: { jobId: id, kind: 'convert', params } });
      if (created) poke();
      return reply.code(created ? 201 : 200).send({ id });
    },
  );

  r.get('/api/cases/:id/jobs', { config: { access: 'any', scopedBy: 'case' }, schema: { params: Id } }, async (req) => {
    const c = await caseOf(db, caller(req), req.params.id);
    const rows = await db.selectFrom('jobs').selectAll().where('case_id', '=', c.id).orderBy('created_at').orderBy('seq').execute();
    return rows.map(jobJson);
  });

  r.get('/api/jobs/:id', { config: { access: 'any', scopedBy: 'job' }, schema: { params: Id } }, async (req) => jobJson(await jobOf(db, caller(req), req.params.id)));

  r.post('/api/jobs/:id/cancel', { config: { access: STARTERS, scopedBy: 'job' }, schema: { params: Id } }, async (req) => {
    const j = await jobOf(db, caller(req), req.params.id);
    const state = TERMINAL.includes(j.state) ? j.state : await requestCancel(db, j.id);
    // Once per job: a repeated cancel of a running job whose stop was already asked for adds no entry.
    const asked = j.state === 'running' && j.cancel_requested;
    if (!TERMINAL.includes(j.state) && !asked) await appendAudit(s, db, { action: 'job-cancelled', actor: caller(req), orgId: j.org_id, caseId: j.case_id, details: { jobId: j.id, kind: j.kind, state } });
    return { id: j.id, state, cancelRequested: state === 'running' };
  });

  // Server-sent events: one `job` event whenever state, progress or stage changes; ends when the job does.
  r.get('/api/jobs/:id/events', { config: { access: 'any', scopedBy: 'job' }, schema: { params: Id } }, async (req, reply) => {
    const p = caller(req);
    let j = await jobOf(db, p, req.params.id);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
    let closed = false;
    req.raw.on('close', () => (closed = true));
    let last = '';
    let beat = Date.now();
    while (!closed) {
      const body = JSON.stringify(jobJson(j));
      if (body !== last) {
        res.write(`event: job\ndata: ${body}\n\n`);
        last = body;
        beat = Date.now();
      } else if (Date.now() - beat > 15_000) {
        res.write(': keep-alive\n\n');
        beat = Date.now();
      }
      if (TERMINAL.includes(j.state)) break;
      await new Promise((r) => setTimeout(r, 500));
      try {
        j = await jobOf(db, p, req.params.id);
      } catch {
        res.write(`event: error\ndata: ${JSON.stringify({ message: 'the database is not answering; reconnect' })}\n\n`);
        break;
      }
    }
    res.end();
  });
}
