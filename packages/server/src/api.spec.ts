/**
 * The REST API end to end on the embedded defaults (PGlite, files), over real loopback
 * HTTP: accounts, cases, the upload gate on real CT files, a convert job on a real series,
 * artifacts with checksums, idempotency, cancel and the OpenAPI document.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries, formOf, seriesFiles } from '../../../test/server/dicom-files.js';

const SERIES = 'ge-head-tilt-variable-spacing';
const js = (r: Response): Promise<any> => r.json();
let t: TestServer;
let a: TestOrg;

beforeAll(async () => {
  t = await startTestServer({ workers: 1 });
  a = await t.org('Hospital A');
});
afterAll(() => t?.close());

describe('accounts', () => {
  it('the first-start admin token works and the admin holds no cases', async () => {
    expect((await t.json(t.adminToken, 'GET', '/api/me')).role).toBe('admin');
    const r = await t.call(t.adminToken, 'GET', '/api/cases');
    expect(r.status).toBe(403);
  });

  it('rejects calls without or with a wrong token', async () => {
    expect((await t.call(undefined, 'GET', '/api/cases')).status).toBe(401);
    const r = await t.call('s2p_not-a-token', 'GET', '/api/cases');
    expect(r.status).toBe(401);
    expect((await js(r)).error.code).toBe('UNAUTHENTICATED');
  });

  it('logs in with a password, needs the CSRF token for writes, logs out', async () => {
    const email = `session.user@example.org`;
    await t.json(a.tokens['org-admin'], 'POST', `/api/orgs/${a.id}/users`, { email, role: 'requester', password: 'a long enough password' });
    const bad = await t.call(undefined, 'POST', '/api/session', { email, password: 'wrong password here' });
    expect(bad.status).toBe(401);
    const login = await t.call(undefined, 'POST', '/api/session', { email, password: 'a long enough password' });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    const { csrfToken } = await js(login);
    const list = await t.call(undefined, 'GET', '/api/cases', undefined, { cookie });
    expect(list.status).toBe(200);
    const noCsrf = await t.call(undefined, 'POST', '/api/cases', { purpose: 'p', anatomy: 'skull' }, { cookie });
    expect(noCsrf.status).toBe(403);
    expect((await js(noCsrf)).error.code).toBe('CSRF');
    const ok = await t.call(undefined, 'POST', '/api/cases', { purpose: 'p', anatomy: 'skull' }, { cookie, 'x-csrf-token': csrfToken });
    expect(ok.status).toBe(201);
    const out = await t.call(undefined, 'DELETE', '/api/session', undefined, { cookie, 'x-csrf-token': csrfToken });
    expect(out.status).toBe(204);
    expect((await t.call(undefined, 'GET', '/api/cases', undefined, { cookie })).status).toBe(401);
  });

  it('stores tokens hashed and passwords as argon2id', async () => {
    const db = t.server.services.db;
    const tokens = await db.selectFrom('tokens').select('token_hash').execute();
    expect(tokens.every((x) => /^[0-9a-f]{64}$/.test(x.token_hash))).toBe(true);
    expect(tokens.some((x) => x.token_hash === a.tokens.requester)).toBe(false);
    const users = await db.selectFrom('users').select('password_hash').where('password_hash', 'is not', null).execute();
    expect(users.length).toBeGreaterThan(0);
    expect(users.every((u) => u.password_hash!.startsWith('$argon2id$'))).toBe(true);
  });
});

describe('cases, uploads and a convert job', () => {
  let caseId: string;

  it('creates and lists a case', async () => {
    caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'orbital floor repair planning', anatomy: 'skull', dueDate: '2026-12-24' })).id;
    const c = await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}`);
    expect(c).toMatchObject({ id: caseId, anatomy: 'skull', dueDate: '2026-12-24', status: 'draft', series: [] });
    const list = await t.json(a.tokens.technician, 'GET', '/api/cases');
    expect(list.map((x: { id: string }) => x.id)).toContain(caseId);
  });

  it('refuses a file that still identifies the patient, naming it and the attribute, and stores nothing', async () => {
    const [orig] = seriesFiles(SERIES);
    const r = await t.call(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf([orig!]));
    expect(r.status).toBe(422);
    const e = (await js(r)).error;
    expect(e.code).toBe('IDENTIFIABLE');
    expect(e.message).toContain(orig!.name);
    expect(e.message).toContain('PatientName');
    const c = await t.json(a.tokens.requester, 'GET', `/api/cases/${caseId}`);
    expect(c.series).toEqual([]);
  });

  it('takes anonymised files, once each (same bytes twice → duplicates)', async () => {
    const files = await anonymisedSeries(SERIES);
    const r = await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(files));
    expect(r).toMatchObject({ received: files.length, added: files.length, duplicates: 0, anonymisedByServer: 0 });
    const again = await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(files.slice(0, 3)));
    expect(again).toMatchObject({ received: 3, added: 0, duplicates: 3 });
    const c = await t.json(a.tokens.requester, 'GET', `/api/cases/${caseId}`);
    expect(c.series).toHaveLength(1);
    expect(c.series[0].files).toBe(files.length);
  });

  it('refuses bad convert params with the option named, before queueing', async () => {
    const r = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { thresold: 300 } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(await js(r))).toContain('thresold');
    const r2 = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { decimateRatio: 3 } });
    expect(r2.status).toBe(400);
    expect(JSON.stringify(await js(r2))).toMatch(/decimate/i);
    expect(await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/jobs`)).toEqual([]);
  });

  it('runs convert with the default params: artifacts listed with sha256 and bytes that match the download', async () => {
    const key = 'idem-1';
    const first = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const { id } = await js(first);
    const repeat = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' }, { 'idempotency-key': key });
    expect(repeat.status).toBe(200);
    expect((await js(repeat)).id).toBe(id);
    // A full-resolution convert: ~15 s on a quiet 2-core machine, past 240 s on a heavily loaded one (seen at load 16).
    const j = await t.waitJob(a.tokens.engineer, id, 600_000);
    expect(j.state, j.error).toBe('succeeded');
    expect(j.progress).toBe(1);
    expect(j.summary.models[0].checks).toMatchObject({ closed: true, manifold: true });
    const arts = await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/artifacts`);
    expect(arts.map((x: { name: string }) => x.name).sort()).toEqual(['bone.3mf', 'bone.stl', 'labels.nii.gz', 'preview.stl', 'report.html', 'report.json', 'volume-preview.nii.gz', 'volume.nii.gz']);
    for (const art of arts) {
      const r = await t.call(a.tokens.reviewer, 'GET', `/api/artifacts/${art.id}`);
      expect(r.status).toBe(200);
      const bytes = new Uint8Array(await r.arrayBuffer());
      expect(bytes.length).toBe(art.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(art.sha256);
      expect(r.headers.get('x-checksum-sha256')).toBe(art.sha256);
    }
    const report = JSON.parse(new TextDecoder().decode(new Uint8Array(await (await t.call(a.tokens.reviewer, 'GET', `/api/artifacts/${arts.find((x: { name: string }) => x.name === 'report.json').id}`)).arrayBuffer())));
    expect(JSON.stringify(report)).toContain('LPS');
  }, 900_000);

  it('an artifact whose bytes vanished from the store is a clear 404, not a 500', async () => {
    const arts = await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/artifacts`);
    const preview = arts.find((x: { name: string }) => x.name === 'preview.stl');
    const row = await t.server.services.db.selectFrom('artifacts').select('object_key').where('id', '=', preview.id).executeTakeFirstOrThrow();
    rmSync(join(t.dataDir, 'objects', row.object_key));
    const r = await t.call(a.tokens.reviewer, 'GET', `/api/artifacts/${preview.id}`);
    expect(r.status).toBe(404);
    expect((await js(r)).error.code).toBe('ARTIFACT_MISSING');
  });

  it('cancels a queued job at once; a finished one stays finished', async () => {
    // No free worker while this one is queued behind nothing? Cancel races the worker: either outcome is final and listed.
    const { id } = await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { threshold: 300 } });
    const c = await t.json(a.tokens.engineer, 'POST', `/api/jobs/${id}/cancel`);
    expect(['cancelled', 'running']).toContain(c.state);
    const j = await t.waitJob(a.tokens.engineer, id, 240_000);
    expect(j.state).toBe('cancelled');
    const arts = await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/artifacts`);
    expect(arts.every((x: { jobId: string }) => x.jobId !== id)).toBe(true);
  });
});

describe('documentation and health', () => {
  it('serves OpenAPI 3 with the routes, and the docs page', async () => {
    const doc = await t.json(undefined, 'GET', '/api/openapi.json');
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/api/cases', '/api/cases/{id}/jobs', '/api/jobs/{id}', '/api/cases/{id}/artifacts', '/api/health']) expect(doc.paths).toHaveProperty([p]);
    const docs = await t.call(undefined, 'GET', '/api/docs/');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });

  it('health answers 200 with both parts ok', async () => {
    expect(await t.json(undefined, 'GET', '/api/health')).toEqual({ status: 'ok', database: 'ok', storage: 'ok' });
  });
});
