/**
 * The case list and the case page in real Chromium against a real server: real CT series
 * uploaded through the API, a convert started on the case page, the list's status cell
 * following it live (no reload) to done, a failed job's reason, the 3MF downloaded through
 * the page and read back closed with core's reader, and approval by role (the workflow's
 * steps between a change request and the approval taken through the API).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { checkMesh, createAnonymiser, read3mf } from '@scan2print/core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { anonymisedSeries, formOf } from '../server/dicom-files.js';
import { dataPath } from '../data.js';
import { ARTIFACTS, convertWithParams, launchChromium, logIn, openPage, type WatchedPage } from './chromium.js';
import { seriousViolations } from './axe.js';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;
/** A 28-slice real head CT: converts to a closed skull (here at 2 mm; see the first test). */
let goodCase: string;
/** A real CT whose values are not HU (Slicer's CTHead): the convert job fails on its input. */
let notHuCase: string;
/** No files yet. */
let emptyCase: string;

const LONG = 300_000;
/** A convert of 28 slices on a loaded 2-core machine has taken 4.5 minutes. */
const CONVERT = 900_000;

/** Files of a test-data folder anonymised by core, as a hospital's browser would send them. */
async function anonymisedFolder(...parts: string[]) {
  const dir = dataPath(...parts);
  const a = createAnonymiser('scan2print cases spec key 0123456789');
  const out = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.dcm')).sort()) {
    const r = await a.anonymise(new Uint8Array(readFileSync(join(dir, name))), name);
    out.push({ name: `${r.summary.sopInstanceUid}.dcm`, bytes: r.bytes });
  }
  return out;
}

function isoDaysFromNow(days: number): string {
  const d = new Date();
  d.setDate(d.getDate() + days);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

beforeAll(async () => {
  srv = await startTestServer({ workers: 1 });
  org = await srv.org('Cases Hospital');
  const req = org.tokens.requester;
  goodCase = (await srv.json(req, 'POST', '/api/cases', { purpose: 'orbital floor plate, good series', anatomy: 'skull', dueDate: isoDaysFromNow(-2) })).id;
  notHuCase = (await srv.json(req, 'POST', '/api/cases', { purpose: 'values not in HU', anatomy: 'head (not HU)', dueDate: isoDaysFromNow(1) })).id;
  emptyCase = (await srv.json(req, 'POST', '/api/cases', { purpose: 'waiting for the scan', anatomy: 'mandible', dueDate: isoDaysFromNow(30) })).id;
  // Ordered (submitted) before the scan arrives, so the workflow moves them on by itself: uploaded, then segmented.
  for (const id of [goodCase, notHuCase]) await srv.json(req, 'POST', `/api/cases/${id}/transitions`, { to: 'submitted' });
  await srv.json(req, 'POST', `/api/cases/${goodCase}/files`, formOf(await anonymisedSeries('ge-head-tilt-variable-spacing')));
  await srv.json(req, 'POST', `/api/cases/${notHuCase}/files`, formOf(await anonymisedFolder('hardcases', 'slicer-ctheadaxial-64')));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

const row = (page: Page, id: string) => page.locator(`[data-testid="case-row"][data-case-id="${id}"]`);
const statusOf = (page: Page, id: string) => row(page, id).getByTestId('case-status').getAttribute('data-status');

/**
 * Records every data-status the case's status cell takes, from inside the page (no state is missed
 * between polls), and leaves a marker that a reload would wipe. Plain script text: the specs are
 * compiled without the DOM's types.
 */
async function watchStatus(page: Page, id: string): Promise<void> {
  await page.evaluate(`(() => {
    window.__seen = [];
    window.__marker = 'not reloaded';
    const sel = '[data-testid="case-row"][data-case-id="${id}"] [data-testid="case-status"]';
    const note = () => {
      const cell = document.querySelector(sel);
      const s = cell && cell.getAttribute('data-status');
      const entry = s + '|' + (cell ? cell.textContent : '');
      if (s && window.__seen[window.__seen.length - 1] !== entry) window.__seen.push(entry);
    };
    note();
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  })()`);
}

async function seenStatuses(page: Page): Promise<{ seen: string[]; marker: string | undefined }> {
  return (await page.evaluate('({ seen: window.__seen, marker: window.__marker })')) as { seen: string[]; marker: string | undefined };
}

async function expectAccessible(page: Page) {
  expect(await seriousViolations(page)).toEqual([]);
}

describe('web app: case list and case page', () => {
  let list: WatchedPage;
  let casePage: WatchedPage;

  it(
    'lists the cases with status, due dates and filters; a convert started on the case page goes live to done in the list without a reload',
    async () => {
      list = await openPage(browser, srv.url);
      await logIn(list.page, org.emails.engineer, TEST_PASSWORD);
      await expect.poll(() => list.page.getByTestId('case-row').count(), { timeout: 60_000 }).toBe(3);
      await expect.poll(() => list.page.getByTestId('live-mode').getAttribute('data-mode'), { timeout: 60_000 }).toBe('live');
      expect(await statusOf(list.page, goodCase)).toBe('ready');
      expect(await statusOf(list.page, emptyCase)).toBe('no-files');
      expect(await row(list.page, goodCase).getByTestId('case-due').getAttribute('data-urgency')).toBe('overdue');
      expect(await row(list.page, notHuCase).getByTestId('case-due').getAttribute('data-urgency')).toBe('soon');
      // Sorted by due date, soonest first: the overdue case leads.
      expect(await list.page.getByTestId('case-row').first().getAttribute('data-case-id')).toBe(goodCase);
      await list.page.getByLabel('Search').fill('mandible');
      await expect.poll(() => list.page.getByTestId('case-row').count()).toBe(1);
      await list.page.getByRole('button', { name: 'Clear filters' }).click();
      await expect.poll(() => list.page.getByTestId('case-row').count()).toBe(3);
      await expectAccessible(list.page);
      await list.screenshot('cases-list-before');
      await watchStatus(list.page, goodCase);

      // The case page in a second window (its own login: the CSRF token is kept per tab): start the convert there.
      casePage = await openPage(browser, srv.url);
      await logIn(casePage.page, org.emails.engineer, TEST_PASSWORD);
      await casePage.page.goto(`/cases/${goodCase}`);
      await casePage.page.getByTestId('start-convert').waitFor({ timeout: 60_000 });
      await expectAccessible(casePage.page);
      // The page's request goes out as it is (checked below); the job runs at 2 mm, as what is checked here is the
      // page following a job live, and the default convert of this series is api.spec's (a full-resolution one here
      // was most of this file's time).
      const asked = await convertWithParams(casePage.page, { isotropic: 2 });
      await casePage.page.getByTestId('start-convert').click();

      await expect.poll(() => statusOf(list.page, goodCase), { timeout: CONVERT, interval: 500 }).toBe('done');
      expect(asked).toEqual([{ kind: 'convert' }]);
      const { seen, marker } = await seenStatuses(list.page);
      expect(marker, 'the list page was reloaded').toBe('not reloaded');
      const kinds = seen.map((s) => s.split('|')[0]);
      expect(kinds[0]).toBe('ready');
      expect(kinds[kinds.length - 1]).toBe('done');
      expect(kinds.some((k) => k === 'queued' || k === 'running'), seen.join('\n')).toBe(true);
      // A running state shows its percent.
      for (const s of seen.filter((x) => x.startsWith('running|'))) expect(s).toMatch(/running \d+ %/);
      await list.screenshot('cases-list-done');

      // The case page followed its job too, and now offers the model.
      await expect.poll(() => casePage.page.getByTestId('job-row').first().getAttribute('data-state'), { timeout: 60_000 }).toBe('succeeded');
      await casePage.page.getByTestId('download-model').waitFor({ timeout: 60_000 });
      await expectAccessible(casePage.page);
    },
    CONVERT + LONG,
  );

  it(
    'shows a failed job with its reason, in the list and on the case page',
    async () => {
      const { id: jobId } = await srv.json(org.tokens.engineer, 'POST', `/api/cases/${notHuCase}/jobs`, { kind: 'convert' });
      await expect.poll(() => statusOf(list.page, notHuCase), { timeout: LONG, interval: 500 }).toBe('failed');
      const job = await srv.json(org.tokens.engineer, 'GET', `/api/jobs/${jobId}`);
      expect(job.state).toBe('failed');
      expect(job.error).toMatch(/HU/);
      const cell = (await row(list.page, notHuCase).getByTestId('case-status').textContent()) ?? '';
      expect(cell).toContain(job.error);
      await list.screenshot('cases-list-failed');
      await casePage.page.goto(`/cases/${notHuCase}`);
      await expect.poll(() => casePage.page.getByTestId('job-state').first().textContent(), { timeout: 60_000 }).toContain(job.error);
      await expectAccessible(casePage.page);
      await casePage.screenshot('case-page-failed');
    },
    LONG,
  );

  it(
    'assigns the case, downloads the 3MF through the page and reads it back closed with core, posts a comment',
    async () => {
      const p = casePage.page;
      await p.goto(`/cases/${goodCase}`);
      const picker = p.getByLabel('Assigned to');
      await picker.waitFor({ timeout: 60_000 });
      await picker.selectOption({ label: `${org.emails.engineer} (engineer)` });
      await expect.poll(() => row(list.page, goodCase).getByTestId('case-assignee').textContent(), { timeout: 60_000 }).toBe(org.emails.engineer);
      await list.page.getByLabel('Whose').selectOption('assigned-to-me');
      await expect.poll(() => list.page.getByTestId('case-row').count()).toBe(1);
      await list.page.getByLabel('Whose').selectOption('all');

      const [download] = await Promise.all([p.waitForEvent('download', { timeout: 60_000 }), p.getByTestId('download-model').click()]);
      expect(download.suggestedFilename()).toMatch(/\.3mf$/);
      const path = join(ARTIFACTS, 'cases-download.3mf');
      await download.saveAs(path);
      const mesh = read3mf(new Uint8Array(readFileSync(path)), path);
      const check = checkMesh(mesh);
      expect(check).toMatchObject({ closed: true, manifold: true });
      expect(check.triangles).toBeGreaterThan(1000);
      for (const id of ['download-stl', 'download-report', 'download-labels']) expect(await p.getByTestId(id).count(), id).toBe(1);
      await p.getByRole('textbox', { name: 'Add a comment' }).fill('left orbit only, please');
      await p.getByTestId('comment-submit').click();
      await expect.poll(() => p.getByTestId('comments').textContent(), { timeout: 60_000 }).toContain('left orbit only, please');
      expect(await p.getByTestId('comments').textContent()).toContain(org.emails.engineer);
      await casePage.screenshot('case-page-done');
    },
    LONG,
  );

  it(
    'an engineer requests changes with a comment; a technician cannot approve (button disabled, API 403); a reviewer approves after a confirmation; the list follows live',
    async () => {
      // The engineer may request changes (not approve): the comment box is required.
      const eng = casePage.page;
      expect(await eng.getByTestId('approve').isDisabled()).toBe(true);
      await eng.getByTestId('request-changes').click();
      expect(await eng.getByTestId('review-comment').getAttribute('required')).not.toBeNull();
      await eng.getByTestId('review-comment').fill('thicken the orbital rim');
      await eng.getByTestId('review-confirm').click();
      await expect.poll(() => eng.getByTestId('case-page-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('changes-requested');
      await expect.poll(() => statusOf(list.page, goodCase), { timeout: 60_000 }).toBe('changes-requested');
      expect(await eng.getByTestId('review-history').textContent()).toContain('thicken the orbital rim');

      const tech = await openPage(browser, srv.url);
      try {
        await logIn(tech.page, org.emails.technician, TEST_PASSWORD);
        await tech.page.goto(`/cases/${goodCase}`);
        await tech.page.getByTestId('download-model').waitFor({ timeout: 60_000 });
        expect(await tech.page.getByTestId('approve').isDisabled()).toBe(true);
        expect(await tech.page.locator('#review-why').textContent()).toMatch(/technician/);
        await expectAccessible(tech.page);
        const r = await srv.call(org.tokens.technician, 'POST', `/api/cases/${goodCase}/reviews`, { decision: 'approve' });
        expect(r.status).toBe(403);
      } finally {
        await tech.context.close();
      }

      // Approval comes from review (workflow): the engineer resumes it and signs the segmentation gate.
      await srv.json(org.tokens.engineer, 'POST', `/api/cases/${goodCase}/transitions`, { to: 'in-review' });
      await srv.json(org.tokens.engineer, 'POST', `/api/cases/${goodCase}/gates`, { gate: 'segmentation' });

      const rev = await openPage(browser, srv.url);
      try {
        await logIn(rev.page, org.emails.reviewer, TEST_PASSWORD);
        await rev.page.goto(`/cases/${goodCase}`);
        const approve = rev.page.getByTestId('approve');
        await approve.waitFor({ timeout: 60_000 });
        await expect.poll(() => approve.isEnabled(), { timeout: 60_000 }).toBe(true);
        await approve.click();
        // Nothing is decided until it is confirmed.
        expect(await srv.json(org.tokens.reviewer, 'GET', `/api/cases/${goodCase}/reviews`)).toHaveLength(1);
        await rev.page.getByTestId('review-comment').fill('fits the plan');
        await expectAccessible(rev.page);
        await rev.page.getByTestId('review-confirm').click();
        await expect.poll(() => rev.page.getByTestId('case-page-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('approved');
        await expect.poll(() => rev.page.getByTestId('review-history').textContent(), { timeout: 60_000 }).toContain('fits the plan');
        await rev.screenshot('case-page-approved');
        expect(rev.problems).toEqual([]);
      } finally {
        await rev.context.close();
      }
      const reviews = await srv.json(org.tokens.requester, 'GET', `/api/cases/${goodCase}/reviews`);
      expect(reviews.map((r: { decision: string }) => r.decision).sort()).toEqual(['approve', 'request-changes']);
      // The engineer's list, open all along, shows the approval without a reload.
      await expect.poll(() => statusOf(list.page, goodCase), { timeout: 60_000 }).toBe('approved');
      expect((await seenStatuses(list.page)).marker).toBe('not reloaded');
      await list.screenshot('cases-list-approved');
      expect(list.problems).toEqual([]);
      expect(casePage.problems).toEqual([]);
      await list.context.close();
      await casePage.context.close();
    },
    LONG,
  );
});
