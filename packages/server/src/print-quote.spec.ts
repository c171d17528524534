/**
 * The instant quote on an approved case (embedded PGlite). The model version is what a
 * finished convert leaves (files, a succeeded job with printable checks, a real 3MF of a
 * 40 × 30 × 20 mm block and its report, in the store and the database: a real convert of a CT
 * took over 15 minutes here at load 19, most of it PrusaSlicer on the skull), approved
 * through the real workflow: submitted, in review, segmentation gate by the engineer,
 * approval by the reviewer (four eyes). Before approval a quote is 409 NOT_APPROVED; after
 * it, POST /api/cases/:id/quote slices the approved 3MF with PrusaSlicer for an FDM printer
 * (the volume/height model for SLA), the shipped catalogue's null prices give `price: null`
 * naming what is missing, the organisation's own prices give one; a print job takes its
 * duration from the stored quote (not one made before those prices: stale), and the schedule
 * plans it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { write3mf, type PrintCatalogue } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { box } from '../../core/src/testing/meshes.js';

const hex = () => randomBytes(32).toString('hex');

let t: TestServer;
let a: TestOrg;
let caseId: string;
let convertId: string;
/** The first FDM quote (shipped catalogue), the FDM quote with the lab's prices, and the SLA quote, as the server answered them. */
let fdmQuote: Record<string, any>;
let pricedQuote: Record<string, any>;
let slaQuote: Record<string, any>;

const move = (role: keyof TestOrg['tokens'], to: string, extra: Record<string, unknown> = {}) =>
  t.call(a.tokens[role], 'POST', `/api/cases/${caseId}/transitions`, { to, ...extra });
const quote = (role: keyof TestOrg['tokens'], body: Record<string, unknown>) => t.call(a.tokens[role], 'POST', `/api/cases/${caseId}/quote`, body);

beforeAll(async () => {
  t = await startTestServer({ workers: 0 });
  a = await t.org('Print quote');
  const db = t.server.services.db;
  caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'orbital floor model', anatomy: 'skull', dueDate: '2099-03-01' })).id;
  convertId = randomUUID();
  await db
    .insertInto('files')
    .values({ id: randomUUID(), org_id: a.id, case_id: caseId, name: 'a.dcm', object_key: `cases/${caseId}/files/a.dcm`, sha256: hex(), bytes: 1, series_uid: null, sop_instance_uid: null, anonymised_by: 'checked' })
    .execute();
  await db
    .insertInto('jobs')
    .values({
      id: convertId, org_id: a.id, case_id: caseId, kind: 'convert', params: '{}', state: 'succeeded', progress: 1, stage: 'done', error: null,
      idempotency_key: null, lease_owner: null, lease_expires_at: null, created_by: a.users.engineer, started_at: new Date(), finished_at: new Date(),
      summary: JSON.stringify({ findings: [], models: [{ name: 'bone', checks: { printable: true, closed: true, manifold: true }, accuracy: null }] }),
    })
    .execute();
  const model = write3mf(box([0, 0, 0], [40, 30, 20]), { title: 'block', creationDate: '2026-11-30' });
  for (const [kind, name, media, bytes] of [['model', 'bone.3mf', 'model/3mf', model], ['report-html', 'report.html', 'text/html', new TextEncoder().encode('<p>report</p>')]] as const) {
    const key = `jobs/${convertId}/1/${name}`;
    await t.server.services.store.put(key, bytes);
    await db.insertInto('artifacts').values({ id: randomUUID(), org_id: a.id, case_id: caseId, job_id: convertId, kind, name, object_key: key, media_type: media, sha256: hex(), bytes: bytes.length }).execute();
  }
});
afterAll(() => t?.close());

describe('the quote of a real approved case', () => {
  it('before approval: 409 NOT_APPROVED for every member; a print job neither', async () => {
    for (const role of ['requester', 'engineer', 'reviewer', 'technician', 'org-admin'] as const) {
      const r = await quote(role, { printer: 'prusa-mk4', material: 'pla' });
      expect(r.status, role).toBe(409);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('NOT_APPROVED');
    }
    const job = await t.call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId, printer: 'prusa-mk4', material: 'pla' });
    expect(job.status).toBe(409);
  });

  it('approved through the workflow: submitted (catches up to segmented), in review, segmentation signed by the engineer, approved by the reviewer', async () => {
    expect((await move('requester', 'submitted')).status).toBe(201);
    expect((await t.json(a.tokens.engineer, 'GET', `/api/cases/${caseId}/workflow`)).state).toBe('segmented');
    expect((await move('engineer', 'in-review')).status).toBe(201);
    expect((await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/gates`, { gate: 'segmentation' })).status).toBe(201);
    const r = await move('reviewer', 'approved', { modelVersionId: convertId });
    expect(r.status, await r.clone().text()).toBe(201);
  });

  it('FDM: PrusaSlicer\'s estimate of the approved 3MF; the shipped catalogue has no prices, so price null naming them', async () => {
    const r = await quote('requester', { printer: 'prusa-mk4', material: 'pla' });
    expect(r.status, await r.clone().text()).toBe(200);
    const q = (await r.json()) as Record<string, any>;
    expect(q).toMatchObject({ method: 'prusa-slicer', printer: 'prusa-mk4', material: 'pla', supports: true, price: null, modelVersionId: convertId });
    expect(q.printTime_s).toBeGreaterThan(60);
    expect(q.material_g).toBeGreaterThan(0.5);
    expect(q.slicer).toMatch(/PrusaSlicer/);
    expect(q.missing.length).toBeGreaterThan(0);
    expect(Date.parse(q.quotedAt)).toBeGreaterThan(Date.parse('2026-01-01'));
    const stored = await t.server.services.db.selectFrom('print_quotes').select(['id', 'model_version_id', 'printer', 'material']).where('case_id', '=', caseId).execute();
    expect(stored).toEqual([{ id: q.quoteId, model_version_id: convertId, printer: 'prusa-mk4', material: 'pla' }]);
    fdmQuote = q;
  });

  it('a slicer that does not finish is stopped at the slice limit: 504 SLICE_TIMEOUT naming the model, the process gone', async () => {
    // A stand-in for a stuck PrusaSlicer: writes its pid, then sleeps far past the limit.
    const dir = mkdtempSync(join(tmpdir(), 's2p-slow-slicer-'));
    const pidFile = join(dir, 'pid');
    const slicer = join(dir, 'slow-slicer');
    writeFileSync(slicer, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 300\n`, { mode: 0o755 });
    const saved = { slicer: process.env.SCAN2PRINT_PRUSA_SLICER, limit: process.env.SCAN2PRINT_SLICE_LIMIT_S };
    process.env.SCAN2PRINT_PRUSA_SLICER = slicer;
    process.env.SCAN2PRINT_SLICE_LIMIT_S = '2';
    try {
      const r = await quote('technician', { printer: 'prusa-mk4', material: 'pla' });
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect([r.status, body.error.code]).toEqual([504, 'SLICE_TIMEOUT']);
      expect(body.error.message).toContain('bone.3mf');
      expect(body.error.message).not.toContain(tmpdir());
      const pid = Number(readFileSync(pidFile, 'utf8'));
      // killed with the request (SIGTERM from the abort): gone, or a zombie about to be reaped
      await expect.poll(() => { try { process.kill(pid, 0); return 'alive'; } catch { return 'gone'; } }).toBe('gone');
    } finally {
      for (const [k, v] of [['SCAN2PRINT_PRUSA_SLICER', saved.slicer], ['SCAN2PRINT_SLICE_LIMIT_S', saved.limit]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with the organisation\'s own rate, set-up and price per kg the quote has a price (their sum); SLA uses the volume/height model', async () => {
    const cur = await t.json(a.tokens['org-admin'], 'GET', '/api/print/catalogue');
    const cat = JSON.parse(JSON.stringify(cur.catalogue)) as PrintCatalogue & { printers: Array<Record<string, any>>; materials: Array<Record<string, any>> };
    const mk4 = cat.printers.find((p) => p.id === 'prusa-mk4')!;
    mk4.machineRate_per_h = { value: 4, currency: 'EUR', source: 'lab cost sheet 2026' };
    mk4.setup = { value: 10, currency: 'EUR', source: 'lab cost sheet 2026' };
    cat.materials.find((m) => m.id === 'pla')!.pricePerKg = { value: 25, currency: 'EUR', source: 'supplier invoice 2026-11' };
    const put = await t.call(a.tokens['org-admin'], 'PUT', '/api/print/catalogue', { catalogue: cat, baseVersion: cur.version });
    expect(put.status, await put.clone().text()).toBe(201);
    const q = (await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/quote`, { printer: 'prusa-mk4', material: 'pla' })) as Record<string, any>;
    expect(q.currency).toBe('EUR');
    expect(q.price).toBeGreaterThan(10);
    expect(q.price).toBeCloseTo(q.breakdown.machine + q.breakdown.material + q.breakdown.setup, 2);
    expect(q.missing).toEqual([]);
    pricedQuote = q;
    const sla = (await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/quote`, { printer: 'formlabs-form3plus', material: 'formlabs-grey', supports: false })) as Record<string, any>;
    expect(sla).toMatchObject({ method: 'volume-height-model', printer: 'formlabs-form3plus', supports: false, price: null });
    expect(sla.printTime_s).toBeGreaterThan(0);
    slaQuote = sla;
  });

  it('a print job without a quote in the request takes the stored one; the schedule plans it before the case\'s due date', async () => {
    const printer = await t.json(a.tokens['org-admin'], 'POST', '/api/print/printers', { catalogueId: 'prusa-mk4', name: 'MK4' });
    const latest = await t.server.services.db
      .selectFrom('print_quotes')
      .select('quote')
      .where('case_id', '=', caseId)
      .where('printer', '=', 'prusa-mk4')
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const job = await t.json(a.tokens.technician, 'POST', '/api/print/jobs', { caseId, printer: 'prusa-mk4', material: 'pla' });
    expect(job.duration_s).toBe((latest.quote as { printTime_s: number }).printTime_s);
    expect(job.due).toBe('2099-03-01T23:59:59.000Z');
    expect(job.parts).toEqual([{ id: 'model', bbox_mm: [40, 30, 20], hull_mm: expect.arrayContaining([[0, 0], [40, 30]]) }]);
    const s = await t.json(a.tokens.requester, 'GET', '/api/print/schedule');
    expect(s.plates).toEqual([expect.objectContaining({ printerId: printer.id, jobIds: [job.id] })]);
    expect(Date.parse(s.plates[0].end) - Date.parse(s.plates[0].start)).toBe(Math.round(job.duration_s * 1000));
    expect(s.late).toEqual([]);
  });

  it('a job names the server\'s quote (quoteId) and takes its print time; a quote made before the lab\'s prices is 409 QUOTE_STALE, one for another printer and material 409 QUOTE_MISMATCH, one the server never made 400 UNKNOWN_QUOTE, a print time from the client 400 CLIENT_QUOTE', async () => {
    const job = await t.json(a.tokens.technician, 'POST', '/api/print/jobs', { caseId, printer: 'prusa-mk4', material: 'pla', quoteId: pricedQuote.quoteId });
    expect(job).toMatchObject({ quoteId: pricedQuote.quoteId, duration_s: pricedQuote.printTime_s, status: 'queued' });
    const row = await t.server.services.db.selectFrom('print_jobs').select(['quote_id', 'duration_s']).where('id', '=', job.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ quote_id: pricedQuote.quoteId, duration_s: pricedQuote.printTime_s });
    const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; message: string } }).error;
    // The first quote was sliced and priced before the org-admin gave the MK4 a rate and PLA a price.
    const stale = await t.call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId, printer: 'prusa-mk4', material: 'pla', quoteId: fdmQuote.quoteId });
    expect(stale.status).toBe(409);
    expect(await errorOf(stale)).toMatchObject({ code: 'QUOTE_STALE', message: expect.stringMatching(/printer prusa-mk4: machineRate_per_h not set → 4 EUR, setup not set → 10 EUR; material pla: pricePerKg not set → 25 EUR/) });
    const other = await t.call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId, printer: 'prusa-mk4', material: 'pla', quoteId: slaQuote.quoteId });
    expect(other.status).toBe(409);
    expect(await errorOf(other)).toMatchObject({ code: 'QUOTE_MISMATCH', message: expect.stringMatching(/printer formlabs-form3plus, not prusa-mk4.*material formlabs-grey, not pla/) });
    const unknown = await t.call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId, printer: 'prusa-mk4', material: 'pla', quoteId: randomUUID() });
    expect([unknown.status, (await errorOf(unknown)).code]).toEqual([400, 'UNKNOWN_QUOTE']);
    // The audit's finding: a client said a 60 s print time and the schedule believed it.
    const made = await t.call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId, printer: 'prusa-mk4', material: 'pla', quote: { ...fdmQuote, printTime_s: 60 } });
    expect([made.status, (await errorOf(made)).code]).toEqual([400, 'CLIENT_QUOTE']);
    const durations = (await t.json(a.tokens.requester, 'GET', '/api/print/schedule')).jobs.map((j: { duration_s: number }) => j.duration_s);
    expect(durations).not.toContain(60);
  });
});
