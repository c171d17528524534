/**
 * The case workflow over HTTP: move a case (POST …/transitions), sign a stage
 * gate (POST …/gates), and read where it stands (GET …/workflow: state, gates, the next
 * transitions with what is missing and whether the caller may take them, the history).
 * The rules are core's TRANSITIONS, enforced by workflow/engine.ts.
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { CASE_STATES, GATES, isCaseState, nextTransitions, type Gate } from '@scan2print/core';
import { api, caller } from '../http/route.js';
import type { Services } from '../context.js';
import { caseOf } from './scope.js';
import { caseChanged } from './events.js';
import { applyTransition, signGate } from '../workflow/engine.js';
import { catchUp } from '../workflow/auto.js';
import { caseFacts } from '../workflow/facts.js';
import { sendMails } from '../workflow/notify.js';
import type { Role } from '../db/schema.js';

const Id = z.object({ id: z.uuid() });
/** Every member may ask; the transition's own roles decide (403 names them). */
export const MEMBERS: readonly Role[] = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'];

const transitionBody = z
  .object({
    to: z.enum(CASE_STATES),
    comment: z.string().trim().max(10_000).optional(),
    /** The model version (job) acted on; default the approved one, else the latest succeeded. */
    modelVersionId: z.uuid().optional(),
  })
  .strict();

const gateBody = z
  .object({ gate: z.enum(GATES), modelVersionId: z.uuid().optional(), comment: z.string().trim().max(10_000).optional() })
  .strict();

export function workflowRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;

  r.post('/api/cases/:id/transitions', { config: { access: MEMBERS, scopedBy: 'case' }, schema: { params: Id, body: transitionBody } }, async (req, reply) => {
    const p = caller(req);
    const c = await caseOf(db, p, req.params.id);
    const b = req.body;
    const done = await applyTransition(s, { caseId: c.id, orgId: c.org_id, to: b.to, actor: p, comment: b.comment, modelVersionId: b.modelVersionId });
    void sendMails(s, done.mails, req.log);
    // Files stored or a convert run while the case was a draft move it on now.
    if (done.state === 'submitted') await catchUp(s, c, req.log);
    const now = await db.selectFrom('cases').select('status').where('id', '=', c.id).executeTakeFirstOrThrow();
    caseChanged(db, c.org_id);
    return reply.code(201).send({
      state: now.status,
      transitionId: done.transitionId,
      auditSeq: done.auditSeq,
      from: done.from,
      to: done.state,
      modelVersionId: done.modelVersionId,
      ...(done.code ? { code: done.code } : {}),
    });
  });

  r.post('/api/cases/:id/gates', { config: { access: MEMBERS, scopedBy: 'case' }, schema: { params: Id, body: gateBody } }, async (req, reply) => {
    const p = caller(req);
    const c = await caseOf(db, p, req.params.id);
    const done = await signGate(s, { caseId: c.id, orgId: c.org_id, gate: req.body.gate, actor: p, comment: req.body.comment, modelVersionId: req.body.modelVersionId });
    void sendMails(s, done.mails, req.log);
    caseChanged(db, c.org_id);
    return reply.code(done.created ? 201 : 200).send({
      gate: done.gate,
      signed: true,
      signatureId: done.signatureId,
      modelVersionId: done.modelVersionId,
      by: { id: p.userId, email: p.email },
      auditSeq: done.auditSeq,
    });
  });

  r.get('/api/cases/:id/workflow', { config: { access: 'any', scopedBy: 'case' }, schema: { params: Id } }, async (req) => {
    const p = caller(req);
    const c = await caseOf(db, p, req.params.id);
    const f = await caseFacts(db, c.id, { actorId: p.userId });
    const gates = {} as Record<Gate, { signed: boolean; by?: { id: string; email: string }; at?: string; modelVersionId?: string | null; comment?: string | null }>;
    for (const g of GATES) {
      const sig = f.gates[g];
      // Signed counts for the version in question (the approved one, else the latest).
      gates[g] = sig && f.facts.gates[g] ? { signed: true, by: sig.by, at: sig.at, modelVersionId: sig.modelVersionId, comment: sig.comment } : { signed: false };
    }
    const history = await db
      .selectFrom('case_transitions')
      .leftJoin('users', 'users.id', 'case_transitions.actor_id')
      .select(['from_state', 'to_state', 'actor_id', 'users.email', 'comment', 'case_transitions.created_at', 'model_version_id', 'audit_seq'])
      .where('case_id', '=', c.id)
      .orderBy('case_transitions.created_at')
      // Transitions within one clock tick (one request catching up several: PGlite's clock has
      // milliseconds) in the order their audit entries were written.
      .orderBy('case_transitions.audit_seq')
      .orderBy('case_transitions.id')
      .execute();
    const state = isCaseState(c.status) ? c.status : 'draft';
    return {
      state,
      modelVersion: f.version ? { id: f.version.id, kind: f.version.kind, ok: f.version.ok, problems: f.version.problems } : null,
      gates,
      next: nextTransitions(state, p.role, f.facts),
      history: history.map((h) => ({
        from: h.from_state,
        to: h.to_state,
        by: h.actor_id ? { id: h.actor_id, email: h.email ?? '' } : null,
        at: new Date(h.created_at).toISOString(),
        comment: h.comment,
        modelVersionId: h.model_version_id,
        auditSeq: h.audit_seq,
      })),
    };
  });
}
