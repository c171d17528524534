/**
 * What the workflow rules need to know about a case, read from the database: its files, its
 * convert jobs, its model jobs still queued or running, the model version in question (succeeded, checks passed, 3MF and ISO report),
 * the gate signatures that hold, and the four-eyes facts for one caller.
 */
import type { Kysely } from 'kysely';
import { GATES, type Gate, type WorkflowFacts } from '@scan2print/core';
import { MODEL_JOB_KINDS, type Database } from '../db/schema.js';
import { HttpError } from '../http/errors.js';

export interface VersionFacts {
  id: string;
  kind: string;
  state: string;
  /** Who started the job: for a mesh job also who edited its label map. */
  createdBy: string;
  /** Succeeded, every model passed its checks, a 3MF and an ISO report listed. */
  ok: boolean;
  /** Why not, in words. */
  problems: string[];
}

export interface GateSignature {
  id: string;
  gate: Gate;
  modelVersionId: string | null;
  by: { id: string; email: string };
  at: string;
  comment: string | null;
  auditSeq: number | null;
}

/** The model version a request names (404 when it is not one of the case), else the latest succeeded one. */
export async function versionFacts(db: Kysely<Database>, caseId: string, jobId?: string | null): Promise<VersionFacts | undefined> {
  let q = db.selectFrom('jobs').select(['id', 'kind', 'state', 'created_by', 'summary']).where('case_id', '=', caseId).where('kind', 'in', MODEL_JOB_KINDS);
  q = jobId ? q.where('id', '=', jobId) : q.where('state', '=', 'succeeded');
  const j = await q.orderBy('created_at', 'desc').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  if (!j) {
    if (jobId) throw new HttpError(404, 'NOT_FOUND', `job ${jobId} is not a model version (convert or mesh job) of case ${caseId}`);
    return undefined;
  }
  const problems: string[] = [];
  if (j.state !== 'succeeded') problems.push(`job ${j.id} is ${j.state}`);
  const models = ((j.summary as { models?: Array<{ name: string; checks?: { printable?: unknown } }> } | null)?.models ?? []);
  if (j.state === 'succeeded' && models.length === 0) problems.push(`job ${j.id} made no model`);
  for (const m of models) if (m.checks?.printable !== true) problems.push(`${m.name} did not pass the printability checks`);
  const arts = await db.selectFrom('artifacts').select(['kind', 'name']).where('job_id', '=', j.id).execute();
  if (j.state === 'succeeded') {
    if (!arts.some((a) => a.kind === 'model' && a.name.endsWith('.3mf'))) problems.push(`job ${j.id} has no 3MF model`);
    if (!arts.some((a) => a.kind === 'report-html' || a.kind === 'report-json')) problems.push(`job ${j.id} has no ISO report`);
  }
  return { id: j.id, kind: j.kind, state: j.state, createdBy: j.created_by, ok: problems.length === 0, problems };
}

/** Each gate's signature that holds now (the latest not voided), whatever version it is for. */
export async function currentGates(db: Kysely<Database>, caseId: string): Promise<Partial<Record<Gate, GateSignature>>> {
  const rows = await db
    .selectFrom('gate_signatures')
    .innerJoin('users', 'users.id', 'gate_signatures.signed_by')
    .select(['gate_signatures.id', 'gate', 'model_version_id', 'signed_by', 'users.email', 'gate_signatures.created_at', 'comment', 'audit_seq'])
    .where('case_id', '=', caseId)
    .where('voided_at', 'is', null)
    .orderBy('gate_signatures.created_at', 'desc')
    .orderBy('audit_seq', (o) => o.desc().nullsLast())
    .execute();
  const out: Partial<Record<Gate, GateSignature>> = {};
  for (const r of rows) {
    const g = r.gate as Gate;
    if (!GATES.includes(g) || out[g]) continue;
    out[g] = {
      id: r.id,
      gate: g,
      modelVersionId: r.model_version_id,
      by: { id: r.signed_by, email: r.email },
      at: new Date(r.created_at).toISOString(),
      comment: r.comment,
      auditSeq: r.audit_seq,
    };
  }
  return out;
}

export interface CaseFacts {
  facts: WorkflowFacts;
  /** The model version the gates and the approval are about. */
  version: VersionFacts | undefined;
  gates: Partial<Record<Gate, GateSignature>>;
}

/**
 * The facts for one caller: the version is the one named, else the approved one (the model
 * gate's), else the latest succeeded. A gate counts only when signed for that version.
 */
export async function caseFacts(
  db: Kysely<Database>,
  caseId: string,
  o: { actorId?: string | null; versionId?: string | null; comment?: string | null } = {},
): Promise<CaseFacts> {
  const gates = await currentGates(db, caseId);
  const version = await versionFacts(db, caseId, o.versionId ?? gates.model?.modelVersionId ?? null);
  const files = await db.selectFrom('files').select('id').where('case_id', '=', caseId).limit(1).executeTakeFirst();
  const converted = await db.selectFrom('jobs').select('id').where('case_id', '=', caseId).where('kind', '=', 'convert').where('state', '=', 'succeeded').limit(1).executeTakeFirst();
  const pending = await db.selectFrom('jobs').select('id').where('case_id', '=', caseId).where('kind', 'in', MODEL_JOB_KINDS).where('state', 'in', ['queued', 'running']).limit(1).executeTakeFirst();
  const signed: Partial<Record<Gate, boolean>> = {};
  for (const g of GATES) signed[g] = !!version && gates[g]?.modelVersionId === version.id;
  const facts: WorkflowFacts = {
    files: !!files,
    converted: !!converted,
    modelVersion: version?.ok === true,
    gates: signed,
    comment: !!o.comment?.trim(),
    pendingJob: !!pending,
  };
  const why = o.actorId && version ? fourEyes(o.actorId, version, gates.segmentation) : undefined;
  if (why) facts.fourEyes = why;
  return { facts, version, gates };
}

/**
 * Four eyes: who approves a model version is neither who started its job (for a mesh job,
 * also who edited its label map: the same user) nor who signed its segmentation gate.
 */
export function fourEyes(actorId: string, v: VersionFacts, segmentation: GateSignature | undefined): string | undefined {
  if (v.createdBy === actorId) {
    return v.kind === 'mesh'
      ? `you edited the label map of model version ${v.id} and started its job: someone else must approve it`
      : `you started job ${v.id} that made this model version: someone else must approve it`;
  }
  if (segmentation && segmentation.modelVersionId === v.id && segmentation.by.id === actorId) {
    return `you signed the segmentation gate of model version ${v.id}: someone else must approve it`;
  }
  return undefined;
}
