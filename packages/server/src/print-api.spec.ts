/**
 * Print management over real HTTP, on the embedded PGlite and on a real PostgreSQL server:
 * the catalogue as versions (GET/PUT, 409 on a stale base naming the current version, 400
 * naming the bad field, only the org-admin edits, each edit audited), printers (machines of a
 * catalogue model), print jobs of approved cases (parts from the approved 3MF, due date from
 * the case, duration from the quote), the stored schedule, a printer going down re-planning
 * it, and organisations as walls. The approved case is a model version as a finished convert
 * and an approval leave it (a real 3MF of a box in the store, the model gate signed): the
 * convert itself runs in print-quote.spec.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRINT_CATALOGUE, type PrintCatalogue } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { freshDatabase } from '../../../test/services/postgres.js';
import { modelCase } from '../../../test/server/model-case.js';
import { box } from '../../core/src/testing/meshes.js';
import { auditEntries } from './audit/index.js';
import { currentCatalogue } from './print/catalogue-store.js';
import { entryColumns } from './print/quote-basis.js';
import { specsOf } from './print/quote-file.js';

const ROLES = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'] as const;
type ErrorBody = { error: { code: string; message: string; currentVersion?: number } };
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe.each(['PGlite', 'PostgreSQL'] as const)('print management on %s', (engine) => {
  let t: TestServer;
  let a: TestOrg;
  let b: TestOrg;
  let pg: Awaited<ReturnType<typeof freshDatabase>> | undefined;

  beforeAll(async () => {
    if (engine === 'PostgreSQL') pg = await freshDatabase('print_api');
    t = await startTestServer({ workers: 0, ...(pg ? { databaseUrl: pg.url } : {}) });
    a = await t.org(`Print A ${engine}`);
    b = await t.org(`Print B ${engine}`);
  });
  afterAll(async () => {
    await t?.close();
    await pg?.drop();
  });

  const db = () => t.server.services.db;
  const call = (token: string, method: string, path: string, body?: unknown) => t.call(token, method, path, body);
  const errorOf = async (r: Response) => ((await r.json()) as ErrorBody).error;

  /** A case of org A with a model version (a real 3MF of a w×d×h box), approved unless `approve` is false. */
  const approvedCase = (size: [number, number, number], dueDate?: string, approve = true) =>
    modelCase(t, a, box([0, 0, 0], size), { purpose: `print ${size.join('x')}`, creationDate: '2026-11-30', approve, ...(dueDate ? { dueDate } : {}) });

  /**
   * A quote as POST /api/cases/:id/quote stores it, with the print time a test needs: slicing
   * every box with PrusaSlicer would add minutes here (print-quote.spec.ts and
   * print/print-lifecycle.spec.ts quote for real). Returns its id, which a print job names.
   */
  async function storedQuote(c: { caseId: string; versionId: string }, printer: string, material: string, printTime_s: number): Promise<string> {
    const id = randomUUID();
    const quote = { printTime_s, material_g: 12, price: null, currency: null, method: 'prusa-slicer', missing: ['machine rate'], printer, material };
    // Made with the catalogue's entry as it is now, as quoteAndStore records it (else the job finds it stale).
    const entry = entryColumns(specsOf((await currentCatalogue(db(), a.id)).catalogue, printer, material));
    await db()
      .insertInto('print_quotes')
      .values({ id, org_id: a.id, case_id: c.caseId, model_version_id: c.versionId, printer, material, supports: true, quote: JSON.stringify(quote), created_by: a.users.technician, ...entry })
      .execute();
    return id;
  }

  describe('the catalogue', () => {
    it('version 0 is the shipped catalogue for every member; each organisation has its own', async () => {
      for (const role of ROLES) {
        const c = await t.json(a.tokens[role], 'GET', '/api/print/catalogue');
        expect(c).toEqual({ version: 0, catalogue: PRINT_CATALOGUE, updatedAt: null, updatedBy: null });
      }
      expect(await t.json(a.tokens.reviewer, 'GET', '/api/print/catalogue/versions')).toEqual({ versions: [{ version: 0, updatedAt: null, updatedBy: null }] });
      expect((await call(t.adminToken, 'GET', '/api/print/catalogue')).status).toBe(403);
      // Documented with the rest of the API.
      const doc = await t.json(undefined, 'GET', '/api/openapi.json');
      for (const path of ['/api/print/catalogue', '/api/print/catalogue/versions', '/api/cases/{id}/quote', '/api/print/printers', '/api/print/printers/{id}/status', '/api/print/jobs', '/api/print/schedule']) {
        expect(doc.paths, path).toHaveProperty([path]);
      }
      expect(Object.keys(doc.paths['/api/print/catalogue'])).toEqual(expect.arrayContaining(['get', 'put']));
    });

    it('PUT by the org-admin makes version 1 (audited), other roles 403; a stale base 409 naming the current version; org B unchanged', async () => {
      const edited = clone(PRINT_CATALOGUE) as PrintCatalogue;
      edited.version = 'lab-2026-12';
      edited.printers[0]!.name = 'Original Prusa MK4 (lab bench 2)';
      for (const role of ['requester', 'engineer', 'reviewer', 'technician'] as const) {
        const r = await call(a.tokens[role], 'PUT', '/api/print/catalogue', { catalogue: edited, baseVersion: 0 });
        expect(r.status, role).toBe(403);
      }
      const r = await call(a.tokens['org-admin'], 'PUT', '/api/print/catalogue', { catalogue: edited, baseVersion: 0 });
      expect(r.status, await r.clone().text()).toBe(201);
      const saved = (await r.json()) as any;
      expect(saved).toMatchObject({ version: 1, updatedBy: a.emails['org-admin'] });
      expect(saved.catalogue.printers[0].name).toBe('Original Prusa MK4 (lab bench 2)');
      expect(await t.json(a.tokens.technician, 'GET', '/api/print/catalogue')).toEqual(saved);
      const versions = (await t.json(a.tokens.technician, 'GET', '/api/print/catalogue/versions')).versions;
      expect(versions.map((v: { version: number }) => v.version)).toEqual([1, 0]);
      expect(versions[0].updatedAt).toBe(saved.updatedAt);
      // Stale: made from version 0 while 1 is current.
      const stale = await call(a.tokens['org-admin'], 'PUT', '/api/print/catalogue', { catalogue: PRINT_CATALOGUE, baseVersion: 0 });
      expect(stale.status).toBe(409);
      expect(await errorOf(stale)).toMatchObject({ code: 'STALE', currentVersion: 1, message: expect.stringContaining('version 1 is current') });
      expect((await t.json(a.tokens.technician, 'GET', '/api/print/catalogue')).version).toBe(1);
      const audit = (await auditEntries(db(), { orgId: a.id })).filter((e) => (e.action as string) === 'print-catalogue-changed');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor: { id: a.users['org-admin'], role: 'org-admin' }, details: { version: 1, baseVersion: 0, catalogueVersion: 'lab-2026-12' } });
      expect((await t.json(b.tokens['org-admin'], 'GET', '/api/print/catalogue')).version).toBe(0);
    });

    it('an invalid catalogue is a 400 naming the bad field, and nothing is stored', async () => {
      const bad = clone(PRINT_CATALOGUE) as unknown as { printers: { buildVolume_mm: { value: unknown } }[] };
      bad.printers[2]!.buildVolume_mm.value = [256, -1, 256];
      const r = await call(a.tokens['org-admin'], 'PUT', '/api/print/catalogue', { catalogue: bad, baseVersion: 1 });
      const e = await errorOf(r);
      expect(r.status).toBe(400);
      expect(e.code).toBe('INVALID_CATALOGUE');
      expect(e.message).toMatch(/printers(\[2\]|\.2)\.buildVolume_mm/);
      expect((e as { issues?: unknown }).issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/^catalogue\.printers\[2\]\.buildVolume_mm/) })]));
      // A printer naming a material the catalogue lacks: the shape is right, the reference is not.
      const dangling = clone(PRINT_CATALOGUE) as PrintCatalogue;
      dangling.printers[1]!.materials = ['pla', 'unobtainium'];
      const d = await call(a.tokens['org-admin'], 'PUT', '/api/print/catalogue', { catalogue: dangling, baseVersion: 1 });
      expect(d.status).toBe(400);
      const de = (await errorOf(d)) as ErrorBody['error'] & { issues: { path: string; message: string }[] };
      expect(de).toMatchObject({ code: 'INVALID_CATALOGUE', message: expect.stringMatching(/printers\[1\]\.materials\[1\]: .*unobtainium/) });
      expect(de.issues).toEqual([{ path: 'catalogue.printers[1].materials[1]', message: expect.stringContaining('unobtainium') }]);
      const missing = await call(a.tokens['org-admin'], 'PUT', '/api/print/catalogue', { baseVersion: 1 });
      expect(missing.status).toBe(400);
      const noBase = await call(a.tokens['org-admin'], 'PUT', '/api/print/catalogue', { catalogue: PRINT_CATALOGUE });
      expect(noBase.status).toBe(400);
      expect((await errorOf(noBase)).message).toContain('baseVersion');
      expect((await t.json(a.tokens.technician, 'GET', '/api/print/catalogue/versions')).versions).toHaveLength(2);
    });
  });

  describe('quotes, printers, jobs and the schedule', () => {
    let printers: { id: string; catalogueId: string; name: string }[] = [];
    const jobIds: string[] = [];

    it('a quote needs an approved model version (409 NOT_APPROVED) and a printer and material of the catalogue (400)', async () => {
      const draft = await approvedCase([40, 30, 20], undefined, false);
      const r = await call(a.tokens.requester, 'POST', `/api/cases/${draft.caseId}/quote`, { printer: 'prusa-mk4', material: 'pla' });
      expect(r.status).toBe(409);
      expect(await errorOf(r)).toMatchObject({ code: 'NOT_APPROVED' });
      const ok = await approvedCase([40, 30, 20]);
      const unknown = await call(a.tokens.engineer, 'POST', `/api/cases/${ok.caseId}/quote`, { printer: 'no-such-printer', material: 'pla' });
      expect(unknown.status).toBe(400);
      expect(await errorOf(unknown)).toMatchObject({ code: 'UNKNOWN_PRINTER', message: expect.stringContaining('prusa-mk4') });
      const wrong = await call(a.tokens.engineer, 'POST', `/api/cases/${ok.caseId}/quote`, { printer: 'prusa-mk4', material: 'pa12' });
      expect(await errorOf(wrong)).toMatchObject({ code: 'MATERIAL_NOT_FOR_PRINTER' });
      // Another organisation's case: 404, as for a case that does not exist.
      expect((await call(b.tokens.engineer, 'POST', `/api/cases/${ok.caseId}/quote`, { printer: 'prusa-mk4', material: 'pla' })).status).toBe(404);
    });

    it('printers: the org-admin adds machines of catalogue models (audited); others 403; an unknown model 400', async () => {
      for (const [catalogueId, name] of [['prusa-mk4', 'MK4 bench 1'], ['prusa-mk4', 'MK4 bench 2'], ['formlabs-form3plus', 'Form 3+']]) {
        const r = await call(a.tokens['org-admin'], 'POST', '/api/print/printers', { catalogueId, name });
        expect(r.status, await r.clone().text()).toBe(201);
        expect(await r.json()).toMatchObject({ catalogueId, name, status: 'up', outages: [] });
      }
      expect((await call(a.tokens.technician, 'POST', '/api/print/printers', { catalogueId: 'prusa-mk4', name: 'x' })).status).toBe(403);
      const unknown = await call(a.tokens['org-admin'], 'POST', '/api/print/printers', { catalogueId: 'makerbot', name: 'x' });
      expect(unknown.status).toBe(400);
      expect(await errorOf(unknown)).toMatchObject({ code: 'UNKNOWN_PRINTER', message: expect.stringContaining('makerbot') });
      printers = (await t.json(a.tokens.requester, 'GET', '/api/print/printers')).printers;
      expect(printers.map((p) => p.name)).toEqual(['MK4 bench 1', 'MK4 bench 2', 'Form 3+']);
      expect((await t.json(b.tokens.requester, 'GET', '/api/print/printers')).printers).toEqual([]);
      const audit = (await auditEntries(db(), { orgId: a.id })).filter((e) => (e.action as string) === 'printer-added');
      expect(audit.map((e) => e.details.name)).toEqual(['MK4 bench 1', 'MK4 bench 2', 'Form 3+']);
    });

    it('print jobs: parts from the approved 3MF, due date from the case, duration from the quote; planned on a machine of the model', async () => {
      const cases = [
        { size: [120, 80, 40] as [number, number, number], due: '2099-01-10', hours: 5 },
        { size: [60, 50, 30] as [number, number, number], due: '2099-01-02', hours: 3 },
        { size: [50, 40, 20] as [number, number, number], due: undefined, hours: 2 },
      ];
      for (const c of cases) {
        const { caseId, versionId } = await approvedCase(c.size, c.due);
        const quoteId = await storedQuote({ caseId, versionId }, 'prusa-mk4', 'pla', c.hours * 3600);
        const r = await call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId, printer: 'prusa-mk4', material: 'pla', quoteId });
        expect(r.status, await r.clone().text()).toBe(201);
        const j = (await r.json()) as any;
        expect(j).toMatchObject({ caseId, modelVersionId: versionId, printer: 'prusa-mk4', material: 'pla', duration_s: c.hours * 3600, due: c.due ? `${c.due}T23:59:59.000Z` : null, status: 'queued', quoteId });
        expect(j.parts).toEqual([{ id: 'model', bbox_mm: c.size, hull_mm: expect.arrayContaining([[0, 0], [c.size[0], c.size[1]]]) }]);
        expect(j.plates).toHaveLength(1);
        expect(printers.slice(0, 2).map((p) => p.id)).toContain(j.plates[0].printerId);
        jobIds.push(j.id);
      }
      const s = await t.json(a.tokens.reviewer, 'GET', '/api/print/schedule');
      expect(s.jobs.map((j: { id: string }) => j.id).sort()).toEqual([...jobIds].sort());
      expect(s.jobs.find((j: { id: string }) => j.id === jobIds[1])).toMatchObject({ due: '2099-01-02T23:59:59.000Z', duration_s: 3 * 3600, caseTitle: 'mandible: print 60x50x30' });
      expect(s.late).toEqual([]);
      expect(s.unplaceable).toEqual([]);
      expect(s.printers.map((p: { id: string }) => p.id)).toEqual(printers.map((p) => p.id));
      // Every job on an MK4 (its printer model), none on the Form 3+, no two plates overlapping on a machine.
      const planned = s.plates.flatMap((x: { jobIds: string[] }) => x.jobIds).sort();
      expect(planned).toEqual([...jobIds].sort());
      for (const pl of s.plates) expect(pl.printerId).not.toBe(printers[2]!.id);
      for (const p of printers) {
        const mine = s.plates.filter((x: { printerId: string }) => x.printerId === p.id).sort((x: { start: string }, y: { start: string }) => x.start.localeCompare(y.start));
        for (let i = 1; i < mine.length; i++) expect(Date.parse(mine[i].start)).toBeGreaterThanOrEqual(Date.parse(mine[i - 1].end));
      }
      const audit = (await auditEntries(db(), { orgId: a.id })).filter((e) => (e.action as string) === 'print-job-created');
      expect(audit).toHaveLength(3);
      expect(audit[0]).toMatchObject({ actor: { role: 'technician' }, details: { printJobId: jobIds[0], printer: 'prusa-mk4', duration_s: 5 * 3600 } });
    });

    it('print jobs refused: a case not approved (409), another organisation\'s (404), a role that does not print (403), a material the printer does not use or a duration from the client (400)', async () => {
      const draft = await approvedCase([40, 30, 20], undefined, false);
      const notApproved = await call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId: draft.caseId, printer: 'prusa-mk4', material: 'pla' });
      expect(notApproved.status).toBe(409);
      expect((await errorOf(notApproved)).code).toBe('NOT_APPROVED');
      const ok = await approvedCase([40, 30, 20]);
      const quoteId = await storedQuote(ok, 'prusa-mk4', 'pla', 3600);
      expect((await call(b.tokens.technician, 'POST', '/api/print/jobs', { caseId: ok.caseId, printer: 'prusa-mk4', material: 'pla', quoteId })).status).toBe(404);
      expect((await call(a.tokens.engineer, 'POST', '/api/print/jobs', { caseId: ok.caseId, printer: 'prusa-mk4', material: 'pla', quoteId })).status).toBe(403);
      const wrong = await call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId: ok.caseId, printer: 'prusa-mk4', material: 'formlabs-grey', quoteId });
      expect(wrong.status).toBe(400);
      // A duration the client makes up: refused, whatever it says (the schedule is the server's).
      for (const printTime_s of [-5, 60]) {
        const bad = await call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId: ok.caseId, printer: 'prusa-mk4', material: 'pla', quote: { printTime_s } });
        expect(bad.status).toBe(400);
        expect(await errorOf(bad)).toMatchObject({ code: 'CLIENT_QUOTE', message: expect.stringContaining('quoteId') });
      }
      const jobs = await db().selectFrom('print_jobs').select('id').where('org_id', '=', a.id).execute();
      expect(jobs).toHaveLength(3);
    });

    it('a machine going down re-plans: nothing on it from then on, its jobs move to the other MK4; back up, the outage closes (audited)', async () => {
      const before = await t.json(a.tokens.technician, 'GET', '/api/print/schedule');
      const busy = before.plates[0].printerId as string;
      const other = printers.slice(0, 2).map((p) => p.id).find((id) => id !== busy)!;
      // Other organisations' technicians do not see the machine; a requester may not say it is down.
      expect((await call(b.tokens.technician, 'POST', `/api/print/printers/${busy}/status`, { status: 'down' })).status).toBe(404);
      expect((await call(a.tokens.requester, 'POST', `/api/print/printers/${busy}/status`, { status: 'down' })).status).toBe(403);
      const r = await call(a.tokens.technician, 'POST', `/api/print/printers/${busy}/status`, { status: 'down', note: 'nozzle clogged' });
      expect(r.status, await r.clone().text()).toBe(200);
      const { printer, schedule } = (await r.json()) as any;
      expect(printer).toMatchObject({ id: busy, status: 'down', outages: [{ to: null, note: 'nozzle clogged' }] });
      expect(schedule.plates.filter((x: { printerId: string }) => x.printerId === busy)).toEqual([]);
      expect(schedule.plates.flatMap((x: { jobIds: string[] }) => x.jobIds).sort()).toEqual([...jobIds].sort());
      for (const pl of schedule.plates) expect(pl.printerId).toBe(other);
      expect(Date.parse(schedule.plannedAt)).toBeGreaterThanOrEqual(Date.parse(before.plannedAt));
      // The stored plan is the one re-planned.
      expect(await t.json(a.tokens.reviewer, 'GET', '/api/print/schedule')).toEqual(schedule);
      // Down twice: still one open outage.
      await t.json(a.tokens['org-admin'], 'POST', `/api/print/printers/${busy}/status`, { status: 'down' });
      const up = await t.json(a.tokens.technician, 'POST', `/api/print/printers/${busy}/status`, { status: 'up' });
      expect(up.printer.status).toBe('up');
      expect(up.printer.outages).toHaveLength(1);
      expect(up.printer.outages[0].to).not.toBeNull();
      expect(Date.parse(up.printer.outages[0].to)).toBeGreaterThanOrEqual(Date.parse(up.printer.outages[0].from));
      expect(up.schedule.plates.flatMap((x: { jobIds: string[] }) => x.jobIds).sort()).toEqual([...jobIds].sort());
      const audit = (await auditEntries(db(), { orgId: a.id })).filter((e) => (e.action as string) === 'printer-status-changed');
      expect(audit.map((e) => [e.details.from, e.details.to, e.actor?.role])).toEqual([
        ['up', 'down', 'technician'],
        ['down', 'down', 'org-admin'],
        ['down', 'up', 'technician'],
      ]);
    });

    it('a job no machine can take is unplaceable, saying why; a due date that cannot be met is late and says so', async () => {
      // A 300 mm part on an MK4 (250 × 210 × 220): the job is accepted, the plan cannot place it.
      const huge = await approvedCase([300, 100, 50], '2099-01-01');
      const r1 = await call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId: huge.caseId, printer: 'prusa-mk4', material: 'pla', quoteId: await storedQuote(huge, 'prusa-mk4', 'pla', 3600) });
      expect(r1.status).toBe(201);
      const hugeId = ((await r1.json()) as { id: string }).id;
      const past = await approvedCase([30, 30, 30], '2020-01-01');
      const r2 = await call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId: past.caseId, printer: 'formlabs-form3plus', material: 'formlabs-grey', quoteId: await storedQuote(past, 'formlabs-form3plus', 'formlabs-grey', 1800) });
      expect(r2.status).toBe(201);
      const pastId = ((await r2.json()) as { id: string }).id;
      const s = await t.json(a.tokens.requester, 'GET', '/api/print/schedule');
      expect(s.unplaceable).toEqual([{ jobId: hugeId, reason: expect.stringMatching(/larger than the build volume/) }]);
      expect(s.late).toEqual([expect.objectContaining({ jobId: pastId, due: '2020-01-01T23:59:59.000Z', unavoidable: true, reason: expect.stringMatching(/cannot be met/) })]);
      expect(s.plates.find((x: { jobIds: string[] }) => x.jobIds.includes(pastId)).printerId).toBe(printers[2]!.id);
    });

    it('print jobs leave the schedule when changes are requested or the case is cancelled (audited); others stay', async () => {
      const job = async (c: { caseId: string; versionId: string }) => {
        const quoteId = await storedQuote(c, 'prusa-mk4', 'pla', 600);
        return ((await (await call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId: c.caseId, printer: 'prusa-mk4', material: 'pla', quoteId })).json()) as { id: string }).id;
      };
      const [sent, cancelled, kept] = [await approvedCase([20, 20, 20]), await approvedCase([21, 21, 21]), await approvedCase([22, 22, 22])];
      const ids = { sent: await job(sent), cancelled: await job(cancelled), kept: await job(kept) };
      const planned = async () => ((await t.json(a.tokens.technician, 'GET', '/api/print/schedule')).jobs as { id: string }[]).map((j) => j.id);
      expect(await planned()).toEqual(expect.arrayContaining(Object.values(ids)));
      expect((await call(a.tokens.reviewer, 'POST', `/api/cases/${sent.caseId}/transitions`, { to: 'changes-requested', comment: 'cut the mandible at the condyle' })).status).toBe(201);
      expect((await call(a.tokens.requester, 'POST', `/api/cases/${cancelled.caseId}/transitions`, { to: 'cancelled', comment: 'surgery moved' })).status).toBe(201);
      const now = await planned();
      expect(now).toContain(ids.kept);
      expect(now).not.toContain(ids.sent);
      expect(now).not.toContain(ids.cancelled);
      const audit = (await auditEntries(db(), { orgId: a.id })).filter((e) => (e.action as string) === 'print-job-cancelled');
      expect(audit.map((e) => [e.details.printJobIds, e.details.caseState])).toEqual([
        [[ids.sent], 'changes-requested'],
        [[ids.cancelled], 'cancelled'],
      ]);
    });
  });
});
