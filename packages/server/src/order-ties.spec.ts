/**
 * Rows of one instant (one transaction's now(), or two requests in one tick of PGlite's
 * millisecond clock) in the order they were made: jobs, model versions and "the latest version",
 * comments, reviews and "the latest review", and a gate's signature that holds. Each test makes three rows at one instant, with ids
 * that sort first, third, second, and has the table rewritten in id order (CLUSTER; VACUUM FULL,
 * updates and pg_repack move rows too), so the last made is stored neither first nor last.
 * Ordered by created_at alone, the lists came back in that stored order and "the latest" was
 * not the last made (seen with migration 0009's `seq` left out of the ordering).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';

let t: TestServer;
let a: TestOrg;
const AT = '2026-01-02T03:04:05.006Z';

beforeAll(async () => {
  t = await startTestServer({ workers: 0 });
  a = await t.org('Ties');
});
afterAll(() => t?.close());

const db = () => t.server.services.db;
/** Three ids that sort first, third, second. */
const idsMixed = () => {
  const [x, y, z] = [randomUUID(), randomUUID(), randomUUID()].sort();
  return [x!, z!, y!];
};
/** The table's rows stored in id order, as a rewrite of the table may leave them. */
const rewrite = (table: 'jobs' | 'comments' | 'reviews' | 'gate_signatures') => sql.raw(`cluster ${table} using ${table}_pkey`).execute(db());

const newCase = async () => (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'ties', anatomy: 'skull' })).id as string;

/** Three succeeded converts of `caseId` made at one instant, stored first, third, second. */
async function versionsAtOneInstant(caseId: string): Promise<string[]> {
  const ids = idsMixed();
  for (const id of ids) {
    await db()
      .insertInto('jobs')
      .values({
        id, org_id: a.id, case_id: caseId, kind: 'convert', params: '{}', state: 'succeeded', progress: 1, stage: 'done', error: null,
        idempotency_key: null, lease_owner: null, lease_expires_at: null, created_by: a.users.engineer, created_at: AT, started_at: null, finished_at: null,
        summary: JSON.stringify({ findings: [], models: [{ name: 'bone', checks: { printable: true } }] }),
      })
      .execute();
  }
  await rewrite('jobs');
  return ids;
}

describe('rows of one instant', () => {
  it('jobs and model versions are listed as made; the latest version is the last made', async () => {
    const caseId = await newCase();
    const ids = await versionsAtOneInstant(caseId);
    const jobs = await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/jobs`);
    expect(jobs.map((j: { id: string }) => j.id)).toEqual(ids);
    expect((await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}`)).jobs.map((j: { id: string }) => j.id)).toEqual(ids);
    const versions = await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/versions`);
    expect(versions.map((v: { version: number; jobId: string }) => [v.version, v.jobId])).toEqual(ids.map((id, i) => [i + 1, id]));
    expect((await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/workflow`)).modelVersion.id).toBe(ids[2]);
    expect((await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}`)).latestJob.id).toBe(ids[2]);
  });

  it('comments are listed as made', async () => {
    const caseId = await newCase();
    const ids = idsMixed();
    for (const [k, id] of ids.entries()) {
      await db().insertInto('comments').values({ id, org_id: a.id, case_id: caseId, user_id: a.users.reviewer, body: `comment ${k + 1}`, created_at: AT }).execute();
    }
    await rewrite('comments');
    const listed = await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/comments`);
    expect(listed.map((c: { id: string }) => c.id)).toEqual(ids);
  });

  it('reviews are listed as made; the case shows the last one', async () => {
    const caseId = await newCase();
    const [job] = await versionsAtOneInstant(caseId);
    const decisions = ['approve', 'approve', 'request-changes'] as const;
    const ids = idsMixed();
    for (const [k, id] of ids.entries()) {
      await db()
        .insertInto('reviews')
        .values({ id, org_id: a.id, case_id: caseId, job_id: job!, user_id: a.users.reviewer, decision: decisions[k]!, comment: `review ${k + 1}`, created_at: AT })
        .execute();
    }
    await rewrite('reviews');
    const listed = await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/reviews`);
    expect(listed.map((r: { id: string }) => r.id)).toEqual(ids);
    expect((await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}`)).review.decision).toBe('request-changes');
    const rows = await t.json(a.tokens.engineer, 'GET', '/api/cases');
    expect(rows.find((c: { id: string }) => c.id === caseId).review.decision).toBe('request-changes');
  });

  it("a gate's signature that holds is the last one signed (its audit entry)", async () => {
    const caseId = await newCase();
    const versions = await versionsAtOneInstant(caseId);
    const ids = idsMixed();
    // Signed for version 1, then 2, then 3 (the latest, the version in question).
    for (const [k, id] of ids.entries()) {
      await db()
        .insertInto('gate_signatures')
        .values({ id, org_id: a.id, case_id: caseId, gate: 'segmentation', model_version_id: versions[k]!, signed_by: a.users.engineer, comment: null, transition_id: null, audit_seq: 1_000_000 + k, voided_at: null, voided_by: null, created_at: AT })
        .execute();
    }
    await rewrite('gate_signatures');
    const w = await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/workflow`);
    expect(w.modelVersion.id).toBe(versions[2]);
    expect(w.gates.segmentation).toMatchObject({ signed: true, modelVersionId: versions[2] });
  });
});
