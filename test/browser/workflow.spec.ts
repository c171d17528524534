/**
 * The whole order in real Chromium against a real server, one browser context per person:
 * the requester creates and submits the case, the scan arrives, the segmentation job runs,
 * the engineer takes it into review and signs the segmentation gate, the engineer cannot
 * approve (not their role) and the org-admin who started the job cannot either (four eyes),
 * the reviewer approves, the model's QR label appears and /q/<code> resolves (after a
 * sign-in redirect) to the model's SHA-256, the technician signs print QC, prints, passes the
 * part and delivers it, and the audit page verifies the chain. Screenshots: test-results/web/workflow-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { anonymisedSeries, formOf } from '../server/dicom-files.js';
import { launchChromium, logIn, openPage, type WatchedPage } from './chromium.js';
import { seriousViolations } from './axe.js';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;
let caseId: string;

/** The story's one convert job: 28 slices resampled to 2 mm took 25 s on the loaded 2-core machine (63 s at full resolution). */
const STORY = 420_000;

beforeAll(async () => {
  srv = await startTestServer({ workers: 1 });
  org = await srv.org('Workflow Hospital');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

const stateOf = (page: Page) => page.getByTestId('workflow-state').getAttribute('data-state');

async function expectAccessible(page: Page, where: string) {
  expect(await seriousViolations(page), where).toEqual([]);
}

/** Opens the case page and waits for its workflow panel. */
async function openCase(w: WatchedPage): Promise<void> {
  await w.page.goto(`/cases/${caseId}`);
  await w.page.getByTestId('workflow-state').waitFor({ timeout: 60_000 });
}

/** Takes a step through its button on the case page, with a comment, and waits for the new state. */
async function step(w: WatchedPage, to: string, comment?: string): Promise<void> {
  const p = w.page;
  if (comment) await p.getByTestId('workflow-comment').fill(comment);
  const b = p.getByTestId(`transition-${to}`);
  await expect.poll(() => b.isEnabled(), { timeout: 60_000, message: `transition-${to} enabled` }).toBe(true);
  await b.click();
  await expect.poll(() => stateOf(p), { timeout: 60_000, message: `state ${to}` }).toBe(to);
}

async function signGateThere(w: WatchedPage, gate: string, comment: string): Promise<void> {
  const p = w.page;
  await p.getByTestId('workflow-comment').fill(comment);
  await p.getByTestId(`gate-${gate}`).click();
  await expect.poll(() => p.getByTestId(`gate-status-${gate}`).getAttribute('data-signed'), { timeout: 60_000 }).toBe('true');
}

/** Problems a page had other than the 401s of a signed-out start. */
const realProblems = (w: WatchedPage) => w.problems.filter((x) => !/\b401\b/.test(x));

describe('web app: the whole workflow with four people', () => {
  it(
    'draft → submitted → uploaded → segmented → in review → approved (four eyes) → QR → print QC → printing → QC passed → delivered, and the audit chain holds',
    async () => {
      const requester = await openPage(browser, srv.url);
      const engineer = await openPage(browser, srv.url);
      const reviewer = await openPage(browser, srv.url);
      const admin = await openPage(browser, srv.url);

      // The requester orders the model: created as a draft (the New case page needs a scan to
      // create one, and its upload is covered by e2e.spec.ts), submitted on the case page.
      caseId = (await srv.json(org.tokens.requester, 'POST', '/api/cases', { purpose: 'orbital floor reconstruction guide', anatomy: 'skull' })).id;
      await logIn(requester.page, org.emails.requester, TEST_PASSWORD);
      await openCase(requester);
      expect(await stateOf(requester.page)).toBe('draft');
      await expectAccessible(requester.page, 'draft case page');
      await step(requester, 'submitted', 'left orbit, see the referral');
      await requester.screenshot('workflow-1-submitted');

      // The scan: a real 28-slice head CT, anonymised by core and uploaded through the API with
      // the test harness (the page's own upload runs in e2e.spec.ts; this keeps the story short).
      await srv.json(org.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(await anonymisedSeries('ge-head-tilt-variable-spacing')));
      await expect.poll(() => stateOf(requester.page), { timeout: 60_000, message: 'automatic: uploaded' }).toBe('uploaded');

      // The segmentation job, started by the org-admin (so that the four-eyes rule bars them from
      // approving), at 2 mm to keep the story short; the case moves on by itself when it succeeds.
      const job = await srv.json(org.tokens['org-admin'], 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { isotropic: 2 } });
      expect((await srv.waitJob(org.tokens['org-admin'], job.id)).state).toBe('succeeded');
      await expect.poll(() => stateOf(requester.page), { timeout: 60_000, message: 'automatic: segmented' }).toBe('segmented');

      // The engineer takes it into review and signs the segmentation gate; approving is not theirs.
      await logIn(engineer.page, org.emails.engineer, TEST_PASSWORD);
      await openCase(engineer);
      await step(engineer, 'in-review');
      expect(await engineer.page.getByTestId('gate-segmentation').isEnabled()).toBe(true);
      await signGateThere(engineer, 'segmentation', 'bone surface checked on all slices');
      expect(await engineer.page.getByTestId('gate-status-segmentation').textContent()).toContain(org.emails.engineer);
      const engApprove = engineer.page.getByTestId('next-approved');
      expect(await engApprove.getAttribute('data-allowed')).toBe('false');
      expect(await engineer.page.getByTestId('transition-approved').isDisabled()).toBe(true);
      expect(await engApprove.textContent()).toMatch(/reviewer or organisation admin/);
      await expectAccessible(engineer.page, 'case page in review (engineer)');
      await engineer.screenshot('workflow-2-in-review-engineer');

      // Four eyes: the org-admin may approve by role, but started this model's job.
      await logIn(admin.page, org.emails['org-admin'], TEST_PASSWORD);
      await openCase(admin);
      expect(await admin.page.getByTestId('next-approved').getAttribute('data-allowed')).toBe('false');
      expect(await admin.page.getByTestId('transition-approved').isDisabled()).toBe(true);
      expect(await admin.page.getByTestId('missing-approved').textContent()).toMatch(/four eyes/i);
      // The Approval section says the same.
      expect(await admin.page.getByTestId('approve').isDisabled()).toBe(true);
      expect(await admin.page.locator('#review-why').textContent()).toMatch(/four eyes/i);
      await admin.screenshot('workflow-3-four-eyes');
      const refused = await srv.call(org.tokens['org-admin'], 'POST', `/api/cases/${caseId}/transitions`, { to: 'approved', comment: 'try', modelVersionId: job.id });
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('FOUR_EYES');

      // The reviewer is told (bell), reads the notification, and approves.
      await logIn(reviewer.page, org.emails.reviewer, TEST_PASSWORD);
      await openCase(reviewer);
      const bell = reviewer.page.getByTestId('notifications');
      await expect.poll(async () => Number(await bell.getAttribute('data-unread')), { timeout: 60_000 }).toBeGreaterThan(0);
      const unread = Number(await bell.getAttribute('data-unread'));
      await bell.click();
      await reviewer.page.getByTestId('notification').first().waitFor();
      await expectAccessible(reviewer.page, 'notifications open');
      await reviewer.screenshot('workflow-4-notifications');
      await reviewer.page.getByTestId('notification-read').first().click();
      await expect.poll(async () => Number(await bell.getAttribute('data-unread')), { timeout: 30_000 }).toBe(unread - 1);
      await reviewer.page.keyboard.press('Escape');
      expect(await bell.getAttribute('aria-expanded')).toBe('false');
      // The in-review step and the signed gate each told the reviewer: opening the other one reads it.
      expect(unread).toBeGreaterThanOrEqual(2);
      await bell.click();
      await reviewer.page.locator('[data-testid="notification"][data-read="false"] a').first().click();
      await expect.poll(async () => Number(await bell.getAttribute('data-unread')), { timeout: 30_000 }).toBe(unread - 2);
      expect(await bell.getAttribute('aria-expanded')).toBe('false');

      await step(reviewer, 'approved', 'fits the surgical plan');
      await expect.poll(() => reviewer.page.getByTestId('gate-status-model').getAttribute('data-signed'), { timeout: 60_000 }).toBe('true');
      expect(await reviewer.page.getByTestId('gate-status-model').textContent()).toContain(org.emails.reviewer);

      // The QR label of the approved version appears, as SVG and PNG.
      const label = reviewer.page.getByTestId('model-label');
      await label.waitFor({ timeout: 60_000 });
      expect(await label.getAttribute('data-job-id')).toBe(job.id);
      for (const [id, type] of [['label-svg', /image\/svg\+xml/], ['label-png', /image\/png/]] as const) {
        const href = await label.getByTestId(id).getAttribute('href');
        const r = await reviewer.context.request.get(href!);
        expect(r.status(), id).toBe(200);
        expect(r.headers()['content-type'], id).toMatch(type);
      }
      await expectAccessible(reviewer.page, 'approved case page');
      await reviewer.screenshot('workflow-5-approved');

      // The model's code on the page (read from its label) is the one its signed audit entry issued.
      const issued = (await srv.json(org.tokens['org-admin'], 'GET', `/api/audit?caseId=${caseId}`)).entries.find(
        (e: { action: string }) => e.action === 'model-code-issued',
      );
      const codeLink = label.getByTestId('model-code');
      await codeLink.waitFor({ timeout: 30_000 });
      const code = ((await codeLink.textContent()) ?? '').trim();
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
      expect(code).toBe(issued.details.code);
      expect(await label.getByRole('img').getAttribute('alt')).toContain(code);
      const bundle = await reviewer.context.request.get((await reviewer.page.getByTestId('download-bundle').getAttribute('href'))!);
      expect(bundle.status()).toBe(200);
      expect(bundle.headers()['content-type']).toMatch(/application\/zip/);
      const versions = await srv.json(org.tokens.reviewer, 'GET', `/api/cases/${caseId}/versions`);
      const model3mf = versions.find((v: { jobId: string }) => v.jobId === job.id).artifacts.find((a: { name: string }) => a.name.endsWith('.3mf'));

      // The print lab scans the label: a fresh browser goes to sign-in and back to /q/<code>.
      const technician = await openPage(browser, srv.url);
      await technician.page.goto(`/q/${code}`);
      await technician.page.waitForURL(/\/login\?next=/);
      expect(decodeURIComponent(technician.page.url())).toContain(`/q/${code}`);
      await technician.page.getByTestId('login-email').waitFor();
      await expectAccessible(technician.page, 'sign-in for a label link');
      await technician.page.getByTestId('login-email').fill(org.emails.technician);
      await technician.page.getByTestId('login-password').fill(TEST_PASSWORD);
      await technician.page.getByTestId('login-submit').click();
      await technician.page.waitForURL(new RegExp(`/q/${code}$`));
      const sha = technician.page.getByTestId('qr-sha256');
      await sha.waitFor({ timeout: 60_000 });
      expect((await sha.textContent())?.trim()).toBe(model3mf.sha256);
      expect(await technician.page.getByTestId('qr-audit').getAttribute('data-seq')).toBe(String(issued.seq));
      await expectAccessible(technician.page, '/q page');
      await technician.screenshot('workflow-6-qr');

      // The technician prepares, signs print QC, prints, passes the part and delivers it.
      await technician.page.getByTestId('qr-case').click();
      await technician.page.getByTestId('workflow-state').waitFor({ timeout: 60_000 });
      await step(technician, 'print-preparation');
      // Printing waits for the print-qc gate.
      expect(await technician.page.getByTestId('transition-printing').isDisabled()).toBe(true);
      expect(await technician.page.getByTestId('missing-printing').textContent()).toMatch(/print-qc/);
      await signGateThere(technician, 'print-qc', 'slicer file and orientation checked; SHA-256 matches the label');
      await step(technician, 'printing');
      await step(technician, 'qc-passed', 'dimensions within 0.3 mm');
      await step(technician, 'delivered');
      expect(await technician.page.getByTestId('workflow-history').textContent()).toMatch(/Printing.*QC passed.*Delivered/s);
      await expectAccessible(technician.page, 'delivered case page');
      await technician.screenshot('workflow-7-delivered');

      // The requester's list shows it delivered.
      await requester.page.goto('/');
      const cell = requester.page.locator(`[data-testid="case-row"][data-case-id="${caseId}"] [data-testid="case-status"]`);
      await expect.poll(() => cell.getAttribute('data-status'), { timeout: 60_000 }).toBe('delivered');

      // The org-admin verifies the audit chain on the admin page.
      await admin.page.goto(`/admin/audit?caseId=${caseId}`);
      await admin.page.getByTestId('audit-row').first().waitFor({ timeout: 60_000 });
      const actions = await Promise.all((await admin.page.getByTestId('audit-row').all()).map((r) => r.getAttribute('data-action')));
      for (const a of ['case-created', 'files-uploaded', 'job-succeeded', 'transition', 'gate-signed', 'model-code-issued']) expect(actions, a).toContain(a);
      await admin.page.getByTestId('audit-case').fill('');
      await admin.page.getByTestId('audit-verify').click();
      const result = admin.page.getByTestId('audit-verify-result');
      await expect.poll(() => result.getAttribute('data-ok'), { timeout: 60_000 }).toBe('true');
      const all = (await srv.json(org.tokens['org-admin'], 'GET', '/api/audit/verify')).checked;
      expect(await result.textContent()).toBe(`The chain holds (${all} entries checked).`);
      await expectAccessible(admin.page, 'audit page');
      await admin.screenshot('workflow-8-audit');

      for (const w of [requester, engineer, reviewer, admin, technician]) expect(realProblems(w)).toEqual([]);
      for (const w of [requester, engineer, reviewer, admin, technician]) await w.context.close();
    },
    STORY,
  );
});
