/**
 * The admin pages in real Chromium against a real server: an org-admin lists the users, adds
 * one and changes its role, changes an organisation setting, reads the audit log and verifies
 * the chain; after a row of audit_log is changed behind the server's back, Verify names that
 * entry. Another role gets no admin links and a refusal. No serious axe violations on any page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { logIn, launchChromium, openPage } from './chromium.js';
import { seriousViolations } from './axe.js';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;

beforeAll(async () => {
  srv = await startTestServer();
  org = await srv.org('Admin Hospital');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

async function expectAccessible(page: Page, where: string) {
  expect(await seriousViolations(page), where).toEqual([]);
}

describe('web app: admin pages', () => {
  it('users and roles, organisation settings, the audit log and its verification; a tampered entry is named', async () => {
    const w = await openPage(browser, srv.url);
    const p = w.page;
    await logIn(p, org.emails['org-admin'], TEST_PASSWORD);

    // Users and roles, reached from the main navigation.
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await p.getByTestId('users-table').waitFor({ timeout: 60_000 });
    expect(await p.getByTestId('user-row').count()).toBe(5);
    // One's own role is not changed here.
    expect(await p.locator(`[data-testid="user-row"][data-email="${org.emails['org-admin']}"]`).getByTestId('user-role').count()).toBe(0);
    await expectAccessible(p, 'users page');

    const email = 'new.technician@admin-hospital.example.org';
    await p.getByTestId('new-user-email').fill(email);
    await p.getByTestId('new-user-role').selectOption('technician');
    await p.getByTestId('new-user-password').fill(TEST_PASSWORD);
    await p.getByTestId('new-user-submit').click();
    await expect.poll(() => p.getByTestId('users-said').textContent(), { timeout: 30_000 }).toBe(`Added ${email} as technician.`);
    const row = p.locator(`[data-testid="user-row"][data-email="${email}"]`);
    await expect.poll(() => row.getByTestId('user-role').inputValue(), { timeout: 30_000 }).toBe('technician');
    await p.getByLabel(`Role of ${email}`).selectOption('reviewer');
    await expect.poll(() => p.getByTestId('users-said').textContent(), { timeout: 30_000 }).toBe(`${email} is now reviewer.`);
    const users = await srv.json(org.tokens['org-admin'], 'GET', '/api/users');
    expect(users.find((u: { email: string }) => u.email === email).role).toBe('reviewer');
    await w.screenshot('admin-users');

    // Organisation settings.
    await p.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Organisation settings' }).click();
    await expect.poll(() => p.getByTestId('settings-name').textContent(), { timeout: 30_000 }).toBe('Admin Hospital');
    expect(await p.getByTestId('settings-save').isDisabled()).toBe(true);
    await p.getByTestId('settings-server-anonymise').check();
    await p.getByTestId('settings-save').click();
    await expect.poll(() => p.getByTestId('settings-said').textContent(), { timeout: 30_000 }).toBe('Saved.');
    expect((await srv.json(org.tokens['org-admin'], 'GET', `/api/orgs/${org.id}`)).serverAnonymise).toBe(true);
    await expectAccessible(p, 'settings page');
    await w.screenshot('admin-settings');

    // The audit log records both, and the chain holds.
    await p.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit log' }).click();
    await p.getByTestId('audit-row').first().waitFor({ timeout: 30_000 });
    const actions = await Promise.all((await p.getByTestId('audit-row').all()).map((r) => r.getAttribute('data-action')));
    for (const a of ['user-created', 'role-changed', 'org-settings-changed']) expect(actions, a).toContain(a);
    await p.getByTestId('audit-verify').click();
    const result = p.getByTestId('audit-verify-result');
    await expect.poll(() => result.getAttribute('data-ok'), { timeout: 30_000 }).toBe('true');
    expect(await result.textContent()).toMatch(/^The chain holds \(\d+ entries checked\)\.$/);
    await expectAccessible(p, 'audit page');
    await w.screenshot('admin-audit-holds');

    // Someone with database access edits the role change afterwards: Verify names that entry.
    const changed = Number(await p.locator('[data-testid="audit-row"][data-action="role-changed"]').first().getAttribute('data-seq'));
    const db = srv.server.services.db;
    await sql`alter table audit_log disable trigger audit_log_no_change`.execute(db);
    await sql`update audit_log set details = ${JSON.stringify({ role: 'org-admin' })} where seq = ${changed}`.execute(db);
    await sql`alter table audit_log enable trigger audit_log_no_change`.execute(db);
    await p.getByTestId('audit-verify').click();
    await expect.poll(() => result.getAttribute('data-ok'), { timeout: 30_000 }).toBe('false');
    expect(await result.textContent()).toMatch(new RegExp(`^The chain is broken at entry ${changed} \\(modified\\): `));
    expect(await p.locator(`[data-testid="audit-row"][data-seq="${changed}"]`).getAttribute('class')).toBe('verify-bad');
    // The table is read again: it shows the entry as the database now holds it.
    await expect.poll(() => p.locator(`[data-testid="audit-row"][data-seq="${changed}"] td.details`).textContent(), { timeout: 30_000 }).toBe('{"role":"org-admin"}');
    await expectAccessible(p, 'audit page, broken chain');
    await w.screenshot('admin-audit-broken');
    expect(w.problems).toEqual([]);
    await w.context.close();
  });

  it('shows no admin links to other roles and refuses them the pages', async () => {
    const w = await openPage(browser, srv.url);
    const p = w.page;
    await logIn(p, org.emails.requester, TEST_PASSWORD);
    expect(await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await p.goto('/admin/users');
    await expect.poll(() => p.getByRole('alert').textContent(), { timeout: 30_000 }).toMatch(/Only an organisation admin .* \(you are requester\)/);
    expect(await p.getByTestId('users-table').count()).toBe(0);
    await expectAccessible(p, 'refused admin page');
    const r = await srv.call(org.tokens.requester, 'GET', '/api/audit');
    expect(r.status).toBe(403);
    await w.context.close();
  });
});
