/**
 * Migration 0005-workflow on cases made before it: 'open' becomes segmented (a convert
 * succeeded), uploaded (files) or draft (nothing yet); an approved case keeps its state and
 * gets its model gate from the latest approving review, so it can go on to print preparation.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { caseStatesFromOpen } from './db/migrations/0005-workflow.js';

let t: TestServer;
let a: TestOrg;
beforeAll(async () => {
  t = await startTestServer({ workers: 0 });
  a = await t.org('Migration');
});
afterAll(() => t?.close());

it('maps open cases by what they hold and gives approved ones their model gate', async () => {
  const db = t.server.services.db;
  const make = async () => (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'before the workflow', anatomy: 'skull' })).id as string;
  const [empty, withFiles, converted, approved] = [await make(), await make(), await make(), await make()];
  for (const c of [withFiles, converted, approved]) {
    await db
      .insertInto('files')
      .values({ id: randomUUID(), org_id: a.id, case_id: c, name: 'a.dcm', object_key: `cases/${c}/a.dcm`, sha256: randomBytes(32).toString('hex'), bytes: 1, series_uid: null, sop_instance_uid: null, anonymised_by: 'checked' })
      .execute();
  }
  const job = async (c: string, state: 'succeeded' | 'failed') => {
    const id = randomUUID();
    await db
      .insertInto('jobs')
      .values({ id, org_id: a.id, case_id: c, kind: 'convert', params: '{}', state, stage: null, error: null, idempotency_key: null, lease_owner: null, lease_expires_at: null, created_by: a.users.engineer, started_at: null, finished_at: null, summary: null })
      .execute();
    return id;
  };
  await job(withFiles, 'failed');
  await job(converted, 'succeeded');
  const v = await job(approved, 'succeeded');
  const review = (decision: 'approve' | 'request-changes', user: string, at: string) =>
    db.insertInto('reviews').values({ id: randomUUID(), org_id: a.id, case_id: approved, job_id: v, user_id: user, decision, comment: decision, created_at: at }).execute();
  await review('approve', a.users['org-admin'], '2026-01-01T00:00:00Z');
  await review('request-changes', a.users.engineer, '2026-01-02T00:00:00Z');
  await review('approve', a.users.reviewer, '2026-01-03T00:00:00Z');
  await db.updateTable('cases').set({ status: 'open' }).where('id', 'in', [empty, withFiles, converted]).execute();
  await db.updateTable('cases').set({ status: 'approved' }).where('id', '=', approved).execute();
  await caseStatesFromOpen(db as unknown as Kysely<unknown>);
  const status = async (id: string) => (await db.selectFrom('cases').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
  expect([await status(empty), await status(withFiles), await status(converted), await status(approved)]).toEqual(['draft', 'uploaded', 'segmented', 'approved']);
  const gates = await db.selectFrom('gate_signatures').select(['case_id', 'gate', 'model_version_id', 'signed_by', 'voided_at']).execute();
  expect(gates).toEqual([{ case_id: approved, gate: 'model', model_version_id: v, signed_by: a.users.reviewer, voided_at: null }]);
  // The migrated approved case goes on to print preparation; printing still needs the two gates never signed.
  expect((await t.call(a.tokens.technician, 'POST', `/api/cases/${approved}/transitions`, { to: 'print-preparation' })).status).toBe(201);
  const w = await t.json(a.tokens.technician, 'GET', `/api/cases/${approved}/workflow`);
  expect(w.next.find((n: { to: string }) => n.to === 'printing').missingKeys).toEqual(['gate:segmentation', 'gate:print-qc']);
});
