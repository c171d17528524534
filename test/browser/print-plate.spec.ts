/**
 * The case page's Start starts the plate its print job is on, in real Chromium against a real
 * server: a machine prints one plate at a time with all its jobs, so two cases' parts of one
 * resin that the plan puts on one Form 3+ plate start together from either case's page, and
 * the page says so before (the other case named, "Start the plate (2 jobs)"). Starting only
 * the one job left the other queued for a later run of the machine. The cases are model
 * versions as a convert leaves them (real 3MFs of boxes, test/server/model-case.ts), approved
 * and moved to printing through the API, quoted by the server (core's volume/height model).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { printingCase as printing } from '../server/model-case.js';
import { box } from '../../packages/core/src/testing/meshes.js';
import { launchChromium, logIn, openPage } from './chromium.js';
import { seriousViolations } from './axe.js';
import type { Browser } from 'playwright-core';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;
let form: string;

beforeAll(async () => {
  srv = await startTestServer({ workers: 0 });
  org = await srv.org('Plate Hospital');
  browser = await launchChromium();
  form = (await srv.json(org.tokens['org-admin'], 'POST', '/api/print/printers', { catalogueId: 'formlabs-form3plus', name: 'Form A' })).id as string;
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

/** A box case approved through the API, queued on the Form 3+ in grey resin (the server quotes it), then moved to printing. */
const printingCase = (purpose: string, size: [number, number, number]) => printing(srv, org, box([0, 0, 0], size), { purpose, dueDate: '2099-06-01' });

const statusOf = async (caseId: string, jobId: string) =>
  ((await srv.json(org.tokens.requester, 'GET', `/api/cases/${caseId}/print-jobs`)).jobs as { id: string; status: string }[]).find((j) => j.id === jobId)?.status;

describe('web app: the case page starts its job\'s plate', () => {
  it('two cases on one plate: Start on one case\'s page names the other, starts both on the machine and the schedule runs them as one plate', async () => {
    const one = await printingCase('plate one', [30, 20, 10]);
    const two = await printingCase('plate two', [25, 25, 10]);
    // The plan puts both on one plate of the one Form (as print-jobs.spec checks on the server).
    const plate = (await srv.json(org.tokens.technician, 'GET', '/api/print/schedule')).plates.find((x: { jobIds: string[] }) => x.jobIds.includes(one.jobId));
    expect([...plate.jobIds].sort()).toEqual([one.jobId, two.jobId].sort());
    expect(plate.printerId).toBe(form);

    const tech = await openPage(browser, srv.url);
    const t = tech.page;
    await logIn(t, org.emails.technician, TEST_PASSWORD);
    await t.goto(`/cases/${one.caseId}`);
    const item = t.locator(`[data-testid="print-job"][data-job-id="${one.jobId}"]`);
    const start = item.getByTestId('print-job-start');
    await expect.poll(() => start.isEnabled(), { timeout: 60_000 }).toBe(true);
    // Said before it is pressed: the plate's jobs, the other case by name.
    await expect.poll(() => start.textContent(), { timeout: 30_000 }).toBe('Start the plate (2 jobs)');
    const hint = item.getByTestId('print-job-plate');
    expect(await hint.textContent()).toContain('mandible: plate two');
    expect(await hint.textContent()).toMatch(/starts both/);
    expect((await hint.getAttribute('data-job-ids'))!.split(' ').sort()).toEqual([one.jobId, two.jobId].sort());
    expect(await item.getByTestId('print-job-machine').inputValue()).toBe(form);
    expect(await seriousViolations(t), 'case page with a shared plate').toEqual([]);

    await start.click();
    await expect.poll(() => item.getAttribute('data-status'), { timeout: 30_000 }).toBe('printing');
    expect(await t.getByTestId('print-jobs-said').textContent()).toBe('Started the plate on Form A: 2 jobs together; the schedule is planned again.');
    expect(await statusOf(two.caseId, two.jobId)).toBe('printing');
    const running = (await srv.json(org.tokens.technician, 'GET', '/api/print/schedule')).plates.filter((x: { running?: boolean }) => x.running);
    expect(running).toHaveLength(1);
    expect([...running[0].jobIds].sort()).toEqual([one.jobId, two.jobId].sort());
    expect(tech.problems).toEqual([]);
    await tech.context.close();
  });
});
