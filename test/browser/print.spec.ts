/**
 * Print management in real Chromium against a real server (issue 12): the org-admin edits a
 * printer's hourly rate and set-up cost and a material's price per kg, each with its source, and
 * saves them as catalogue version 2 (a value the server refuses and a stale save are said in words); a technician starts
 * a quote and cancels it (nothing is quoted or stored, the page says so), quotes the
 * approved case with real PrusaSlicer and sees a time and a price, queues it (the page says
 * it is queued, not "Queueing…"), finds its plate
 * on the printer's row of the schedule (late: its due date has passed), marks that printer
 * down and sees the plan change (the plate moves to the other printer, or the job waits), then
 * on the case page starts the job on the machine still up and marks it printed; then lets the
 * server choose for a biocompatible, sterilisable material ("Choose for me"): the choice, why,
 * the alternative and each refusal are shown, and the pickers show the chosen pair. No
 * serious axe violations on the three pages.
 *
 * The approved model is a real bone: the L4 vertebra of TotalSegmentator's reference label
 * map, meshed by core and written as the 3MF a convert job leaves; the case reaches 'approved'
 * through the API (segmentation gate by the engineer, approval by the reviewer) on a job row
 * as a finished convert leaves it (a real convert runs in workflow.spec.ts; here it would only
 * add minutes).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { extractSurfaceMesh, readNiftiLabels, write3mf } from '@scan2print/core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { dataPath } from '../data.js';
import { launchChromium, logIn, openPage } from './chromium.js';
import { seriousViolations } from './axe.js';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;

beforeAll(async () => {
  srv = await startTestServer({ workers: 0 });
  org = await srv.org('Print Hospital');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

async function expectAccessible(page: Page, where: string) {
  expect(await seriousViolations(page), where).toEqual([]);
}

/** TotalSegmentator's label for vertebra L4 (labelmap_total_v2.json; one closed shell: L3 has two). */
const L4 = 28;

/** A case whose model version (a real L4 vertebra as 3MF) is approved, due yesterday. */
async function approvedCase(): Promise<{ caseId: string; versionId: string }> {
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const caseId = (await srv.json(org.tokens.requester, 'POST', '/api/cases', { purpose: 'L4 teaching model', anatomy: 'spine', dueDate: yesterday })).id as string;
  const labels = readNiftiLabels(readFileSync(dataPath('labelled', 'totalsegmentator', 'example_seg_fast_force_split.nii.gz')), 'example_seg_fast_force_split.nii.gz');
  const model = write3mf(extractSurfaceMesh(labels, { label: L4 }));
  const db = srv.server.services.db;
  const store = srv.server.services.store;
  const versionId = randomUUID();
  await db
    .insertInto('files')
    .values({ id: randomUUID(), org_id: org.id, case_id: caseId, name: 'a.dcm', object_key: `cases/${caseId}/files/a.dcm`, sha256: randomBytes(32).toString('hex'), bytes: 1, series_uid: null, sop_instance_uid: null, anonymised_by: 'checked' })
    .execute();
  await db
    .insertInto('jobs')
    .values({
      id: versionId, org_id: org.id, case_id: caseId, kind: 'convert', params: '{}', state: 'succeeded', progress: 1, stage: 'done', error: null,
      idempotency_key: null, lease_owner: null, lease_expires_at: null, created_by: org.users.engineer, started_at: new Date(), finished_at: new Date(),
      summary: JSON.stringify({ findings: [], models: [{ name: 'bone', checks: { printable: true, closed: true, manifold: true }, accuracy: null }] }),
    })
    .execute();
  const report = new TextEncoder().encode('<!doctype html><title>report</title>');
  for (const [kind, name, media, bytes] of [['model', 'bone.3mf', 'model/3mf', model], ['report-html', 'report.html', 'text/html', report]] as const) {
    const key = `jobs/${versionId}/1/${name}`;
    await store.put(key, bytes);
    await db
      .insertInto('artifacts')
      .values({ id: randomUUID(), org_id: org.id, case_id: caseId, job_id: versionId, kind, name, object_key: key, media_type: media, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length })
      .execute();
  }
  await db.updateTable('cases').set({ status: 'in-review' }).where('id', '=', caseId).execute();
  await srv.json(org.tokens.engineer, 'POST', `/api/cases/${caseId}/gates`, { gate: 'segmentation', comment: 'L4 checked', modelVersionId: versionId });
  const t = await srv.json(org.tokens.reviewer, 'POST', `/api/cases/${caseId}/transitions`, { to: 'approved', comment: 'fine for teaching', modelVersionId: versionId });
  expect(t.state).toBe('approved');
  return { caseId, versionId };
}

/** Fills one catalogue field in the open item editor: value, currency (money) and source. */
async function fillField(p: Page, key: string, value: string, source: string, currency?: string): Promise<void> {
  await p.getByTestId(`edit-${key}-value`).fill(value);
  if (currency !== undefined) await p.getByTestId(`edit-${key}-currency`).fill(currency);
  await p.getByTestId(`edit-${key}-source`).fill(source);
}

const rowOf = (p: Page, section: string, id: string) => p.locator(`[data-testid="catalogue-${section}"] [data-testid="catalogue-row"][data-id="${id}"]`);

describe('web app: print catalogue, quote and schedule', () => {
  it('org-admin saves catalogue version 2; a technician quotes, queues, sees the plate and re-plans by marking the printer down', async () => {
    const made = approvedCase();
    made.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
    const admin = await openPage(browser, srv.url);
    const a = admin.page;
    await logIn(a, org.emails['org-admin'], TEST_PASSWORD);

    // The catalogue: version 0 (shipped, no prices) until the org-admin saves one.
    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Printers' }).click();
    await rowOf(a, 'printers', 'prusa-mk4').waitFor({ timeout: 60_000 });
    expect(await a.getByTestId('catalogue-version').getAttribute('data-version')).toBe('0');
    expect(await rowOf(a, 'printers', 'prusa-mk4').getByTestId('value-machineRate_per_h').textContent()).toBe('not set');
    await expectAccessible(a, 'catalogue page');

    await rowOf(a, 'printers', 'prusa-mk4').getByTestId('catalogue-edit').click();
    // A value that is not a number is refused next to its field, nothing is applied.
    await fillField(a, 'machineRate_per_h', 'thirty', 'lab cost sheet 2026', 'EUR');
    await a.getByTestId('item-apply').click();
    expect(await a.getByTestId('edit-machineRate_per_h-error').textContent()).toMatch(/not a number/);
    await fillField(a, 'machineRate_per_h', '30', 'lab cost sheet 2026 (depreciation, power, maintenance)', 'EUR');
    await fillField(a, 'setup', '5', 'lab cost sheet 2026 (plate preparation)', 'EUR');
    await a.getByTestId('item-apply').click();
    await rowOf(a, 'materials', 'pla').getByTestId('catalogue-edit').click();
    await fillField(a, 'pricePerKg', '25', 'supplier quote 2026-11 (Prusament PLA 1 kg)', 'EUR');
    await a.getByTestId('item-apply').click();
    expect(await a.getByTestId('catalogue-draft').locator('li').count()).toBe(3);
    await expectAccessible(a, 'catalogue page with a draft');

    // A value the server refuses (core's schema caps density at 25 g/cm³): the 400 names the item and field.
    await rowOf(a, 'materials', 'petg').getByTestId('catalogue-edit').click();
    await a.getByTestId('edit-density_g_cm3-value').fill('30');
    await a.getByTestId('item-apply').click();
    await a.getByTestId('catalogue-save').click();
    const problem = a.getByTestId('catalogue-problem');
    await expect.poll(() => problem.getAttribute('data-kind'), { timeout: 30_000 }).toBe('invalid');
    expect(await a.getByTestId('catalogue-issues').textContent()).toMatch(/^PETG \(Prusament PETG\), Density: .*25/);
    await rowOf(a, 'materials', 'petg').getByTestId('catalogue-edit').click();
    expect(await a.getByTestId('edit-density_g_cm3-error').textContent()).toMatch(/25/);
    await a.getByTestId('edit-density_g_cm3-value').fill('1.27');
    await a.getByTestId('item-apply').click();
    expect(await a.getByTestId('catalogue-draft').locator('li').count()).toBe(3);

    // Someone else saves first (through the API, from version 0): the page's save is stale.
    const shipped = (await srv.json(org.tokens['org-admin'], 'GET', '/api/print/catalogue')).catalogue;
    const other = await srv.json(org.tokens['org-admin'], 'PUT', '/api/print/catalogue', { catalogue: shipped, baseVersion: 0 });
    expect(other.version).toBe(1);
    await a.getByTestId('catalogue-save').click();
    await expect.poll(() => problem.getAttribute('data-kind'), { timeout: 30_000 }).toBe('stale');
    expect(await problem.textContent()).toMatch(/someone saved version 1 after you opened version 0/);
    await expectAccessible(a, 'catalogue page, stale save');
    await a.getByTestId('catalogue-rebase').click();
    await expect.poll(() => a.getByTestId('catalogue-version').getAttribute('data-version'), { timeout: 30_000 }).toBe('1');
    expect(await a.getByTestId('catalogue-draft').locator('li').count()).toBe(3);
    await a.getByTestId('catalogue-save').click();
    await expect.poll(() => a.getByTestId('catalogue-said').textContent(), { timeout: 30_000 }).toBe('Saved as version 2.');
    expect(await a.getByTestId('catalogue-version').getAttribute('data-version')).toBe('2');
    expect(await rowOf(a, 'printers', 'prusa-mk4').getByTestId('value-machineRate_per_h').textContent()).toBe('30 EUR per h');
    expect(await rowOf(a, 'materials', 'pla').getByTestId('value-pricePerKg').textContent()).toBe('25 EUR per kg');
    await expect.poll(() => a.getByTestId('catalogue-version-row').count(), { timeout: 30_000 }).toBe(3);
    expect(await a.locator('[data-testid="catalogue-version-row"][data-version="2"]').textContent()).toContain(org.emails['org-admin']);
    const saved = await srv.json(org.tokens.technician, 'GET', '/api/print/catalogue');
    expect(saved.version).toBe(2);
    expect(saved.catalogue.printers.find((x: { id: string }) => x.id === 'prusa-mk4').machineRate_per_h).toEqual({ value: 30, currency: 'EUR', source: 'lab cost sheet 2026 (depreciation, power, maintenance)' });
    await admin.screenshot('print-catalogue-v2');

    // Two MK4s in the lab: one added on the schedule page, one through the API.
    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Print schedule' }).click();
    await a.getByTestId('add-printer-name').fill('MK4 A');
    await a.getByTestId('add-printer-model').selectOption('prusa-mk4');
    await a.getByTestId('add-printer-submit').click();
    await expect.poll(() => a.getByTestId('schedule-printer').count(), { timeout: 30_000 }).toBe(1);
    await srv.json(org.tokens['org-admin'], 'POST', '/api/print/printers', { catalogueId: 'prusa-mk4', name: 'MK4 B' });

    // The technician quotes the approved case on the MK4 in PLA: real PrusaSlicer.
    const { caseId, versionId } = await made;
    const tech = await openPage(browser, srv.url);
    const t = tech.page;
    await logIn(t, org.emails.technician, TEST_PASSWORD);
    await t.goto(`/cases/${caseId}`);
    const panel = t.getByTestId('quote-panel');
    await expect.poll(() => panel.getAttribute('data-approved'), { timeout: 60_000 }).toBe('true');
    await t.getByTestId('quote-printer').selectOption('prusa-mk4');
    await t.getByTestId('quote-material').selectOption('pla');
    // A quote started and cancelled while PrusaSlicer runs: no result, no error, nothing stored.
    await t.getByTestId('quote-submit').click();
    await t.getByTestId('quote-cancel').click({ timeout: 30_000 });
    await expect.poll(() => t.getByTestId('quote-status').textContent(), { timeout: 30_000 }).toBe('Quote cancelled.');
    expect(await t.getByTestId('quote-result').count()).toBe(0);
    expect(await t.getByTestId('quote-error').count()).toBe(0);
    expect(await t.getByTestId('quote-cancel').count()).toBe(0);
    const quotesOf = async () => (await srv.server.services.db.selectFrom('print_quotes').select('id').where('case_id', '=', caseId).execute()).length;
    expect(await quotesOf()).toBe(0);
    await t.getByTestId('quote-submit').click();
    const result = t.getByTestId('quote-result');
    await result.waitFor({ timeout: 120_000 });
    expect(await result.getAttribute('data-method')).toBe('prusa-slicer');
    const seconds = Number(await t.getByTestId('quote-time').getAttribute('data-seconds'));
    expect(seconds).toBeGreaterThan(60);
    expect(await t.getByTestId('quote-time').textContent()).toMatch(/^\d+:\d\d \(h:mm\)$/);
    expect(Number(await t.getByTestId('quote-grams').getAttribute('data-grams'))).toBeGreaterThan(1);
    expect(await t.getByTestId('quote-price').textContent()).toMatch(/^\d+\.\d\d EUR$/);
    expect(await t.getByTestId('quote-slicer').textContent()).toMatch(/PrusaSlicer/);
    await expectAccessible(t, 'case page with a quote');
    await tech.screenshot('print-quote');

    await t.getByTestId('quote-queue').click();
    const queued = t.getByTestId('quote-queued');
    await queued.waitFor({ timeout: 60_000 });
    const jobId = (await queued.getAttribute('data-job-id'))!;
    await expect.poll(() => t.getByTestId('quote-status').textContent(), { timeout: 30_000 }).toBe('Queued for printing.');
    expect(await quotesOf()).toBe(1);
    const jobItem = t.locator(`[data-testid="print-job"][data-job-id="${jobId}"]`);
    await expect.poll(() => jobItem.getAttribute('data-status'), { timeout: 30_000 }).toBe('queued');

    // The schedule: the job's plate on one MK4's row, late (due yesterday) and listed as late.
    await queued.getByRole('link', { name: 'print schedule' }).click();
    const plate = t.locator(`[data-testid="timeline-plate"][data-job-ids~="${jobId}"]`);
    await plate.waitFor({ timeout: 60_000 });
    const first = (await plate.getAttribute('data-printer-id'))!;
    expect(await t.locator(`[data-testid="timeline-row"][data-printer-id="${first}"] [data-testid="timeline-plate"][data-job-ids~="${jobId}"]`).count()).toBe(1);
    expect(await plate.getAttribute('data-late')).toBe('true');
    expect(await t.getByTestId('schedule-late').textContent()).toContain('spine: L4 teaching model');
    expect(await t.locator(`[data-testid="schedule-plate-row"][data-job-ids~="${jobId}"]`).getAttribute('data-printer-id')).toBe(first);
    // Keyboard: the plate takes focus and its description is read out.
    await plate.focus();
    await expect.poll(() => t.getByTestId('timeline-focused').textContent(), { timeout: 30_000 }).toMatch(/plate .* spine: L4 teaching model.*LATE/);
    await expectAccessible(t, 'schedule page');
    await tech.screenshot('print-schedule');

    // That printer goes down: the plan changes (the other MK4 takes the plate, or the job waits).
    const row = t.locator(`[data-testid="schedule-printer"][data-printer-id="${first}"]`);
    await row.getByTestId('printer-note').fill('nozzle clogged');
    await row.getByTestId('printer-toggle').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('down');
    expect(await t.locator(`[data-testid="timeline-row"][data-printer-id="${first}"] [data-testid="timeline-outage"]`).count()).toBe(1);
    const otherPrinter = (await srv.json(org.tokens.technician, 'GET', '/api/print/printers')).printers.find((x: { id: string }) => x.id !== first).id as string;
    const where = async () =>
      (await t.locator(`[data-testid="schedule-waiting-job"][data-job-id="${jobId}"]`).count()) === 1
        ? 'waiting'
        : ((await plate.first().getAttribute('data-printer-id', { timeout: 1000 }).catch(() => null)) ?? 'nowhere');
    await expect.poll(where, { timeout: 30_000 }).not.toBe(first);
    expect(['waiting', otherPrinter]).toContain(await where());
    expect(await t.getByTestId('schedule-said').textContent()).toMatch(/MK4 A|MK4 B/);
    await expectAccessible(t, 'schedule page, printer down');
    await tech.screenshot('print-schedule-down');

    // Back on the case page: the job waits for the gates; started from the schedule, then printed here, it leaves the plan.
    await t.goto(`/cases/${caseId}`);
    await expect.poll(() => jobItem.getAttribute('data-status'), { timeout: 60_000 }).toBe('queued');
    expect(await jobItem.getByTestId('print-job-machine').inputValue()).toBe(otherPrinter);
    // Approved, not yet printing: the print waits for the print-qc gate (the server's rule), and says so.
    expect(await jobItem.getByTestId('print-job-start').isDisabled()).toBe(true);
    expect(await t.getByTestId('print-jobs-wait').textContent()).toMatch(/print-qc gate/);
    for (const step of [{ to: 'print-preparation' }, { gate: 'print-qc', comment: 'supports checked' }, { to: 'printing' }]) {
      await srv.json(org.tokens.technician, 'POST', `/api/cases/${caseId}/${'gate' in step ? 'gates' : 'transitions'}`, { ...step, modelVersionId: versionId });
    }
    await t.reload();
    await expect.poll(() => jobItem.getByTestId('print-job-start').isEnabled(), { timeout: 30_000 }).toBe(true);
    // The lab starts plates from the schedule: the plate holding this job, on the MK4 still up.
    await t.goto('/print/schedule');
    const plateRow = t.locator(`[data-testid="schedule-plate-row"][data-job-ids~="${jobId}"]`);
    await plateRow.getByTestId('plate-start').click();
    await expect.poll(() => plateRow.getByTestId('plate-printed').count(), { timeout: 30_000 }).toBe(1);
    expect(await t.getByTestId('schedule-said').textContent()).toMatch(/Started the plate on MK4 [AB]/);
    await expectAccessible(t, 'schedule page with a plate printing');
    await t.goto(`/cases/${caseId}`);
    await expect.poll(() => jobItem.getAttribute('data-status'), { timeout: 30_000 }).toBe('printing');
    expect(await jobItem.textContent()).toMatch(/printing on MK4 [AB]/);
    await expectAccessible(t, 'case page with a job printing');
    await jobItem.getByTestId('print-job-printed').click();
    await expect.poll(() => jobItem.getAttribute('data-status'), { timeout: 30_000 }).toBe('printed');
    expect((await srv.json(org.tokens.technician, 'GET', '/api/print/schedule')).jobs.map((j: { id: string }) => j.id)).not.toContain(jobId);

    // Choose for me, the material biocompatible and sterilisable: only BioMed Clear, on either Form printer.
    await t.getByTestId('quote-need-biocompatible').check();
    await t.getByTestId('quote-need-sterilisable').check();
    await t.getByTestId('quote-auto').click();
    const choice = t.getByTestId('quote-choice');
    await choice.waitFor({ timeout: 120_000 });
    const chosen = (await choice.getAttribute('data-printer'))!;
    expect(['formlabs-form3plus', 'formlabs-form4']).toContain(chosen);
    expect(await choice.getAttribute('data-material')).toBe('formlabs-biomed-clear');
    expect(await choice.textContent()).toMatch(/Chosen for you: Formlabs Form (3\+|4) in Formlabs BioMed Clear Resin: rank 1 of 2 that fit: shortest estimated print time/);
    expect(await t.getByTestId('quote-choice-basis').textContent()).toMatch(/^Ranked by estimated print time: the catalogue lacks /);
    expect(await t.getByTestId('quote-alternative').count()).toBe(1);
    expect(await t.getByTestId('quote-refusal').count()).toBe(12);
    expect(await t.locator('[data-testid="quote-refusal"][data-printer="prusa-mk4"][data-material="pla"]').textContent()).toMatch(/pla is not biocompatible .*pla is not sterilisable/);
    // The quote below is the chosen pair's, and the pickers show it: queueing it needs nothing more.
    expect(await t.getByTestId('quote-result').getAttribute('data-method')).toBe('volume-height-model');
    expect(await t.getByTestId('quote-printer').inputValue()).toBe(chosen);
    expect(await t.getByTestId('quote-material').inputValue()).toBe('formlabs-biomed-clear');
    await expectAccessible(t, 'case page with an automatic choice');
    await tech.screenshot('print-choose');

    // The refused saves' 400 and 409 are the failed requests the browser reports.
    expect(admin.problems.filter((x) => !/\b(400|409)\b/.test(x))).toEqual([]);
    expect(tech.problems).toEqual([]);
    await admin.context.close();
    await tech.context.close();
  });
});
