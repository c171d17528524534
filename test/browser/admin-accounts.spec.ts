/**
 * Accounts in real Chromium against a real server: an org-admin adds a script account (no
 * password), makes it a token through the users page (the secret shown once, and it works
 * against the API), sees who made it, its expiry and its last use, and revokes it (the API
 * then refuses it); a person's tokens are listed but not made by the org-admin; disabling a
 * user stops their token at once and enabling restores it; a person makes their own token on
 * the Account page. And the admin pages fit a 375 px phone: the wide tables scroll in their
 * own box, not the page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { logIn, launchChromium, openPage } from './chromium.js';
import { seriousViolations } from './axe.js';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;

beforeAll(async () => {
  srv = await startTestServer();
  org = await srv.org('Accounts Hospital');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

const rowOf = (p: Page, email: string) => p.locator(`[data-testid="user-row"][data-email="${email}"]`);
const status = (token: string) => srv.call(token, 'GET', '/api/me').then((r) => r.status);

describe('web app: accounts and API tokens', () => {
  it('an org-admin makes, sees and revokes a script account\'s token, cannot make a person\'s, and disables and enables a user', async () => {
    const w = await openPage(browser, srv.url);
    const p = w.page;
    await logIn(p, org.emails['org-admin'], TEST_PASSWORD);
    await p.goto('/admin/users');
    await p.getByTestId('users-table').waitFor({ timeout: 60_000 });

    // A script account: added without a password.
    const script = 'nightly.export@accounts-hospital.example.org';
    await p.getByTestId('new-user-email').fill(script);
    await p.getByTestId('new-user-role').selectOption('engineer');
    await p.getByTestId('new-user-submit').click();
    await expect.poll(() => rowOf(p, script).count(), { timeout: 30_000 }).toBe(1);
    expect(await rowOf(p, script).textContent()).toContain('script account');

    // Its tokens: none; make one for 30 days. The secret is shown once and works.
    await p.getByLabel(`Tokens of ${script}`).click();
    const panel = p.locator(`[data-testid="tokens-panel"][data-email="${script}"]`);
    await panel.getByTestId('tokens-none').waitFor({ timeout: 30_000 });
    await panel.getByTestId('token-name').fill('nightly export');
    await panel.getByTestId('token-days').fill('30');
    await panel.getByTestId('token-make').click();
    const secret = (await panel.getByTestId('token-secret').textContent({ timeout: 30_000 }))!.trim();
    expect(secret).toMatch(/^s2p_/);
    const me = await srv.json(secret, 'GET', '/api/me');
    expect(me.email).toBe(script);
    const row = panel.locator('[data-testid="token-row"][data-name="nightly export"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.getByTestId('token-maker').textContent()).toContain(org.emails['org-admin']);
    const listed = (await srv.json(org.tokens['org-admin'], 'GET', `/api/users/${me.id}/tokens`))[0];
    const days = (Date.parse(listed.expiresAt) - Date.parse(listed.createdAt)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
    expect(await row.getByTestId('token-expires').textContent()).not.toBe('never');
    await expectAccessible(p, 'users page with tokens');
    await w.screenshot('admin-tokens-made');

    // Shown once: after "copied" and a fresh page, only its name and dates; its last use shows.
    await panel.getByTestId('token-secret-done').click();
    expect(await panel.getByTestId('token-secret').count()).toBe(0);
    await p.reload();
    await p.getByLabel(`Tokens of ${script}`).click();
    await row.waitFor({ timeout: 30_000 });
    expect(await p.content()).not.toContain(secret);
    expect(await row.getByTestId('token-used').textContent()).not.toBe('never');

    // Revoked: the API refuses it.
    await row.getByTestId('token-revoke').click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('revoked');
    expect(await panel.getByTestId('tokens-said').textContent()).toBe('Revoked “nightly export”: it no longer works.');
    expect(await status(secret)).toBe(401);

    // A person logs in with a password: the org-admin sees their tokens but makes none for them.
    await p.getByLabel(`Tokens of ${org.emails.requester}`).click();
    const theirs = p.locator(`[data-testid="tokens-panel"][data-email="${org.emails.requester}"]`);
    await theirs.getByTestId('tokens-own-only').waitFor({ timeout: 30_000 });
    expect(await theirs.getByTestId('token-make').count()).toBe(0);
    expect(await theirs.getByTestId('token-row').count()).toBe(1); // the harness's own token

    // Disable the requester: their token stops at once; enable: it works again. One's own row has no button.
    expect(await status(org.tokens.requester)).toBe(200);
    await p.getByLabel(`Disable ${org.emails.requester}`).click();
    await expect.poll(() => rowOf(p, org.emails.requester).getAttribute('data-disabled'), { timeout: 30_000 }).toBe('true');
    expect(await p.getByTestId('users-said').textContent()).toBe(`${org.emails.requester} is disabled: their sessions and tokens no longer work.`);
    expect(await status(org.tokens.requester)).toBe(401);
    await p.getByLabel(`Enable ${org.emails.requester}`).click();
    await expect.poll(() => rowOf(p, org.emails.requester).getAttribute('data-disabled'), { timeout: 30_000 }).toBe('false');
    expect(await status(org.tokens.requester)).toBe(200);
    expect(await rowOf(p, org.emails['org-admin']).getByTestId('user-toggle').count()).toBe(0);
    await expectAccessible(p, 'users page after disable and enable');
    expect(w.problems).toEqual([]);
    await w.context.close();
  });

  it('a person makes their own token on the Account page', async () => {
    const w = await openPage(browser, srv.url);
    const p = w.page;
    await logIn(p, org.emails.reviewer, TEST_PASSWORD);
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    const panel = p.getByTestId('tokens-panel');
    await panel.getByTestId('token-name').waitFor({ timeout: 60_000 });
    await panel.getByTestId('token-name').fill('my laptop CLI');
    await panel.getByTestId('token-make').click();
    const secret = (await panel.getByTestId('token-secret').textContent({ timeout: 30_000 }))!.trim();
    expect((await srv.json(secret, 'GET', '/api/me')).email).toBe(org.emails.reviewer);
    const row = panel.locator('[data-testid="token-row"][data-name="my laptop CLI"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.getByTestId('token-maker').textContent()).toContain(org.emails.reviewer);
    await expectAccessible(p, 'account page');
    expect(w.problems).toEqual([]);
    await w.context.close();
  });

  it('the admin pages fit a 375 px phone: wide tables scroll in their own box', async () => {
    const w = await openPage(browser, srv.url, { width: 375, height: 800 });
    const p = w.page;
    await logIn(p, org.emails['org-admin'], TEST_PASSWORD);
    const pageWidth = () => p.evaluate('document.scrollingElement.scrollWidth') as Promise<number>;
    await p.goto('/admin/printers');
    await p.getByTestId('catalogue-printers').waitFor({ timeout: 60_000 });
    // The printers table is wider than the phone, and scrolls in its box.
    const table = await p.getByTestId('catalogue-printers').evaluate((t) => ({ table: t.scrollWidth, box: t.parentElement!.clientWidth }));
    expect(table.table).toBeGreaterThan(table.box);
    expect(await pageWidth()).toBeLessThanOrEqual(375);
    await w.screenshot('admin-printers-375');
    for (const path of ['/admin/users', '/admin/audit']) {
      await p.goto(path);
      await p.locator('table.admin-table').first().waitFor({ timeout: 60_000 });
      expect(await pageWidth(), path).toBeLessThanOrEqual(375);
    }
    await p.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Users and roles' }).click();
    await p.getByLabel(`Tokens of ${org.emails.engineer}`).click();
    await p.getByTestId('tokens-table').waitFor({ timeout: 30_000 });
    expect(await pageWidth(), 'users page with a token list').toBeLessThanOrEqual(375);
    await expectAccessible(p, 'users page at 375 px');
    await w.context.close();
  });
});

async function expectAccessible(page: Page, where: string) {
  expect(await seriousViolations(page), where).toEqual([]);
}
