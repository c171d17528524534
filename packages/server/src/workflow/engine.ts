/**
 * The workflow rules (core's TRANSITIONS) applied to a case in the database. A transition
 * or a gate signature is one transaction: the case row is locked, the rules checked against
 * the facts read inside it, the history row, the gate rows, the audit entries, the model
 * code (at approval) and the notification rows all commit together or not at all.
 *
 * Refusals, in this order: 409 BAD_TRANSITION (no such move from the case's state, whoever
 * asks), 403 FORBIDDEN (the caller's role may not take it), 409 MISSING (names each missing
 * requirement), 409 FOUR_EYES. A signature (approval, a gate) with a token that someone else
 * made for the signer is 403 NOT_PERSONAL, after the role check.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  GATE_RULES,
  REQUIREMENT_LABELS,
  TRANSITIONS,
  isCaseState,
  missingFor,
  roleMay,
  ruleFor,
  rulesFrom,
  type CaseState,
  type Gate,
  type TransitionRule,
} from '@scan2print/core';
import type { Database } from '../db/schema.js';
import type { Services } from '../context.js';
import { requirePersonal, type Principal } from '../auth/principal.js';
import { HttpError, forbidden, notFound } from '../http/errors.js';
import { caseFacts, type CaseFacts } from './facts.js';
import { appendAudit } from '../audit/index.js';
import { issueModelCode } from '../codes/issue.js';
import { notifyGate, notifyTransition, type PendingMail } from './notify.js';
import { withdrawPrintJobs } from '../print/withdraw.js';

export interface TransitionInput {
  caseId: string;
  orgId: string;
  to: CaseState;
  /** Null: the server's own automatic step. */
  actor: Principal | null;
  comment?: string | null | undefined;
  modelVersionId?: string | null | undefined;
}

export interface TransitionDone {
  from: CaseState;
  state: CaseState;
  transitionId: string;
  auditSeq: number;
  modelVersionId: string | null;
  /** The model code issued at approval. */
  code?: string;
  /** The review row written for an approval or a change request on a model version. */
  reviewId?: string;
  mails: PendingMail[];
}

/** The case row, locked for this transaction (one transition at a time per case). */
async function lockCase(tx: Kysely<Database>, caseId: string, orgId: string) {
  const c = await tx.selectFrom('cases').select(['id', 'org_id', 'status', 'created_by', 'anatomy']).where('id', '=', caseId).where('org_id', '=', orgId).forUpdate().executeTakeFirst();
  if (!c) throw notFound('case');
  if (!isCaseState(c.status)) throw new HttpError(409, 'BAD_TRANSITION', `case ${caseId} is in an unknown state ${c.status}`);
  return { ...c, status: c.status };
}

const words = (keys: string[]) => keys.map((k) => `${k} (${REQUIREMENT_LABELS[k as keyof typeof REQUIREMENT_LABELS] ?? k})`).join(', ');

function badTransition(caseId: string, from: CaseState, to: string): HttpError {
  const ways = rulesFrom(from).map((r) => r.to);
  return new HttpError(409, 'BAD_TRANSITION', `case ${caseId} is ${from}: it cannot go to ${to} from there${ways.length ? `; it can go to ${ways.join(', ')}` : ' (a final state)'}`);
}

/** The checks, in the documented order, for a rule found from the case's state. */
function check(rule: TransitionRule, caseId: string, actor: Principal | null, f: CaseFacts, comment: string | null | undefined): void {
  if (actor && !roleMay(rule, actor.role)) {
    throw forbidden(`role ${actor.role} may not move a case to ${rule.to} (${rule.label}); allowed: ${rule.roles.join(', ')}`);
  }
  if (!actor && !rule.auto) throw new Error(`transition to ${rule.to} is not automatic`);
  if (actor && rule.signs) requirePersonal(actor, `${rule.label} (signing the ${rule.signs} gate)`);
  const missing = missingFor(rule, { ...f.facts, comment: !!comment?.trim() });
  if (missing.length) {
    const v = f.version && missing.includes('model-version') && f.version.problems.length ? ` (${f.version.problems.join('; ')})` : '';
    throw new HttpError(409, 'MISSING', `case ${caseId} cannot go to ${rule.to}: missing ${words(missing)}${v}`);
  }
  if (rule.signs === 'model' && actor && f.facts.fourEyes) throw new HttpError(409, 'FOUR_EYES', f.facts.fourEyes);
}

/** Applies one transition in its own transaction (or the caller's). */
export async function applyTransition(s: Services, i: TransitionInput, db: Kysely<Database> = s.db): Promise<TransitionDone> {
  if (!db.isTransaction) return db.transaction().execute((tx) => applyTransition(s, i, tx));
  const tx = db;
  const c = await lockCase(tx, i.caseId, i.orgId);
  const from = c.status;
  const rule = ruleFor(from, i.to);
  if (!rule) throw badTransition(c.id, from, i.to);
  const f = await caseFacts(tx, c.id, { actorId: i.actor?.userId ?? null, versionId: i.modelVersionId ?? null, comment: i.comment ?? null });
  check(rule, c.id, i.actor, f, i.comment);
  const comment = i.comment?.trim() || null;
  // The version acted on: the approved one, the one sent back, or the convert that segmented the case.
  const versionId = rule.signs || rule.to === 'changes-requested' || rule.to === 'segmented' ? (f.version?.id ?? null) : null;
  const transitionId = randomUUID();
  await tx
    .insertInto('case_transitions')
    .values({ id: transitionId, org_id: c.org_id, case_id: c.id, from_state: from, to_state: rule.to, actor_id: i.actor?.userId ?? null, comment, model_version_id: versionId })
    .execute();
  await tx.updateTable('cases').set({ status: rule.to }).where('id', '=', c.id).execute();
  if (rule.voids?.length) {
    await tx
      .updateTable('gate_signatures')
      .set({ voided_at: new Date(), voided_by: transitionId })
      .where('case_id', '=', c.id)
      .where('gate', 'in', [...rule.voids])
      .where('voided_at', 'is', null)
      .execute();
  }
  const entry = await appendAudit(s, tx, {
    action: 'transition',
    actor: i.actor,
    orgId: c.org_id,
    caseId: c.id,
    details: { transitionId, from, to: rule.to, label: rule.label, comment, modelVersionId: versionId, ...(rule.voids?.length ? { voids: [...rule.voids] } : {}) },
  });
  await tx.updateTable('case_transitions').set({ audit_seq: entry.seq }).where('id', '=', transitionId).execute();
  if (rule.voids?.includes('model') || rule.to === 'cancelled' || rule.to === 'rejected') {
    await withdrawPrintJobs(s, tx, c, { actor: i.actor, transitionId, to: rule.to });
  }
  if (rule.signs && i.actor && versionId) await insertGate(s, tx, { c, gate: rule.signs, versionId, actor: i.actor, comment, transitionId });
  let code: string | undefined;
  if (rule.to === 'approved' && versionId) {
    code = (await issueModelCode(s, tx, { orgId: c.org_id, caseId: c.id, jobId: versionId, actor: i.actor })).code;
  }
  // The reviews list (and the case row's `review`) keeps showing decisions on model versions.
  let reviewId: string | undefined;
  if (i.actor && versionId && (rule.to === 'approved' || rule.to === 'changes-requested')) {
    reviewId = randomUUID();
    await tx
      .insertInto('reviews')
      .values({ id: reviewId, org_id: c.org_id, case_id: c.id, job_id: versionId, user_id: i.actor.userId, decision: rule.to === 'approved' ? 'approve' : 'request-changes', comment })
      .execute();
  }
  const mails = await notifyTransition(tx, c, { from, to: rule.to, label: rule.label, actorId: i.actor?.userId ?? null, actorEmail: i.actor?.email ?? null, transitionId });
  return { from, state: rule.to, transitionId, auditSeq: entry.seq, modelVersionId: versionId, ...(code ? { code } : {}), ...(reviewId ? { reviewId } : {}), mails };
}

async function insertGate(
  s: Services,
  tx: Kysely<Database>,
  g: { c: { id: string; org_id: string }; gate: Gate; versionId: string; actor: Principal; comment: string | null; transitionId?: string },
): Promise<{ id: string; auditSeq: number }> {
  const id = randomUUID();
  // A signature for another version no longer holds once this one is signed.
  await tx.updateTable('gate_signatures').set({ voided_at: new Date() }).where('case_id', '=', g.c.id).where('gate', '=', g.gate).where('voided_at', 'is', null).execute();
  await tx
    .insertInto('gate_signatures')
    .values({ id, org_id: g.c.org_id, case_id: g.c.id, gate: g.gate, model_version_id: g.versionId, signed_by: g.actor.userId, comment: g.comment, transition_id: g.transitionId ?? null })
    .execute();
  // The gate entry carries the signer's identity (actor) and what was signed.
  const entry = await appendAudit(s, tx, {
    action: 'gate-signed',
    actor: g.actor,
    orgId: g.c.org_id,
    caseId: g.c.id,
    details: { signatureId: id, gate: g.gate, modelVersionId: g.versionId, comment: g.comment, ...(g.transitionId ? { transitionId: g.transitionId } : {}) },
  });
  await tx.updateTable('gate_signatures').set({ audit_seq: entry.seq }).where('id', '=', id).execute();
  return { id, auditSeq: entry.seq };
}

export interface GateInput {
  caseId: string;
  orgId: string;
  gate: Gate;
  actor: Principal;
  comment?: string | null | undefined;
  modelVersionId?: string | null | undefined;
}

export interface GateDone {
  gate: Gate;
  signatureId: string;
  modelVersionId: string;
  auditSeq: number;
  /** False when the same signature already held (nothing new written). */
  created: boolean;
  mails: PendingMail[];
}

/**
 * Signs a gate on its own: segmentation (engineer, in review, for the version named or the
 * latest), print-qc (technician, in print preparation, for the approved version). The model
 * gate is signed by approving only.
 */
export async function signGate(s: Services, i: GateInput): Promise<GateDone> {
  return s.db.transaction().execute(async (tx) => {
    const c = await lockCase(tx, i.caseId, i.orgId);
    const rule = GATE_RULES[i.gate];
    if (rule.signedBy) {
      throw new HttpError(409, 'BAD_TRANSITION', `the ${i.gate} gate is signed by the transition to ${rule.signedBy}: POST /api/cases/${c.id}/transitions {"to":"${rule.signedBy}"}`);
    }
    if (!rule.states.includes(c.status)) {
      throw new HttpError(409, 'BAD_TRANSITION', `the ${i.gate} gate can be signed only while the case is ${rule.states.join(' or ')}; case ${c.id} is ${c.status}`);
    }
    if (!roleMay(rule, i.actor.role)) throw forbidden(`role ${i.actor.role} may not sign the ${i.gate} gate; signers: ${rule.roles.join(', ')}`);
    requirePersonal(i.actor, `signing the ${i.gate} gate`);
    const f = await caseFacts(tx, c.id, { versionId: i.modelVersionId ?? null });
    const approved = f.gates.model?.modelVersionId ?? null;
    if (i.gate === 'print-qc' && (!approved || (i.modelVersionId && i.modelVersionId !== approved))) {
      throw new HttpError(409, 'MISSING', `the print-qc gate is signed for the approved model version (${approved ?? 'none'}), not ${i.modelVersionId ?? 'another'}`);
    }
    const v = f.version;
    if (!v || v.state !== 'succeeded') {
      throw new HttpError(409, 'MISSING', `case ${c.id} has no succeeded model version to sign the ${i.gate} gate for${v ? ` (${v.problems.join('; ')})` : ''}`);
    }
    const held = f.gates[i.gate];
    if (held && held.modelVersionId === v.id && held.by.id === i.actor.userId) {
      return { gate: i.gate, signatureId: held.id, modelVersionId: v.id, auditSeq: held.auditSeq ?? 0, created: false, mails: [] };
    }
    const sig = await insertGate(s, tx, { c, gate: i.gate, versionId: v.id, actor: i.actor, comment: i.comment?.trim() || null });
    const mails = await notifyGate(tx, c, { gate: i.gate, state: c.status, signerId: i.actor.userId, signerEmail: i.actor.email });
    return { gate: i.gate, signatureId: sig.id, modelVersionId: v.id, auditSeq: sig.auditSeq, created: true, mails };
  });
}

/** The roles that may ever take a transition to `to` (from any state). */
export function rolesFor(to: CaseState): string[] {
  return [...new Set(TRANSITIONS.filter((r) => r.to === to).flatMap((r) => [...r.roles]))];
}
