/**
 * One case through the whole workflow on a real server, a real CT series (the 28-slice GE head
 * series, the smallest in ../shared/data/ct) and a real convert and mesh job: the automatic
 * steps (files stored → uploaded, convert succeeded → segmented, actor null), the four-eyes
 * rule (the org-admin who started the convert cannot approve it; an engineer who edited the
 * label map, promoted to reviewer, cannot approve the rebuilt version; another reviewer can),
 * gate completeness before printing, the audit entries of every transition and gate, the
 * in-app notifications, and their e-mails received by a real SMTP server on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries, formOf } from '../../../test/server/dicom-files.js';

const SERIES = 'ge-head-tilt-variable-spacing';
interface Mail {
  to: string[];
  raw: string;
}
const mails: Mail[] = [];
let smtp: SMTPServer;
let t: TestServer;
let a: TestOrg;
let caseId: string;
let convertId: string;
let meshId: string;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    hideSTARTTLS: true,
    disabledCommands: ['AUTH'],
    onData(stream, session, done) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (raw += c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        done();
      });
    },
  });
  await new Promise<void>((res) => smtp.listen(0, '127.0.0.1', res));
  const port = (smtp.server.address() as AddressInfo).port;
  t = await startTestServer({ workers: 1, smtpUrl: `smtp://127.0.0.1:${port}`, mailFrom: 'scan2print <lab@example.org>' });
  a = await t.org('Workflow story');
});
afterAll(async () => {
  await t?.close();
  await new Promise<void>((res) => (smtp ? smtp.close(() => res()) : res()));
});

const workflow = (role: keyof TestOrg['tokens'] = 'org-admin') => t.json(a.tokens[role], 'GET', `/api/cases/${caseId}/workflow`);
const move = (role: keyof TestOrg['tokens'], to: string, extra: Record<string, unknown> = {}) =>
  t.call(a.tokens[role], 'POST', `/api/cases/${caseId}/transitions`, { to, ...extra });
const sign = (role: keyof TestOrg['tokens'], gate: string, extra: Record<string, unknown> = {}) =>
  t.call(a.tokens[role], 'POST', `/api/cases/${caseId}/gates`, { gate, comment: `${gate} checked`, ...extra });
const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; message: string } }).error;
async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a case from the order to delivery', () => {
  it('draft → submitted by the requester; uploading the CT moves it to uploaded by itself (actor null)', async () => {
    caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'orbital floor reconstruction', anatomy: 'skull' })).id;
    let w = await workflow('requester');
    expect(w.state).toBe('draft');
    expect(w.next.find((n: { to: string }) => n.to === 'submitted')).toMatchObject({ allowed: true, roles: ['requester', 'org-admin'] });
    expect((await move('engineer', 'submitted')).status).toBe(403);
    expect(await (await move('requester', 'submitted', { comment: 'please print by Friday' })).json()).toMatchObject({ state: 'submitted', from: 'draft' });
    await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(await anonymisedSeries(SERIES)));
    w = await workflow('engineer');
    expect(w.state).toBe('uploaded');
    expect(w.history.map((h: { from: string; to: string; by: { id: string } | null }) => [h.from, h.to, h.by?.id ?? null])).toEqual([
      ['draft', 'submitted', a.users.requester],
      ['submitted', 'uploaded', null],
    ]);
  });

  it('the convert succeeding moves it to segmented by itself, naming the convert as the model version', async () => {
    // The org-admin starts it: four eyes then keeps the org-admin from approving this version.
    // At 2 mm: the workflow does not depend on the model's resolution (api.spec and the browser's cases.spec run
    // the default convert on this series).
    convertId = (await t.json(a.tokens['org-admin'], 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { isotropic: 2 } })).id;
    const j = await t.waitJob(a.tokens.engineer, convertId, 800_000);
    expect(j.state, j.error).toBe('succeeded');
    const w = await until('segmented', async () => {
      const x = await workflow('engineer');
      return x.state === 'segmented' && x;
    });
    expect(w.history.at(-1)).toMatchObject({ from: 'uploaded', to: 'segmented', by: null, modelVersionId: convertId });
    expect(w.modelVersion).toMatchObject({ id: convertId, ok: true, problems: [] });
  }, 900_000);

  it('in review: approval needs the segmentation gate; the org-admin who started the job may not approve (FOUR_EYES)', async () => {
    expect((await move('engineer', 'in-review')).status).toBe(201);
    const missing = await move('reviewer', 'approved');
    expect(missing.status).toBe(409);
    expect(await errorOf(missing)).toMatchObject({ code: 'MISSING', message: expect.stringContaining('gate:segmentation') });
    const s = await sign('engineer', 'segmentation');
    expect(s.status).toBe(201);
    expect(await s.json()).toMatchObject({ gate: 'segmentation', modelVersionId: convertId, by: { id: a.users.engineer } });
    const w = await workflow('org-admin');
    expect(w.next.find((n: { to: string }) => n.to === 'approved')).toMatchObject({ allowed: false, missingKeys: ['four-eyes'] });
    const r = await move('org-admin', 'approved', { modelVersionId: convertId });
    expect(r.status).toBe(409);
    expect(await errorOf(r)).toMatchObject({ code: 'FOUR_EYES', message: expect.stringContaining(`you started job ${convertId}`) });
    expect((await workflow()).state).toBe('in-review');
  });

  it('an engineer who edited the label map cannot approve the rebuilt version even as a reviewer; another reviewer can', async () => {
    const arts = await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/artifacts`);
    const lab = arts.find((x: { jobId: string; kind: string }) => x.jobId === convertId && x.kind === 'labels');
    const bytes = new Uint8Array(await (await t.call(a.tokens.engineer, 'GET', `/api/artifacts/${lab.id}`)).arrayBuffer());
    const posted = await fetch(`${t.url}/api/cases/${caseId}/labels?baseJob=${convertId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.tokens.engineer}`, 'content-type': 'application/gzip' },
      body: bytes,
    });
    expect(posted.status).toBe(201);
    meshId = ((await posted.json()) as { jobId: string }).jobId;
    const j = await t.waitJob(a.tokens.engineer, meshId, 800_000);
    expect(j.state, j.error).toBe('succeeded');
    // The segmentation gate was for the convert: the rebuilt version needs its own.
    const miss = await move('reviewer', 'approved', { modelVersionId: meshId });
    expect(await errorOf(miss)).toMatchObject({ code: 'MISSING', message: expect.stringContaining('gate:segmentation') });
    expect((await sign('engineer', 'segmentation', { modelVersionId: meshId })).status).toBe(201);
    // The engineer becomes a reviewer: the role allows approving, four eyes does not.
    await t.json(a.tokens['org-admin'], 'PATCH', `/api/users/${a.users.engineer}`, { role: 'reviewer' });
    const own = await move('engineer', 'approved', { modelVersionId: meshId });
    expect(own.status).toBe(409);
    expect(await errorOf(own)).toMatchObject({ code: 'FOUR_EYES', message: expect.stringContaining('edited the label map') });
    await t.json(a.tokens['org-admin'], 'PATCH', `/api/users/${a.users.engineer}`, { role: 'engineer' });
    const ok = await move('reviewer', 'approved', { modelVersionId: meshId, comment: 'fits the plan' });
    expect(ok.status).toBe(201);
    const body = (await ok.json()) as { state: string; code: string; modelVersionId: string };
    expect(body).toMatchObject({ state: 'approved', modelVersionId: meshId });
    expect(body.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    const reviews = await t.json(a.tokens.technician, 'GET', `/api/cases/${caseId}/reviews`);
    expect(reviews.at(-1)).toMatchObject({ decision: 'approve', jobId: meshId, by: { id: a.users.reviewer } });
  }, 900_000);

  it('printing is refused until the technician signs print-qc, then the case goes to printing, qc-passed and delivered', async () => {
    expect((await move('technician', 'print-preparation')).status).toBe(201);
    const r = await move('technician', 'printing');
    expect(r.status).toBe(409);
    const e = await errorOf(r);
    expect(e.code).toBe('MISSING');
    expect(e.message).toContain('gate:print-qc');
    expect(e.message).not.toContain('gate:model');
    expect(e.message).not.toContain('gate:segmentation');
    let w = await workflow('technician');
    expect(w.gates).toMatchObject({
      segmentation: { signed: true, by: { id: a.users.engineer }, modelVersionId: meshId },
      model: { signed: true, by: { id: a.users.reviewer }, modelVersionId: meshId },
      'print-qc': { signed: false },
    });
    expect((await sign('technician', 'print-qc')).status).toBe(201);
    for (const to of ['printing', 'qc-passed', 'delivered']) expect((await move('technician', to)).status, to).toBe(201);
    w = await workflow('requester');
    expect(w.state).toBe('delivered');
    expect(w.next).toEqual([]);
    expect(w.history.map((h: { to: string }) => h.to)).toEqual([
      'submitted', 'uploaded', 'segmented', 'in-review', 'approved', 'print-preparation', 'printing', 'qc-passed', 'delivered',
    ]);
    expect((await t.json(a.tokens.requester, 'GET', `/api/cases/${caseId}`)).status).toBe('delivered');
  });

  it('every transition and gate signature has its signed audit entry, with the acting user; the case chain verifies', async () => {
    const { entries } = await t.json(a.tokens['org-admin'], 'GET', `/api/audit?caseId=${caseId}`);
    const w = await workflow();
    const transitions = entries.filter((e: { action: string }) => e.action === 'transition');
    expect(transitions.map((e: { details: { to: string } }) => e.details.to)).toEqual(w.history.map((h: { to: string }) => h.to));
    expect(transitions.map((e: { seq: number }) => e.seq)).toEqual(w.history.map((h: { auditSeq: number }) => h.auditSeq));
    expect(transitions[1]).toMatchObject({ actor: null, details: { from: 'submitted', to: 'uploaded' } });
    const gates = entries.filter((e: { action: string }) => e.action === 'gate-signed');
    expect(gates.map((e: { details: { gate: string }; actor: { id: string } }) => [e.details.gate, e.actor.id])).toEqual([
      ['segmentation', a.users.engineer],
      ['segmentation', a.users.engineer],
      ['model', a.users.reviewer],
      ['print-qc', a.users.technician],
    ]);
    expect(entries.some((e: { action: string; details: { jobId: string } }) => e.action === 'model-code-issued' && e.details.jobId === meshId)).toBe(true);
    const v = await t.json(a.tokens['org-admin'], 'GET', `/api/audit/verify?caseId=${caseId}`);
    expect(v.ok).toBe(true);
  });
});

describe('notifications', () => {
  it('in the app for who acts next (and the requester on approval and delivery), read one by one', async () => {
    const mine = async (role: keyof TestOrg['tokens']) => t.json(a.tokens[role], 'GET', '/api/notifications');
    const eng = await mine('engineer');
    // uploaded (start the segmentation), segmented (take it into review).
    expect(eng.items.map((n: { title: string }) => n.title.split(': ').at(-1)).sort()).toEqual(['segmented', 'uploaded']);
    expect(eng.unread).toBe(2);
    const req = await mine('requester');
    expect(req.items.map((n: { title: string }) => n.title.split(': ').at(-1))).toEqual(['delivered', 'approved']);
    const rev = await mine('reviewer');
    expect(rev.items.some((n: { kind: string; title: string }) => n.kind === 'gate' && n.title.includes('segmentation'))).toBe(true);
    expect(rev.items.some((n: { title: string }) => n.title.endsWith(': in-review'))).toBe(true);
    const id = eng.items[0].id;
    expect((await t.call(a.tokens.reviewer, 'POST', `/api/notifications/${id}/read`)).status, "another user's").toBe(404);
    const read = await t.json(a.tokens.engineer, 'POST', `/api/notifications/${id}/read`);
    expect(read).toMatchObject({ id, read: true });
    expect((await mine('engineer')).unread).toBe(1);
    expect((await t.json(a.tokens.engineer, 'POST', `/api/notifications/${id}/read`)).readAt).toBe(read.readAt);
  });

  it('each one e-mailed through the SMTP server, to its user, without the comments', async () => {
    const rows = await t.server.services.db.selectFrom('notifications').innerJoin('users', 'users.id', 'notifications.user_id').select(['users.email', 'title', 'emailed_at']).where('case_id', '=', caseId).execute();
    expect(rows.length).toBeGreaterThan(6);
    await until('all mails', async () => mails.length >= rows.length);
    expect(mails).toHaveLength(rows.length);
    for (const r of rows) {
      const m = mails.find((x) => x.to.includes(r.email) && x.raw.includes(r.title.split(': ').at(-1)!));
      expect(m, `${r.email}: ${r.title}`).toBeDefined();
    }
    const toRequester = mails.filter((m) => m.to.includes(a.emails.requester));
    expect(toRequester.map((m) => /Subject: .*: (\w[\w-]*)/.exec(m.raw)?.[1]).sort()).toEqual(['approved', 'delivered']);
    expect(mails.every((m) => /From: scan2print <lab@example\.org>/.test(m.raw))).toBe(true);
    expect(mails.some((m) => m.raw.includes('fits the plan') || m.raw.includes('please print by Friday'))).toBe(false);
    const sent = await until('emailed_at', async () => {
      const x = await t.server.services.db.selectFrom('notifications').select('emailed_at').where('case_id', '=', caseId).execute();
      return x.every((n) => n.emailed_at !== null) && x;
    });
    expect(sent.length).toBe(rows.length);
  });
});
