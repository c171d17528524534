/**
 * The audit log on the embedded default (PGlite): the actions of a small story each append
 * one signed entry, the chain verifies (GET /api/audit/verify, core's verifyAuditChain on
 * the listed entries, and `scan2print audit verify --data` on the stopped server's folder),
 * an org-admin sees their organisation's entries only, and the key file is 0600.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { verifyAuditChain, type AuditEntry } from '@scan2print/core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../../../../test/server/harness.js';
import { anonymisedSeries, formOf } from '../../../../test/server/dicom-files.js';
import { runScan2print } from '../../../../test/cli.js';

const SERIES = 'ge-head-tilt-variable-spacing';
let t: TestServer;
let a: TestOrg;
let b: TestOrg;
let dataDir: string;
let caseId: string;
let jobId: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 's2p-audit-'));
  t = await startTestServer({ dataDir, workers: 1 });
  a = await t.org('Audit A');
  b = await t.org('Audit B');
});
afterAll(async () => {
  await t?.close().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
});

const entries = async (token: string, query = ''): Promise<AuditEntry[]> => (await t.json(token, 'GET', `/api/audit${query}`)).entries;

describe('actions append entries', () => {
  it('sign-in, sign-in-failed, sign-out, settings, role change (not one\'s own), case, comment, upload, job, cancel, download', async () => {
    const login = await t.call(undefined, 'POST', '/api/session', { email: a.emails.engineer, password: TEST_PASSWORD });
    expect(login.status).toBe(200);
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await t.call(undefined, 'POST', '/api/session', { email: a.emails.engineer, password: 'not the password at all' })).status).toBe(401);
    expect((await t.call(undefined, 'DELETE', '/api/session', undefined, { cookie, 'x-csrf-token': csrfToken })).status).toBe(204);
    await t.json(a.tokens['org-admin'], 'PATCH', `/api/orgs/${a.id}`, { serverAnonymise: true });
    expect(await t.json(a.tokens['org-admin'], 'PATCH', `/api/users/${a.users.technician}`, { role: 'reviewer' })).toMatchObject({ role: 'reviewer' });
    const own = await t.call(a.tokens['org-admin'], 'PATCH', `/api/users/${a.users['org-admin']}`, { role: 'requester' });
    expect(own.status).toBe(409);
    expect((await t.call(b.tokens['org-admin'], 'PATCH', `/api/users/${a.users.requester}`, { role: 'reviewer' })).status).toBe(404);
    expect((await t.call(a.tokens.engineer, 'PATCH', `/api/users/${a.users.requester}`, { role: 'reviewer' })).status).toBe(403);
    // A token the engineer makes, and revokes (the harness's own tokens are written without the API).
    const made = await t.json(a.tokens.engineer, 'POST', `/api/users/${a.users.engineer}/tokens`, { name: 'audit spec' });
    expect((await t.call(a.tokens.engineer, 'DELETE', `/api/users/${a.users.engineer}/tokens/${made.id}`)).status).toBe(204);

    caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'audit spec', anatomy: 'skull' })).id;
    await t.json(a.tokens.requester, 'PUT', `/api/cases/${caseId}/assignee`, { userId: a.users.engineer });
    await t.json(a.tokens.reviewer, 'POST', `/api/cases/${caseId}/comments`, { body: 'looks fine' });
    const files = (await anonymisedSeries(SERIES)).slice(0, 3);
    const up = await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(files));
    expect(up.added).toBe(3);
    // Three slices are too few for a model: the job starts and fails on its input (job-started, job-failed).
    jobId = (await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' })).id;
    const job = await t.waitJob(a.tokens.engineer, jobId, 300_000);
    // A second job, cancelled by the engineer (queued or running: either way an entry names them).
    const second = (await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' }, { 'idempotency-key': 'second' })).id;
    const cancel = await t.json(a.tokens.engineer, 'POST', `/api/jobs/${second}/cancel`);
    await t.waitJob(a.tokens.engineer, second, 300_000);
    // An artifact as a finished job leaves one, downloaded.
    const artifactId = randomUUID();
    const bytes = new TextEncoder().encode('solid x\nendsolid\n');
    await t.server.services.store.put(`jobs/${jobId}/x/bone.stl`, bytes);
    await t.server.services.db
      .insertInto('artifacts')
      .values({ id: artifactId, org_id: a.id, case_id: caseId, job_id: jobId, kind: 'model', name: 'bone.stl', object_key: `jobs/${jobId}/x/bone.stl`, media_type: 'model/stl', sha256: 'a'.repeat(64), bytes: bytes.length })
      .execute();
    expect((await t.call(a.tokens.technician, 'GET', `/api/artifacts/${artifactId}`)).status).toBe(200);

    const all = await entries(t.adminToken, '?limit=10000');
    const of = (action: string) => all.filter((e) => e.action === action);
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(of('org-created').map((e) => e.details.name)).toEqual(['Audit A', 'Audit B']);
    expect(of('user-created')).toHaveLength(10);
    expect(of('token-created').map((e) => [e.details.tokenId, e.details.madeBy])).toEqual([[expect.any(String), a.users.engineer]]);
    expect(of('token-revoked').map((e) => e.details.tokenId)).toEqual([of('token-created')[0]!.details.tokenId]);
    expect(of('sign-in')).toHaveLength(1);
    expect(of('sign-in')[0]!.actor).toEqual({ id: a.users.engineer, email: a.emails.engineer, role: 'engineer' });
    expect(of('sign-in-failed')[0]).toMatchObject({ actor: null, orgId: a.id, details: { email: a.emails.engineer, userId: a.users.engineer } });
    expect(of('sign-out')[0]!.actor!.id).toBe(a.users.engineer);
    expect(of('org-settings-changed')[0]).toMatchObject({ orgId: a.id, details: { serverAnonymise: true } });
    expect(of('role-changed')).toHaveLength(1);
    expect(of('role-changed')[0]).toMatchObject({ actor: { id: a.users['org-admin'] }, details: { userId: a.users.technician, from: 'technician', to: 'reviewer' } });
    expect(of('case-created')[0]).toMatchObject({ caseId, actor: { id: a.users.requester }, casePrevHash: '0'.repeat(64) });
    expect(of('case-updated')[0]).toMatchObject({ caseId, details: { assigneeId: a.users.engineer } });
    expect(of('comment')[0]).toMatchObject({ caseId, actor: { id: a.users.reviewer } });
    expect(of('files-uploaded')[0]).toMatchObject({ caseId, actor: { id: a.users.requester }, details: { received: 3, added: 3 } });
    // No file names in the log (an uploaded name may be a patient's).
    expect(JSON.stringify(all)).not.toContain(files[0]!.name);
    expect(of('job-queued').map((e) => e.details.jobId)).toEqual([jobId, second]);
    expect(of('job-started').some((e) => e.details.jobId === jobId && e.actor === null)).toBe(true);
    const end = all.find((e) => ['job-succeeded', 'job-failed'].includes(e.action) && e.details.jobId === jobId)!;
    expect(end.action).toBe(job.state === 'succeeded' ? 'job-succeeded' : 'job-failed');
    // It is claimed at once and fails on its three slices; on a stalled machine that can happen
    // before the cancel arrives, and then nothing was cancelled: the entry is its failure.
    if (cancel.state === 'failed') expect(of('job-failed').some((e) => e.details.jobId === second)).toBe(true);
    else expect(of('job-cancelled').some((e) => e.details.jobId === second && e.actor?.id === a.users.engineer)).toBe(true);
    expect(of('download')[0]).toMatchObject({ caseId, actor: { id: a.users.technician }, details: { artifactId, sha256: 'a'.repeat(64) } });
  }, 600_000);

  it('the chain verifies: on the server, with core over the listed entries, and per case', async () => {
    const v = await t.json(t.adminToken, 'GET', '/api/audit/verify');
    expect(v).toMatchObject({ ok: true });
    expect(v.checked).toBeGreaterThan(25);
    expect(v.keys).toHaveLength(1);
    const all = await entries(t.adminToken, '?limit=10000');
    expect(verifyAuditChain(all, v.keys)).toEqual({ ok: true, checked: all.length });
    const c = await t.json(a.tokens['org-admin'], 'GET', `/api/audit/verify?caseId=${caseId}`);
    expect(c).toMatchObject({ ok: true });
    expect(c.checked).toBe(all.filter((e) => e.caseId === caseId).length);
    // The embedded database refuses changes too (trigger; PGlite runs as a superuser, so nothing is revoked there).
    const db = t.server.services.db;
    await expect(sql`update audit_log set action = 'x' where seq = 1`.execute(db)).rejects.toThrow(/append-only: UPDATE/);
    await expect(sql`delete from audit_log where seq = 1`.execute(db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/append-only: TRUNCATE/);
    // Paging: afterSeq and limit.
    const page = await entries(t.adminToken, '?afterSeq=5&limit=3');
    expect(page.map((e) => e.seq)).toEqual([6, 7, 8]);
  });

  it('an org-admin sees their organisation\'s entries only; other roles none; another org\'s case is 404', async () => {
    const mine = await entries(a.tokens['org-admin'], '?limit=10000');
    expect(mine.length).toBeGreaterThan(10);
    expect(mine.every((e) => e.orgId === a.id)).toBe(true);
    const theirs = await entries(b.tokens['org-admin'], '?limit=10000');
    expect(theirs.every((e) => e.orgId === b.id)).toBe(true);
    expect(JSON.stringify(theirs)).not.toContain(a.id);
    expect((await t.call(b.tokens['org-admin'], 'GET', `/api/audit?caseId=${caseId}`)).status).toBe(404);
    expect((await t.call(b.tokens['org-admin'], 'GET', `/api/audit/verify?caseId=${caseId}`)).status).toBe(404);
    for (const role of ['requester', 'engineer', 'reviewer', 'technician'] as const) {
      expect((await t.call(a.tokens[role], 'GET', '/api/audit')).status).toBe(403);
    }
  });

  it('the key is a 0600 file under the data folder, and `audit verify --data` holds (exit 0) once the server is stopped', async () => {
    expect(statSync(join(dataDir, 'audit-key.pem')).mode & 0o777).toBe(0o600);
    const n = (await entries(t.adminToken, '?limit=10000')).length;
    await t.close();
    const r = await runScan2print(['audit', 'verify', '--data', dataDir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ source: 'data', ok: true, checked: n });
    const c = await runScan2print(['audit', 'verify', '--data', dataDir, '--case', caseId]);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/audit chain holds: \d+ entries/);
  }, 300_000);
});
