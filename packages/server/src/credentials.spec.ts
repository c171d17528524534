/**
 * Credentials, over real HTTP: a person makes their own tokens; an org-admin makes tokens only
 * for script accounts (no password), and those may not sign, so no token lets one person approve
 * as another (the workflow audit's four-eyes bypass). Tokens can be listed, revoked and expire;
 * a disabled user's sessions and tokens stop at once. Each refusal says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { cookieLogin } from '../../../test/server/route-calls.js';

let t: TestServer;
let a: TestOrg;
beforeAll(async () => {
  t = await startTestServer({ workers: 0 });
  a = await t.org('Credentials');
});
afterAll(() => t?.close());

const db = () => t.server.services.db;
const errorOf = async (r: Response) => ({ status: r.status, ...((await r.json()) as { error: { code: string; message: string } }).error });

/** A case in review (no model version: a signature past the personal check stops at MISSING). */
async function caseInReview(): Promise<string> {
  const id = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'credentials', anatomy: 'skull' })).id as string;
  await db().updateTable('cases').set({ status: 'in-review' }).where('id', '=', id).execute();
  return id;
}
const approve = (token: string, caseId: string, headers?: Record<string, string>) =>
  t.call(token, 'POST', `/api/cases/${caseId}/transitions`, { to: 'approved' }, headers);

describe('who makes a token, and what it may sign', () => {
  it("an org-admin makes no token for a person (a reviewer with a password): they make their own", async () => {
    const e = await errorOf(await t.call(a.tokens['org-admin'], 'POST', `/api/users/${a.users.reviewer}/tokens`, { name: 'borrowed' }));
    expect(e).toMatchObject({ status: 403, code: 'OWN_TOKENS' });
    expect(e.message).toContain(`${a.emails.reviewer} logs in with a password`);
    // The admin neither.
    expect(await errorOf(await t.call(t.adminToken, 'POST', `/api/users/${a.users.reviewer}/tokens`, { name: 'borrowed' }))).toMatchObject({ status: 403, code: 'OWN_TOKENS' });
  });

  it("a script account's token (made by its org-admin) acts but may not sign, nor may tokens it makes; the user's own may", async () => {
    const script = (await t.json(a.tokens['org-admin'], 'POST', `/api/orgs/${a.id}/users`, { email: 'pacs-bot@credentials.example.org', role: 'reviewer' })).id as string;
    const made = await t.json(a.tokens['org-admin'], 'POST', `/api/users/${script}/tokens`, { name: 'bot' });
    expect(made).toMatchObject({ personal: false });
    const c = await caseInReview();
    expect((await t.call(made.token, 'GET', `/api/cases/${c}`)).status).toBe(200);
    const refused = await errorOf(await approve(made.token, c));
    expect(refused).toMatchObject({ status: 403, code: 'NOT_PERSONAL' });
    expect(refused.message).toContain('pacs-bot@credentials.example.org');
    // Laundered through the bot's own call: still not personal.
    const second = await t.json(made.token, 'POST', `/api/users/${script}/tokens`, { name: 'second' });
    expect(second.personal).toBe(false);
    expect(await errorOf(await approve(second.token, c))).toMatchObject({ status: 403, code: 'NOT_PERSONAL' });
    // Signing a gate on its own too: an engineer script account.
    const bot = (await t.json(a.tokens['org-admin'], 'POST', `/api/orgs/${a.id}/users`, { email: 'seg-bot@credentials.example.org', role: 'engineer' })).id as string;
    const botToken = (await t.json(a.tokens['org-admin'], 'POST', `/api/users/${bot}/tokens`, { name: 'bot' })).token as string;
    expect(await errorOf(await t.call(botToken, 'POST', `/api/cases/${c}/gates`, { gate: 'segmentation' }))).toMatchObject({ status: 403, code: 'NOT_PERSONAL' });
    expect(await errorOf(await t.call(a.tokens.engineer, 'POST', `/api/cases/${c}/gates`, { gate: 'segmentation' }))).toMatchObject({ status: 409, code: 'MISSING' });

    // A person logged in makes a token of their own: it signs (here stopping at what the case lacks).
    const me = await cookieLogin(t, a, 'reviewer', 1);
    const meId = (await t.json(undefined, 'GET', '/api/me', undefined, { cookie: me.cookie })).id as string;
    const own = await t.json(undefined, 'POST', `/api/users/${meId}/tokens`, { name: 'laptop' }, { cookie: me.cookie, 'x-csrf-token': me.csrf });
    expect(own.personal).toBe(true);
    expect(Date.parse(own.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect(await errorOf(await approve(own.token, c))).toMatchObject({ status: 409, code: 'MISSING' });
  });
});

describe('listing, revoking, expiry, disabling', () => {
  it("lists a user's tokens without secrets; a revoked or expired token is 401 saying so; both audited", async () => {
    const me = await cookieLogin(t, a, 'engineer', 2);
    const meId = (await t.json(undefined, 'GET', '/api/me', undefined, { cookie: me.cookie })).id as string;
    const make = (name: string) => t.json(undefined, 'POST', `/api/users/${meId}/tokens`, { name, expiresInDays: 1 }, { cookie: me.cookie, 'x-csrf-token': me.csrf });
    const [one, two] = [await make('one'), await make('two')];
    expect((await t.call(one.token, 'GET', '/api/me')).status).toBe(200);
    const list = await t.json(a.tokens['org-admin'], 'GET', `/api/users/${meId}/tokens`);
    expect(list.map((x: { name: string; personal: boolean }) => [x.name, x.personal])).toEqual([['one', true], ['two', true]]);
    expect(list[0].lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list)).not.toContain(one.token.slice(4));
    // Others of the organisation may not read or revoke them.
    expect((await t.call(a.tokens.requester, 'GET', `/api/users/${meId}/tokens`)).status).toBe(403);

    expect((await t.call(a.tokens['org-admin'], 'DELETE', `/api/users/${meId}/tokens/${one.id}`)).status).toBe(204);
    const revoked = await errorOf(await t.call(one.token, 'GET', '/api/me'));
    expect(revoked).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(revoked.message).toContain(`token ${one.id} was revoked`);
    await db().updateTable('tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', two.id).execute();
    expect((await errorOf(await t.call(two.token, 'GET', '/api/me'))).message).toContain(`token ${two.id} expired on`);
    const audit = await db().selectFrom('audit_log').select(['action', 'details']).where('action', 'in', ['token-created', 'token-revoked']).orderBy('seq').execute();
    expect(audit.filter((e) => JSON.stringify(e.details).includes(one.id)).map((e) => e.action)).toEqual(['token-created', 'token-revoked']);
  });

  it("a disabled user's tokens and sessions stop at once and they cannot log in; enabled again, the token works; audited", async () => {
    const me = await cookieLogin(t, a, 'technician', 3);
    const meId = (await t.json(undefined, 'GET', '/api/me', undefined, { cookie: me.cookie })).id as string;
    const own = await t.json(undefined, 'POST', `/api/users/${meId}/tokens`, { name: 'bench' }, { cookie: me.cookie, 'x-csrf-token': me.csrf });
    expect(await t.json(a.tokens['org-admin'], 'PATCH', `/api/users/${meId}`, { disabled: true })).toMatchObject({ disabled: true });
    expect((await errorOf(await t.call(own.token, 'GET', '/api/me'))).message).toContain(`account ${me.email} is disabled`);
    expect((await t.call(undefined, 'GET', '/api/me', undefined, { cookie: me.cookie })).status).toBe(401);
    expect(await errorOf(await t.call(undefined, 'POST', '/api/session', { email: me.email, password: me.password }))).toMatchObject({ status: 401, code: 'DISABLED' });
    // Nobody disables themselves.
    expect(await errorOf(await t.call(a.tokens['org-admin'], 'PATCH', `/api/users/${a.users['org-admin']}`, { disabled: true }))).toMatchObject({ status: 409 });
    await t.json(a.tokens['org-admin'], 'PATCH', `/api/users/${meId}`, { disabled: false });
    expect((await t.call(own.token, 'GET', '/api/me')).status).toBe(200);
    const audit = await db().selectFrom('audit_log').select('action').where('action', 'in', ['user-disabled', 'user-enabled']).orderBy('seq').execute();
    expect(audit.map((e) => e.action)).toEqual(['user-disabled', 'user-enabled']);
  });
});
