/**
 * The app is served by the server at / and logs a user in through its own form (real
 * Chromium, real server). A reload keeps the session; a wrong password says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { launchChromium, logIn, openPage } from './chromium.js';
import { seriousViolations } from './axe.js';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;

beforeAll(async () => {
  srv = await startTestServer();
  org = await srv.org('Login Hospital');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

describe('web app: login', () => {
  it('serves the app at / and at a deep link, with a CSP, and the API stays JSON', async () => {
    for (const path of ['/', '/cases/00000000-0000-4000-8000-000000000000']) {
      const r = await fetch(srv.url + path);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/text\/html/);
      expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
      expect(await r.text()).toMatch(/<div id="root">/);
    }
    const api = await fetch(srv.url + '/api/no-such-thing');
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('refuses a wrong password with a message, logs in, and keeps the session over a reload', async () => {
    const w = await openPage(browser, srv.url);
    try {
      await w.page.goto('/');
      expect(await seriousViolations(w.page)).toEqual([]);
      await w.page.getByTestId('login-email').fill(org.emails.engineer);
      await w.page.getByTestId('login-password').fill('not the password');
      await w.page.getByTestId('login-submit').click();
      await expect.poll(() => w.page.getByRole('alert').textContent()).toMatch(/wrong e-mail or password/);
      await logIn(w.page, org.emails.engineer, TEST_PASSWORD);
      expect(await w.page.getByTestId('who').textContent()).toContain(org.emails.engineer);
      await w.page.reload();
      await w.page.getByTestId('who').waitFor();
      expect(await seriousViolations(w.page)).toEqual([]);
      await w.screenshot('login-done');
      // A phone-width window: the header wraps, every link and Log out on screen (it was 954 px wide at 375).
      await w.page.setViewportSize({ width: 375, height: 700 });
      const header = await w.page.locator('header.top').evaluate((h) => ({ scroll: h.scrollWidth, client: h.clientWidth, page: h.ownerDocument.documentElement.scrollWidth }));
      expect(header.scroll).toBeLessThanOrEqual(header.client);
      expect(header.page).toBeLessThanOrEqual(375);
      expect(await w.page.getByRole('button', { name: 'Log out' }).isVisible()).toBe(true);
      const box = await w.page.getByRole('button', { name: 'Log out' }).boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(375);
      // The 401 of the first /api/me and the refused login are the only failed calls.
      expect(w.problems.filter((p) => !/401/.test(p))).toEqual([]);
    } finally {
      await w.context.close();
    }
  });

  // After a server update a tab opened before asks for page files that are gone; before, the
  // failed load unmounted the app and the tab went blank (header included) until a reload.
  it('a page whose code cannot be loaded says so, keeps the header, and Reload brings it', async () => {
    const w = await openPage(browser, srv.url);
    try {
      await logIn(w.page, org.emails.engineer, TEST_PASSWORD);
      await w.page.route('**/assets/PacsPage-*.js', (r) => r.fulfill({ status: 404, body: 'gone' }));
      await w.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'PACS' }).click();
      await expect.poll(() => w.page.getByTestId('page-failed').textContent()).toMatch(/could not be loaded.*updated since this tab was opened/);
      expect(await w.page.getByTestId('who').textContent()).toContain(org.emails.engineer);
      // Another page shows (the failure belongs to the location), then Reload fetches the app anew.
      await w.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
      await expect.poll(() => w.page.getByTestId('page-failed').count()).toBe(0);
      await w.page.goBack();
      await w.page.getByTestId('page-failed').waitFor();
      await w.page.unroute('**/assets/PacsPage-*.js');
      await w.page.getByTestId('page-failed').getByRole('button', { name: 'Reload' }).click();
      await w.page.getByRole('heading', { level: 1, name: 'PACS' }).waitFor();
      expect(await w.page.getByTestId('page-failed').count()).toBe(0);
      expect(await seriousViolations(w.page)).toEqual([]);
      expect(w.problems.filter((p) => !/PacsPage-.*\.js|404/.test(p))).toEqual([]);
    } finally {
      await w.context.close();
    }
  });

  it('logging out in one tab logs the others out too: they show the login, with the page to come back to', async () => {
    const w = await openPage(browser, srv.url);
    try {
      await logIn(w.page, org.emails.requester, TEST_PASSWORD);
      const other = await w.context.newPage();
      await other.goto('/cases/new');
      await other.getByTestId('who').waitFor();
      await w.page.getByRole('button', { name: 'Log out' }).click();
      // The other tab, without a reload or a click: its header gone, the login form up, this page kept as ?next=.
      await other.getByTestId('login-email').waitFor();
      expect(await other.getByTestId('who').count()).toBe(0);
      expect(new URL(other.url()).searchParams.get('next')).toBe('/cases/new');
    } finally {
      await w.context.close();
    }
  });
});
