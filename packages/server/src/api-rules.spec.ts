/**
 * The API's rules for what an integrator may send, found by a read-only audit against a running
 * server: an Idempotency-Key reused for another request is refused, not answered with a job that
 * is not the one asked for; text with U+0000 is a 400, not a 500; a closed case takes no new
 * jobs or files; job params are checked as the CLI checks its options, and a refusal never
 * copies a megabyte back; a cancel the API acknowledged does not end as a success.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { heartbeat, settle } from './jobs/queue.js';
import { anonymisedSeries } from '../../../test/server/dicom-files.js';

let t: TestServer;
let a: TestOrg;
beforeAll(async () => {
  t = await startTestServer({ workers: 0 });
  a = await t.org('API rules');
});
afterAll(() => t?.close());

const db = () => t.server.services.db;
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A case with one stored file row (jobs need files; no job runs here: workers 0). */
async function caseWithFile(): Promise<string> {
  const id = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'api rules', anatomy: 'skull' })).id as string;
  const sha = randomBytes(32).toString('hex');
  await db().insertInto('files').values({ id: randomUUID(), org_id: a.id, case_id: id, name: 'a.dcm', object_key: `cases/${id}/files/${sha}.dcm`, sha256: sha, bytes: 1, series_uid: null, sop_instance_uid: null, anonymised_by: 'checked' }).execute();
  return id;
}
const startJob = (caseId: string, params: unknown, key?: string) =>
  t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params }, key ? { 'idempotency-key': key } : {});
const errorOf = async (r: Response) => ({ status: r.status, ...((await r.json()) as { error: { code: string; message: string } }).error });

describe('the API refuses what it cannot do as asked', () => {
  it('an Idempotency-Key repeats its own request only: another case or other params are 422', async () => {
    const [c1, c2] = [await caseWithFile(), await caseWithFile()];
    const first = await startJob(c1, { isotropic: 2, close: 1 }, 'key-1');
    expect(first.status).toBe(201);
    const id = ((await first.json()) as { id: string }).id;
    // The same request again (keys in another order: the same params) is the same job.
    const again = await startJob(c1, { close: 1, isotropic: 2 }, 'key-1');
    expect([again.status, ((await again.json()) as { id: string }).id]).toEqual([200, id]);
    const other = await errorOf(await startJob(c2, { isotropic: 2, close: 1 }, 'key-1'));
    expect(other).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(other.message).toContain(`case ${c1}`);
    expect(await errorOf(await startJob(c1, { isotropic: 2, close: 3 }, 'key-1'))).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await t.json(a.tokens.engineer, 'GET', `/api/cases/${c2}/jobs`)).toEqual([]);
  });

  it('text holding U+0000 is 400 BAD_TEXT, and nothing is stored', async () => {
    const before = (await t.json(a.tokens.requester, 'GET', '/api/cases')).length;
    expect(await errorOf(await t.call(a.tokens.requester, 'POST', '/api/cases', { purpose: 'a\u0000b', anatomy: 'skull' }))).toMatchObject({ status: 400, code: 'BAD_TEXT' });
    const c = await caseWithFile();
    expect(await errorOf(await t.call(a.tokens.reviewer, 'POST', `/api/cases/${c}/comments`, { body: 'x\u0000y' }))).toMatchObject({ status: 400, code: 'BAD_TEXT' });
    expect((await t.json(a.tokens.requester, 'GET', '/api/cases')).length).toBe(before + 1);
  });

  it('a cancelled case takes no job, files or upload (409 CASE_CLOSED)', async () => {
    const c = await caseWithFile();
    await db().updateTable('cases').set({ status: 'cancelled' }).where('id', '=', c).execute();
    const job = await errorOf(await startJob(c, {}));
    expect(job).toMatchObject({ status: 409, code: 'CASE_CLOSED' });
    expect(job.message).toContain(`case ${c} is cancelled`);
    // A cancelled case without files says it is closed, not that it lacks files.
    const empty = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'no files', anatomy: 'skull' })).id as string;
    await db().updateTable('cases').set({ status: 'cancelled' }).where('id', '=', empty).execute();
    expect(await errorOf(await startJob(empty, {}))).toMatchObject({ status: 409, code: 'CASE_CLOSED' });
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(200)]), 'x.dcm');
    expect(await errorOf(await t.call(a.tokens.technician, 'POST', `/api/cases/${c}/files`, form))).toMatchObject({ status: 409, code: 'CASE_CLOSED' });
    const tus = { 'tus-resumable': '1.0.0', 'upload-length': '10', 'upload-metadata': `caseId ${b64(c)}, filename ${b64('x.zip')}` };
    expect(await errorOf(await t.call(a.tokens.technician, 'POST', '/api/uploads', undefined, tus))).toMatchObject({ status: 409, code: 'CASE_CLOSED' });
    // The metadata as written there (a space after the comma, an HTTP list) is read: an open case takes it.
    const open = await caseWithFile();
    const made = await t.call(a.tokens.technician, 'POST', '/api/uploads', undefined, { ...tus, 'upload-metadata': `caseId ${b64(open)}, filename ${b64('x.zip')}` });
    expect(made.status, await made.clone().text()).toBe(201);
    expect((await t.call(a.tokens.technician, 'DELETE', made.headers.get('location')!, undefined, { 'tus-resumable': '1.0.0' })).status).toBe(204);
  });

  it('an approved case (approved … qc-passed) takes no job, files, upload or labels until changes are requested (409 CASE_APPROVED)', async () => {
    // A rebuild in print preparation became the "latest model" the case page offered for printing, unapproved.
    const c = await caseWithFile();
    for (const status of ['approved', 'print-preparation', 'printing', 'qc-passed'] as const) {
      await db().updateTable('cases').set({ status }).where('id', '=', c).execute();
      const job = await errorOf(await startJob(c, {}));
      expect(job, status).toMatchObject({ status: 409, code: 'CASE_APPROVED' });
      expect(job.message).toContain(`case ${c} is ${status}`);
      expect(job.message).toContain('request changes first');
    }
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(200)]), 'x.dcm');
    expect(await errorOf(await t.call(a.tokens.technician, 'POST', `/api/cases/${c}/files`, form))).toMatchObject({ status: 409, code: 'CASE_APPROVED' });
    const tus = { 'tus-resumable': '1.0.0', 'upload-length': '10', 'upload-metadata': `caseId ${b64(c)},filename ${b64('x.zip')}` };
    expect(await errorOf(await t.call(a.tokens.technician, 'POST', '/api/uploads', undefined, tus))).toMatchObject({ status: 409, code: 'CASE_APPROVED' });
    const labels = await t.call(a.tokens.engineer, 'POST', `/api/cases/${c}/labels`, new Uint8Array(400), { 'content-type': 'application/octet-stream' });
    expect(await errorOf(labels)).toMatchObject({ status: 409, code: 'CASE_APPROVED' });
    expect(await t.json(a.tokens.engineer, 'GET', `/api/cases/${c}/jobs`)).toEqual([]);
    // Changes requested: open again.
    await db().updateTable('cases').set({ status: 'changes-requested' }).where('id', '=', c).execute();
    const reopened = await startJob(c, { isotropic: 2 });
    expect(reopened.status).toBe(201);
    const { id } = (await reopened.json()) as { id: string };
    expect((await t.call(a.tokens.engineer, 'POST', `/api/jobs/${id}/cancel`)).status).toBeLessThan(300);
  });

  it('a resumable upload begun on an open case is refused if the case is cancelled before its last byte; nothing is stored', async () => {
    const c = await caseWithFile();
    const files = (await anonymisedSeries('ge-head-tilt-variable-spacing')).slice(0, 2);
    const zip = zipSync(Object.fromEntries(files.map((f) => [f.name, f.bytes])), { level: 0 });
    const tus = { 'tus-resumable': '1.0.0', authorization: `Bearer ${a.tokens.technician}` };
    const made = await fetch(`${t.url}/api/uploads`, {
      method: 'POST',
      headers: { ...tus, 'upload-length': String(zip.length), 'upload-metadata': `caseId ${b64(c)},filename ${b64('series.zip')}` },
    });
    expect(made.status).toBe(201);
    await db().updateTable('cases').set({ status: 'cancelled' }).where('id', '=', c).execute();
    const last = await fetch(t.url + made.headers.get('location')!, {
      method: 'PATCH',
      headers: { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: zip,
    });
    expect(await errorOf(last)).toMatchObject({ status: 409, code: 'CASE_CLOSED' });
    expect(await db().selectFrom('files').select('id').where('case_id', '=', c).execute()).toHaveLength(1);
    expect(await db().selectFrom('audit_log').select('seq').where('case_id', '=', c).where('action', '=', 'files-uploaded').execute()).toEqual([]);
  });

  it("tus's own refusals come back in the API's error format (they were plain text)", async () => {
    const c = await caseWithFile();
    const meta = `caseId ${b64(c)},filename ${b64('x.zip')}`;
    const noLength = await t.call(a.tokens.technician, 'POST', '/api/uploads', undefined, { 'tus-resumable': '1.0.0', 'upload-metadata': meta });
    expect(await errorOf(noLength)).toMatchObject({ status: 400, code: 'BAD_TUS_REQUEST', message: expect.stringMatching(/Upload-Length/) });
    const made = await t.call(a.tokens.technician, 'POST', '/api/uploads', undefined, { 'tus-resumable': '1.0.0', 'upload-length': '10', 'upload-metadata': meta });
    expect(made.status).toBe(201);
    const at = made.headers.get('location')!;
    const patch = await fetch(t.url + at, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${a.tokens.technician}`, 'tus-resumable': '1.0.0', 'upload-offset': '5', 'content-type': 'application/offset+octet-stream' },
      body: new Uint8Array(5),
    });
    expect(await errorOf(patch)).toMatchObject({ status: 409, code: 'OFFSET_CONFLICT' });
    expect((await t.call(a.tokens.technician, 'DELETE', at, undefined, { 'tus-resumable': '1.0.0' })).status).toBe(204);
  });

  it('a zip whose entry does not match its CRC-32 is refused naming it; nothing is stored', async () => {
    const c = await caseWithFile();
    const data = Uint8Array.from({ length: 4000 }, (_, i) => (i * 13) & 255);
    const zip = zipSync({ 'scan/IM1.dcm': data }, { level: 0 });
    const at = Buffer.from(zip).indexOf(Buffer.from(data.subarray(2000, 2100)));
    for (let i = 0; i < 50; i++) zip[at + i] ^= 0xff;
    const form = new FormData();
    form.append('file', new Blob([zip]), 'damaged.zip');
    const e = await errorOf(await t.call(a.tokens.technician, 'POST', `/api/cases/${c}/files`, form));
    expect(e).toMatchObject({ status: 422, code: 'BAD_ZIP' });
    expect(e.message).toContain('damaged.zip: not a readable zip archive (scan/IM1.dcm: its bytes do not match the CRC-32');
    expect((await t.json(a.tokens.requester, 'GET', `/api/cases/${c}`)).files).toBe(1);
  });

  it('job params are checked as the CLI checks its options; a refusal is short whatever was sent', async () => {
    const c = await caseWithFile();
    const refused = async (params: unknown, says: RegExp) => {
      const r = await startJob(c, params);
      const text = await r.text();
      expect(r.status, text.slice(0, 300)).toBe(400);
      expect(text.length).toBeLessThan(4000);
      expect(text).toMatch(says);
    };
    await refused({ median: 1.5 }, /--median 1.5: a whole number of voxels/);
    await refused({ crop: [0, 0, 0, -1, -1, -1] }, /--crop 0,0,0,-1,-1,-1: voxel indices/);
    await refused({ window: [100, -100] }, /--window 100,-100: LO,HI in HU with LO < HI/);
    await refused({ purpose: 'é'.repeat(3000) }, /--purpose: at most 2000 characters/);
    await refused({ series: 'x'.repeat(200_000) }, /--series: at most 2000 characters/);
    await refused({ series: '' }, /--series: empty/);
    await refused({ tissue: '' }, /--tissue: empty/);
    await refused({ threshold: 'y'.repeat(900_000) }, /--threshold/);
    await refused({ threshold: JSON.parse(`${'['.repeat(3000)}${']'.repeat(3000)}`) }, /--threshold \[\[\[.*…: expected/);
    expect(await t.json(a.tokens.engineer, 'GET', `/api/cases/${c}/jobs`)).toEqual([]);
  });
});

describe('cancelling', () => {
  it('a cancel asked for before the job settles wins over its success; a repeated cancel is audited once', async () => {
    const c = await caseWithFile();
    const { id } = (await (await startJob(c, {})).json()) as { id: string };
    await db().updateTable('jobs').set({ state: 'running', lease_owner: 'worker-x', lease_expires_at: new Date(Date.now() + 60_000) }).where('id', '=', id).execute();
    for (let k = 0; k < 3; k++) expect(await t.json(a.tokens.engineer, 'POST', `/api/jobs/${id}/cancel`)).toMatchObject({ state: 'running', cancelRequested: true });
    const entries = await db().selectFrom('audit_log').select('details').where('action', '=', 'job-cancelled').execute();
    expect(entries.filter((e) => JSON.stringify(e.details).includes(id))).toHaveLength(1);
    // The worker's last step: its success does not settle, and it reads the cancel (runner.ts then cancels).
    expect(await settle(db(), id, 'worker-x', 'succeeded', { summary: {} })).toBe(false);
    expect(await heartbeat(db(), id, 'worker-x', 10, 1, 'done')).toBe('cancel');
    expect(await settle(db(), id, 'worker-x', 'cancelled')).toBe(true);
    expect((await t.json(a.tokens.engineer, 'GET', `/api/jobs/${id}`)).state).toBe('cancelled');
  });
});
