/**
 * A case page's print jobs kept live, in real Chromium against a real server, one browser
 * context per person: a plate started on a machine from elsewhere (the schedule page's call,
 * made here through the API) shows "printing" on both its cases' open pages, and "printed" once
 * finished there, without a reload; a job queued for an open case shows "queued", and shows
 * withdrawn once the requester cancels the case. Before, the list was read again only after
 * the page's own actions: other pages went on saying "queued". The cases are model versions as
 * a convert leaves them (real 3MFs of boxes, test/server/model-case.ts), approved through the
 * API and quoted by the server, as in print-plate.spec.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { approvedThroughApi, printingCase as printing, queuePrint } from '../server/model-case.js';
import { box } from '../../packages/core/src/testing/meshes.js';
import { launchChromium, logIn, openPage, type WatchedPage } from './chromium.js';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;
let form: string;

beforeAll(async () => {
  srv = await startTestServer({ workers: 0 });
  org = await srv.org('Live Print Hospital');
  browser = await launchChromium();
  form = (await srv.json(org.tokens['org-admin'], 'POST', '/api/print/printers', { catalogueId: 'formlabs-form3plus', name: 'Form L' })).id as string;
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

const approvedCase = (purpose: string, size: [number, number, number]) => approvedThroughApi(srv, org, box([0, 0, 0], size), { purpose, dueDate: '2099-06-01' });

/** A box case approved, queued on the Form in grey resin and moved to printing (model-case.ts printingCase). */
const printingCase = (purpose: string, size: [number, number, number]) => printing(srv, org, box([0, 0, 0], size), { purpose, dueDate: '2099-06-01' });

/** Opens the case page; marks the document so that a reload would show (the mark goes). */
async function openCase(w: WatchedPage, caseId: string): Promise<void> {
  await w.page.goto(`/cases/${caseId}`);
  await w.page.getByTestId('workflow-state').waitFor({ timeout: 60_000 });
  await w.page.evaluate('window.__notReloaded = true');
}

const notReloaded = (p: Page) => p.evaluate('window.__notReloaded === true');
const jobStatus = (p: Page, jobId: string) => p.locator(`[data-testid="print-job"][data-job-id="${jobId}"]`).getAttribute('data-status', { timeout: 1000 }).catch(() => null);

describe('web app: a case page follows its print jobs', () => {
  it('a plate started and finished elsewhere shows printing, then printed, on both its cases\' open pages without a reload', async () => {
    const one = await printingCase('live plate one', [30, 20, 10]);
    const two = await printingCase('live plate two', [25, 25, 10]);
    const tech = await openPage(browser, srv.url);
    const reader = await openPage(browser, srv.url);
    await logIn(tech.page, org.emails.technician, TEST_PASSWORD);
    await logIn(reader.page, org.emails.requester, TEST_PASSWORD);
    await openCase(tech, one.caseId);
    await openCase(reader, two.caseId);
    await expect.poll(() => jobStatus(tech.page, one.jobId), { timeout: 60_000 }).toBe('queued');
    await expect.poll(() => jobStatus(reader.page, two.jobId), { timeout: 60_000 }).toBe('queued');

    // The schedule page's plate button: both jobs on the Form at once.
    const started = await srv.json(org.tokens.technician, 'POST', `/api/print/printers/${form}/start`, { jobIds: [one.jobId, two.jobId] });
    expect(started.jobs.map((j: { status: string }) => j.status)).toEqual(['printing', 'printing']);
    await expect.poll(() => jobStatus(tech.page, one.jobId), { timeout: 30_000, message: 'the technician\'s page shows the plate printing' }).toBe('printing');
    await expect.poll(() => jobStatus(reader.page, two.jobId), { timeout: 30_000, message: 'the plate-mate\'s page shows it printing' }).toBe('printing');
    expect(await tech.page.locator(`[data-job-id="${one.jobId}"]`).textContent()).toContain('printing on Form L');

    await srv.json(org.tokens.technician, 'POST', `/api/print/printers/${form}/finish`, {});
    await expect.poll(() => jobStatus(tech.page, one.jobId), { timeout: 30_000, message: 'printed on the technician\'s page' }).toBe('printed');
    await expect.poll(() => jobStatus(reader.page, two.jobId), { timeout: 30_000, message: 'printed on the plate-mate\'s page' }).toBe('printed');
    expect(await notReloaded(tech.page)).toBe(true);
    expect(await notReloaded(reader.page)).toBe(true);
    expect(tech.problems).toEqual([]);
    expect(reader.problems).toEqual([]);
    await tech.context.close();
    await reader.context.close();
  });

  it('a job queued from elsewhere shows queued on the open page, and cancelled once the requester cancels the case', async () => {
    const { caseId } = await approvedCase('live queue', [20, 20, 10]);
    const tech = await openPage(browser, srv.url);
    await logIn(tech.page, org.emails.technician, TEST_PASSWORD);
    await openCase(tech, caseId);
    await tech.page.getByTestId('quote-panel').waitFor({ timeout: 60_000 });
    const jobId = await queuePrint(srv, org, caseId);
    await expect.poll(() => jobStatus(tech.page, jobId), { timeout: 30_000, message: 'the job queued elsewhere shows' }).toBe('queued');
    await srv.json(org.tokens.requester, 'POST', `/api/cases/${caseId}/transitions`, { to: 'cancelled', comment: 'no longer needed' });
    await expect.poll(() => jobStatus(tech.page, jobId), { timeout: 30_000, message: 'the withdrawn job shows cancelled' }).toBe('cancelled');
    expect(await notReloaded(tech.page)).toBe(true);
    expect(tech.problems).toEqual([]);
    await tech.context.close();
  });
});
