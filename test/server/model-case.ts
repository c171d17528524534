/**
 * A case whose model version is a given mesh, stored as a 3MF the way a convert job stores it
 * (a succeeded job, its model artifact), and optionally approved (state approved, the model
 * gate signed by the reviewer), written straight to the database: print specs quote, queue and
 * plan real models without running a convert for each.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { write3mf, type Mesh } from '@scan2print/core';
import type { TestOrg, TestServer } from './harness.js';

export interface ModelCaseOptions {
  purpose: string;
  dueDate?: string;
  /** Approve it (default true): state approved, the model gate signed for this version. */
  approve?: boolean;
  /** The 3MF's creation date (its bytes, so its checksum, depend on it). */
  creationDate?: string;
}

export async function modelCase(t: TestServer, org: TestOrg, mesh: Mesh, o: ModelCaseOptions): Promise<{ caseId: string; versionId: string }> {
  const db = t.server.services.db;
  const body = { purpose: o.purpose, anatomy: 'mandible', ...(o.dueDate ? { dueDate: o.dueDate } : {}) };
  const caseId = (await t.json(org.tokens.requester, 'POST', '/api/cases', body)).id as string;
  const versionId = randomUUID();
  await db
    .insertInto('jobs')
    .values({
      id: versionId, org_id: org.id, case_id: caseId, kind: 'convert', params: '{}', state: 'succeeded', progress: 1, stage: 'done', error: null,
      idempotency_key: null, lease_owner: null, lease_expires_at: null, created_by: org.users.engineer, started_at: new Date(), finished_at: new Date(),
      summary: JSON.stringify({ findings: [], models: [{ name: 'bone', checks: { printable: true }, accuracy: null }] }),
    })
    .execute();
  const bytes = write3mf(mesh, { title: o.purpose, creationDate: o.creationDate ?? '2026-12-01' });
  const key = `jobs/${versionId}/1/bone.3mf`;
  await t.server.services.store.put(key, bytes);
  const sha256 = randomBytes(32).toString('hex');
  await db
    .insertInto('artifacts')
    .values({ id: randomUUID(), org_id: org.id, case_id: caseId, job_id: versionId, kind: 'model', name: 'bone.3mf', object_key: key, media_type: 'model/3mf', sha256, bytes: bytes.length })
    .execute();
  if (o.approve ?? true) {
    await db.updateTable('cases').set({ status: 'approved' }).where('id', '=', caseId).execute();
    await db.insertInto('gate_signatures').values({ id: randomUUID(), org_id: org.id, case_id: caseId, gate: 'model', model_version_id: versionId, signed_by: org.users.reviewer }).execute();
  }
  return { caseId, versionId };
}

/**
 * A case whose model the reviewer approved through the API, as print.spec's: the convert's ISO
 * report beside its 3MF (approval asks for both), in review, the segmentation gate signed by the
 * engineer, then approved by the reviewer.
 */
export async function approvedThroughApi(t: TestServer, org: TestOrg, mesh: Mesh, o: Omit<ModelCaseOptions, 'approve'>): Promise<{ caseId: string; modelVersionId: string }> {
  const c = await modelCase(t, org, mesh, { ...o, approve: false });
  const { db, store } = t.server.services;
  const report = new TextEncoder().encode('<!doctype html><title>report</title>');
  const key = `jobs/${c.versionId}/1/report.html`;
  await store.put(key, report);
  await db
    .insertInto('artifacts')
    .values({ id: randomUUID(), org_id: org.id, case_id: c.caseId, job_id: c.versionId, kind: 'report-html', name: 'report.html', object_key: key, media_type: 'text/html', sha256: createHash('sha256').update(report).digest('hex'), bytes: report.length })
    .execute();
  await db.updateTable('cases').set({ status: 'in-review' }).where('id', '=', c.caseId).execute();
  const modelVersionId = c.versionId;
  await t.json(org.tokens.engineer, 'POST', `/api/cases/${c.caseId}/gates`, { gate: 'segmentation', comment: 'checked', modelVersionId });
  const state = (await t.json(org.tokens.reviewer, 'POST', `/api/cases/${c.caseId}/transitions`, { to: 'approved', comment: 'fine', modelVersionId })).state;
  if (state !== 'approved') throw new Error(`approval of case ${c.caseId} left it ${String(state)}`);
  return { caseId: c.caseId, modelVersionId };
}

/** Signs print-qc and moves an approved case with a queued print job to printing, as the workflow panel does. */
export async function moveToPrinting(t: TestServer, org: TestOrg, caseId: string, modelVersionId: string): Promise<void> {
  for (const step of [{ to: 'print-preparation' }, { gate: 'print-qc', comment: 'supports checked' }, { to: 'printing' }]) {
    await t.json(org.tokens.technician, 'POST', `/api/cases/${caseId}/${'gate' in step ? 'gates' : 'transitions'}`, { ...step, modelVersionId });
  }
}

/** The Form 3+ in grey resin: the print specs' resin plate. */
export const FORM_GREY = { printer: 'formlabs-form3plus', material: 'formlabs-grey' } as const;

/** Queues a print job for the case on `spec` (the server quotes it), as a technician; its id. */
export async function queuePrint(t: TestServer, org: TestOrg, caseId: string, spec: { printer: string; material: string } = FORM_GREY): Promise<string> {
  return (await t.json(org.tokens.technician, 'POST', '/api/print/jobs', { caseId, ...spec })).id as string;
}

/** A case approved through the API, queued on the Form 3+ in grey resin, print-qc signed and moved to printing, as the workflow panel does. */
export async function printingCase(t: TestServer, org: TestOrg, mesh: Mesh, o: Omit<ModelCaseOptions, 'approve'>): Promise<{ caseId: string; jobId: string }> {
  const { caseId, modelVersionId } = await approvedThroughApi(t, org, mesh, o);
  const jobId = await queuePrint(t, org, caseId);
  await moveToPrinting(t, org, caseId, modelVersionId);
  return { caseId, jobId };
}
