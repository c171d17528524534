/**
 * Print jobs over real HTTP (embedded PGlite), with the server's own quotes (PrusaSlicer for
 * the MK4, the volume model for the Form 3+): a long bar lying across the bed is quoted and
 * planned turned about z (its box is deeper than the MK4's bed, its hull fits across it); a
 * quote of another case is refused; a job's life on a machine (queued → printing → printed |
 * failed) with its refusals, audit entries and re-plans (a printing job holds its machine);
 * a case sent back for changes leaves a printing job on its machine; the web app's "approved"
 * (which shows the quote form) is the server's, state by state. The approved cases are
 * model versions as a finished convert and an approval leave them (real 3MFs in the store, the
 * model gate signed), as in print-api.spec.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mesh } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../../test/server/harness.js';
import { modelCase } from '../../../../test/server/model-case.js';
import { box } from '../../../core/src/testing/meshes.js';
import { auditEntries } from '../audit/index.js';
import { isApproved } from '../../../web/src/print/format.js';

type ErrorBody = { error: { code: string; message: string } };

let t: TestServer;
let a: TestOrg;
let b: TestOrg;
const printers: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestServer({ workers: 0 });
  a = await t.org('Print jobs A');
  b = await t.org('Print jobs B');
  for (const [catalogueId, name] of [['prusa-mk4', 'MK4'], ['formlabs-form3plus', 'Form']] as const) {
    printers[name] = (await t.json(a.tokens['org-admin'], 'POST', '/api/print/printers', { catalogueId, name })).id;
  }
});
afterAll(() => t?.close());

const db = () => t.server.services.db;
const call = (token: string, method: string, path: string, body?: unknown) => t.call(token, method, path, body);
const errorOf = async (r: Response) => ((await r.json()) as ErrorBody).error;

/** A case of org A whose approved model version is `mesh` as a 3MF, the model gate signed by the reviewer. */
const approvedCase = (mesh: Mesh, title: string) => modelCase(t, a, mesh, { purpose: title, dueDate: '2099-06-01' });

/** The case's other gates signed and the case moved to printing, as "Start printing" does (a print waits for every gate). */
async function readyToPrint(c: { caseId: string; versionId: string }): Promise<void> {
  for (const gate of ['segmentation', 'print-qc']) {
    await db().insertInto('gate_signatures').values({ id: randomUUID(), org_id: a.id, case_id: c.caseId, gate, model_version_id: c.versionId, signed_by: a.users.technician }).execute();
  }
  await db().updateTable('cases').set({ status: 'printing' }).where('id', '=', c.caseId).execute();
}

/** A real quote and a job named by it. */
async function quotedJob(caseId: string, printer: string, material: string): Promise<{ id: string; duration_s: number; plates: { printerId: string; parts: { turn_deg: number }[] }[] }> {
  const q = await t.json(a.tokens.technician, 'POST', `/api/cases/${caseId}/quote`, { printer, material });
  const r = await call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId, printer, material, quoteId: q.quoteId });
  expect(r.status, await r.clone().text()).toBe(201);
  return (await r.json()) as Awaited<ReturnType<typeof quotedJob>>;
}

/** The box turned by `deg` about z (its corner at the origin before). */
function turnedBox(size: [number, number, number], deg: number): Mesh {
  const m = box([0, 0, 0], size);
  const [c, s] = [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
  const p = new Float32Array(m.positions);
  for (let i = 0; i < p.length; i += 3) [p[i], p[i + 1]] = [m.positions[i]! * c - m.positions[i + 1]! * s, m.positions[i]! * s + m.positions[i + 1]! * c];
  return { ...m, positions: p };
}

const schedule = () => t.json(a.tokens.technician, 'GET', '/api/print/schedule');
const start = (token: string, printer: string, jobId: string) => call(token, 'POST', `/api/print/printers/${printer}/start`, { jobId });
const finish = (printer: string, jobId: string, outcome: 'printed' | 'failed', note?: string) =>
  call(a.tokens.technician, 'POST', `/api/print/printers/${printer}/${outcome === 'printed' ? 'finish' : 'fail'}`, { jobId, ...(note ? { note } : {}) });

describe('a part that fits the bed only turned about z', () => {
  it('a 300 × 10 mm bar lying at 45° (box 219 × 219 mm; the MK4 bed is 250 × 210): PrusaSlicer quotes it turned, the schedule plans it turned', async () => {
    const bar = await approvedCase(turnedBox([300, 10, 10], 45), 'long bar');
    const job = await quotedJob(bar.caseId, 'prusa-mk4', 'pla');
    expect(job.duration_s).toBeGreaterThan(60);
    expect(job.plates).toHaveLength(1);
    expect(job.plates[0]!.printerId).toBe(printers.MK4);
    const turn = job.plates[0]!.parts[0]!.turn_deg;
    // Neither as it lies nor a quarter turn: somewhere across the bed.
    expect(Math.abs(turn % 90)).toBeGreaterThan(1);
    const s = await schedule();
    expect(s.unplaceable).toEqual([]);
  });
});

describe('the quote a job names', () => {
  it('a quote of another case is refused, naming the case', async () => {
    const one = await approvedCase(box([0, 0, 0], [40, 30, 20]), 'one');
    const two = await approvedCase(box([0, 0, 0], [40, 30, 20]), 'two');
    const q = await t.json(a.tokens.technician, 'POST', `/api/cases/${one.caseId}/quote`, { printer: 'formlabs-form3plus', material: 'formlabs-grey' });
    const r = await call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId: two.caseId, printer: 'formlabs-form3plus', material: 'formlabs-grey', quoteId: q.quoteId });
    expect(r.status).toBe(409);
    expect(await errorOf(r)).toMatchObject({ code: 'QUOTE_MISMATCH', message: expect.stringContaining(`case ${one.caseId}, not ${two.caseId}`) });
    // Another organisation's technician cannot use it either (its case is not theirs: 404).
    expect((await call(b.tokens.technician, 'POST', '/api/print/jobs', { caseId: one.caseId, printer: 'formlabs-form3plus', material: 'formlabs-grey', quoteId: q.quoteId })).status).toBe(404);
  });
});

describe('a print job on a machine: queued → printing → printed | failed', () => {
  it('started on its machine it holds it; the next waits; finished it leaves the plan; failed with a note; each audited', async () => {
    const c1 = await approvedCase(box([0, 0, 0], [40, 30, 20]), 'first');
    const c2 = await approvedCase(box([0, 0, 0], [30, 30, 30]), 'second');
    const j1 = await quotedJob(c1.caseId, 'formlabs-form3plus', 'formlabs-grey');
    const j2 = await quotedJob(c2.caseId, 'formlabs-form3plus', 'formlabs-grey');
    const form = printers.Form!;

    expect((await start(a.tokens.requester, form, j1.id)).status).toBe(403);
    expect((await start(b.tokens.technician, form, j1.id)).status).toBe(404);
    const wrong = await start(a.tokens.technician, printers.MK4!, j1.id);
    expect([wrong.status, (await errorOf(wrong)).code]).toEqual([409, 'WRONG_PRINTER']);
    // Queued on approval, started only once every gate is signed (the case in printing).
    const early = await start(a.tokens.technician, form, j1.id);
    expect([early.status, (await errorOf(early)).code]).toEqual([409, 'CASE_NOT_PRINTING']);
    expect((await t.json(a.tokens.requester, 'GET', `/api/cases/${c1.caseId}/print-jobs`)).jobs[0].status).toBe('queued');
    await readyToPrint(c1);
    await readyToPrint(c2);

    const r = await start(a.tokens.technician, form, j1.id);
    expect(r.status, await r.clone().text()).toBe(200);
    const started = (await r.json()) as { job: { status: string; startedAt: string }; schedule: any };
    expect(started.job.status).toBe('printing');
    const plate1 = started.schedule.plates.find((x: { jobIds: string[] }) => x.jobIds.includes(j1.id));
    expect(plate1).toMatchObject({ printerId: form, running: true, start: started.job.startedAt, jobIds: [j1.id] });
    const plate2 = started.schedule.plates.find((x: { jobIds: string[] }) => x.jobIds.includes(j2.id));
    expect(plate2.printerId).toBe(form);
    expect(Date.parse(plate2.start)).toBeGreaterThanOrEqual(Date.parse(plate1.end));
    expect(started.schedule.jobs.find((j: { id: string }) => j.id === j1.id)).toMatchObject({ status: 'printing', printerId: form, startedAt: started.job.startedAt });

    const busy = await start(a.tokens['org-admin'], form, j2.id);
    expect(busy.status).toBe(409);
    expect(await errorOf(busy)).toMatchObject({ code: 'PRINTER_BUSY', message: expect.stringContaining(j1.id) });
    const again = await start(a.tokens.technician, form, j1.id);
    expect([again.status, (await errorOf(again)).code]).toEqual([409, 'JOB_NOT_QUEUED']);
    const notThere = await finish(form, j2.id, 'printed');
    expect([notThere.status, (await errorOf(notThere)).code]).toEqual([409, 'JOB_NOT_PRINTING']);

    const done = await finish(form, j1.id, 'printed');
    expect(done.status, await done.clone().text()).toBe(200);
    const after = ((await done.json()) as { schedule: any }).schedule;
    expect(after.jobs.map((j: { id: string }) => j.id)).not.toContain(j1.id);
    expect(after.plates.flatMap((x: { jobIds: string[] }) => x.jobIds)).toContain(j2.id);

    // Without a jobId: the next job the plan has on the machine, then the one printing on it.
    const next = await call(a.tokens.technician, 'POST', `/api/print/printers/${form}/start`, {});
    expect(next.status, await next.clone().text()).toBe(200);
    expect(((await next.json()) as { job: { id: string } }).job.id).toBe(j2.id);
    const failed = await call(a.tokens.technician, 'POST', `/api/print/printers/${form}/fail`, { note: 'warped off the plate' });
    expect(failed.status).toBe(200);
    const idle = await call(a.tokens.technician, 'POST', `/api/print/printers/${form}/finish`, {});
    expect([idle.status, (await errorOf(idle)).code]).toEqual([409, 'JOB_NOT_PRINTING']);
    const list = await t.json(a.tokens.requester, 'GET', `/api/cases/${c2.caseId}/print-jobs`);
    expect(list.jobs).toEqual([expect.objectContaining({ id: j2.id, status: 'failed', printerId: form, printerName: 'Form', note: 'warped off the plate' })]);
    expect((await call(b.tokens.requester, 'GET', `/api/cases/${c2.caseId}/print-jobs`)).status).toBe(404);
    expect((await schedule()).plates).not.toContainEqual(expect.objectContaining({ printerId: form }));

    const audit = (await auditEntries(db(), { orgId: a.id })).filter((e) => (e.action as string).startsWith('print-job-') && (e.action as string) !== 'print-job-created');
    expect(audit.map((e) => [e.action, e.details.printJobId, e.actor?.role])).toEqual([
      ['print-job-started', j1.id, 'technician'],
      ['print-job-printed', j1.id, 'technician'],
      ['print-job-started', j2.id, 'technician'],
      ['print-job-failed', j2.id, 'technician'],
    ]);
    expect(audit[3]!.details).toMatchObject({ printerId: form, note: 'warped off the plate' });
  });

  it('changes requested while a job prints: the queued one is cancelled, the printing one stays on its machine and the audit says so', async () => {
    const c = await approvedCase(box([0, 0, 0], [20, 20, 20]), 'sent back');
    const printing = await quotedJob(c.caseId, 'formlabs-form3plus', 'formlabs-grey');
    const queued = await quotedJob(c.caseId, 'formlabs-form3plus', 'formlabs-grey');
    await readyToPrint(c);
    expect((await start(a.tokens.technician, printers.Form!, printing.id)).status).toBe(200);
    // The part is judged not right while it prints: back to preparation, then changes requested.
    const back = await call(a.tokens.technician, 'POST', `/api/cases/${c.caseId}/transitions`, { to: 'print-preparation', comment: 'walls too thin' });
    expect(back.status, await back.clone().text()).toBe(201);
    expect((await call(a.tokens.reviewer, 'POST', `/api/cases/${c.caseId}/transitions`, { to: 'changes-requested', comment: 'thicker walls' })).status).toBe(201);
    const jobs = (await t.json(a.tokens.requester, 'GET', `/api/cases/${c.caseId}/print-jobs`)).jobs as { id: string; status: string }[];
    expect(Object.fromEntries(jobs.map((j) => [j.id, j.status]))).toEqual({ [printing.id]: 'printing', [queued.id]: 'cancelled' });
    const entry = (await auditEntries(db(), { orgId: a.id })).filter((e) => (e.action as string) === 'print-job-cancelled').at(-1)!;
    expect(entry.details).toMatchObject({ printJobIds: [queued.id], leftPrinting: [printing.id], caseState: 'changes-requested' });
    // Still the technician's to finish.
    expect((await finish(printers.Form!, printing.id, 'failed', 'stopped: changes requested')).status).toBe(200);
  });

  it('parts of one material planned on one plate start together, hold the machine as one plate and end together', async () => {
    const cs = [await approvedCase(box([0, 0, 0], [30, 20, 10]), 'plate one'), await approvedCase(box([0, 0, 0], [25, 25, 10]), 'plate two')];
    const ids: string[] = [];
    for (const c of cs) ids.push((await quotedJob(c.caseId, 'formlabs-form3plus', 'formlabs-grey')).id);
    for (const c of cs) await readyToPrint(c);
    const form = printers.Form!;
    const planned = (await schedule()).plates.find((x: { jobIds: string[] }) => x.jobIds.includes(ids[0]!));
    expect([...planned.jobIds].sort()).toEqual([...ids].sort());
    const r = await call(a.tokens.technician, 'POST', `/api/print/printers/${form}/start`, {});
    expect(r.status, await r.clone().text()).toBe(200);
    const started = (await r.json()) as { jobs: { id: string; status: string }[]; schedule: any };
    expect(started.jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
    const running = started.schedule.plates.filter((x: { running?: boolean }) => x.running);
    expect(running).toHaveLength(1);
    expect([...running[0].jobIds].sort()).toEqual([...ids].sort());
    // A second start on the busy machine is refused, whichever job it names.
    const other = await quotedJob(cs[0]!.caseId, 'formlabs-form3plus', 'formlabs-grey');
    expect((await errorOf(await start(a.tokens.technician, form, other.id))).code).toBe('PRINTER_BUSY');
    const done = await call(a.tokens.technician, 'POST', `/api/print/printers/${form}/finish`, {});
    expect(done.status).toBe(200);
    expect(((await done.json()) as { jobs: { id: string; status: string }[] }).jobs.map((j) => j.status)).toEqual(['printed', 'printed']);
    const audit = (await auditEntries(db(), { orgId: a.id })).filter((e) => e.action === 'print-job-started').slice(-2);
    expect(audit.map((e) => [...(e.details.plate as string[])].sort())).toEqual([[...ids].sort(), [...ids].sort()]);
  });
});

describe('the web app\'s "approved" is the server\'s', () => {
  it('with the model gate signed in every state, and without it in approved states: isApproved(the workflow) exactly when the quote is not 409 NOT_APPROVED', async () => {
    const states = ['approved', 'print-preparation', 'printing', 'qc-passed', 'delivered', 'in-review', 'changes-requested', 'cancelled', 'rejected'];
    const cases: [string, boolean][] = [...states.map((x): [string, boolean] => [x, true]), ['approved', false], ['printing', false]];
    const seen: string[] = [];
    for (const [state, signed] of cases) {
      const c = await approvedCase(box([0, 0, 0], [20, 20, 20]), `state ${state}`);
      if (!signed) await db().deleteFrom('gate_signatures').where('case_id', '=', c.caseId).execute();
      await db().updateTable('cases').set({ status: state }).where('id', '=', c.caseId).execute();
      const wf = await t.json(a.tokens.requester, 'GET', `/api/cases/${c.caseId}/workflow`);
      const r = await call(a.tokens.requester, 'POST', `/api/cases/${c.caseId}/quote`, { printer: 'formlabs-form3plus', material: 'formlabs-grey' });
      expect([200, 409], `${state} ${signed}`).toContain(r.status);
      expect(isApproved(wf), `${state}, gate ${signed ? 'signed' : 'not signed'}: server ${r.status}`).toBe(r.status === 200);
      if (r.status === 200) seen.push(state);
    }
    expect(seen).toEqual(['approved', 'print-preparation', 'printing', 'qc-passed', 'delivered']);
  });
});

