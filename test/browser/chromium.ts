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
 *
 * The body is changed in the page, by a wrapper round its `fetch` (installed in the open document
 * and in every one loaded after), not by a Playwright route: a route makes DevTools pause every
 * request of the page and hand its body to the test process, and the tus upload's 4 MB PATCHes
 * then took ~0.8 s each (14 s for the 73 MB phantom in e2e.spec, against ~0.03 s each at the server).
 */
export async function convertWithParams(page: Page, params: Record<string, unknown>): Promise<unknown[]> {
  const sent: unknown[] = [];
  await page.exposeBinding('__s2pJobAsked', (_source, body: string) => void sent.push(JSON.parse(body)));
  // A string, evaluated in the page (the test's TypeScript has no DOM types).
  const wrap = `(() => {
    if (window.__s2pJobWrap) return;
    window.__s2pJobWrap = true;
    const params = ${JSON.stringify(params)};
    const isJobs = (p) => { const s = p.split('/'); return s.length === 5 && s[1] === 'api' && s[2] === 'cases' && s[4] === 'jobs'; };
    const original = window.fetch.bind(window);
    window.fetch = async (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input.url, location.href);
      if (init && init.method === 'POST' && isJobs(url.pathname) && typeof init.body === 'string') {
        await window.__s2pJobAsked(init.body);
        const body = JSON.parse(init.body);
        if (body && body.kind === 'convert' && body.params === undefined) init = { ...init, body: JSON.stringify({ ...body, params }) };
      }
      return original(input, init);
    };
  })()`;
  await page.addInitScript(wrap);
  await page.evaluate(wrap);
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
