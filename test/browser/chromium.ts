/**
 * Real Chromium for the web app's tests: Debian's /usr/bin/chromium (installed by
 * scripts/install-test-deps.sh) driven by playwright-core. A test tool's own browser
 * download cannot work here (no network beyond npm and apt). Each page's console errors
 * and failed requests are collected, so a test can assert that none happened.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestServer } from '../server/harness.js';

export const CHROMIUM = process.env.SCAN2PRINT_CHROMIUM ?? '/usr/bin/chromium';

/** The flags the machine needs: no sandbox as root, no GPU (SwiftShader WebGL), no calls home. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Screenshots and traces the browser tests keep (ignored by git; CI may keep them). */
export const ARTIFACTS = join(process.cwd(), 'test-results', 'web');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught page errors and failed same-origin requests, as text. */
  problems: string[];
  screenshot(name: string): Promise<string>;
}

/** `viewport`: a smaller window for a spec whose WebGL canvas (SwiftShader, on the CPU) needs no more pixels to show what it checks. */
export async function openPage(browser: Browser, baseURL: string, viewport = { width: 1400, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ baseURL, viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A closed event stream or a cancelled fetch on navigation is not a failure of the app.
    const why = r.failure()?.errorText ?? '';
    if (!/ERR_ABORTED/.test(why)) problems.push(`request failed: ${r.method()} ${r.url()} ${why}`);
  });
  return {
    page,
    context,
    problems,
    async screenshot(name) {
      mkdirSync(ARTIFACTS, { recursive: true });
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
  };
}

/**
 * Lets the page's own "start a convert" request (POST /api/cases/:id/jobs) through with `params`
 * added, and keeps each body the page sent so the spec can check it asked for a plain convert.
 * For specs that check what the page does around a job (the request, the live state, the files
 * offered), not the model's resolution: a full-resolution convert was most of their time, and the
 * server's default convert of the same series is run by packages/server/src/api.spec.ts.
 */
export async function convertWithParams(page: Page, params: Record<string, unknown>): Promise<unknown[]> {
  const sent: unknown[] = [];
  await page.route('**/api/cases/*/jobs', async (route) => {
    const r = route.request();
    if (r.method() !== 'POST') return route.fallback();
    const body = r.postDataJSON() as Record<string, unknown> | null;
    sent.push(body);
    if (body?.kind !== 'convert' || body.params !== undefined) return route.fallback();
    return route.fallback({ postData: JSON.stringify({ ...body, params }) });
  });
  return sent;
}

/** Logs in through the page's own form, as a user would. */
export async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('who').waitFor();
}

/** A test server serving the built app (packages/web/dist: the test command builds first). */
export type { TestServer };
