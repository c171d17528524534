/**
 * Behind a reverse proxy (SCAN2PRINT_TRUST_PROXY): the session cookie is Secure when the
 * proxy says https, and the login rate limit counts each client address, not the proxy's.
 * Without the setting, forwarded headers are ignored (a client cannot spoof them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from './config.js';
import { startTestServer, type TestServer } from '../../../test/server/harness.js';

const PASSWORD = 'a long enough password';

async function withUser(t: TestServer): Promise<string> {
  const org = await t.org(`Proxy ${Math.random()}`);
  const email = `proxy.${Date.now()}@example.org`;
  await t.json(org.tokens['org-admin'], 'POST', `/api/orgs/${org.id}/users`, { email, role: 'requester', password: PASSWORD });
  return email;
}

describe('trust proxy setting', () => {
  it('is read from SCAN2PRINT_TRUST_PROXY, off by default', () => {
    expect(configFromEnv({}, {}).trustProxy).toBe(false);
    expect(configFromEnv({}, { SCAN2PRINT_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(configFromEnv({}, { SCAN2PRINT_TRUST_PROXY: '127.0.0.1,10.0.0.0/8' }).trustProxy).toBe('127.0.0.1,10.0.0.0/8');
  });
});

describe.each([
  { trusted: true, over: { trustProxy: '127.0.0.1' } },
  { trusted: false, over: {} },
])('behind a proxy, trusted=$trusted', ({ trusted, over }) => {
  let t: TestServer;
  let email: string;
  beforeAll(async () => {
    t = await startTestServer(over);
    email = await withUser(t);
  });
  afterAll(() => t?.close());

  it(`${trusted ? 'marks' : 'does not mark'} the session cookie Secure for X-Forwarded-Proto: https`, async () => {
    const r = await t.call(undefined, 'POST', '/api/session', { email, password: PASSWORD }, { 'x-forwarded-proto': 'https' });
    expect(r.status).toBe(200);
    expect(/;\s*Secure/i.test(r.headers.get('set-cookie') ?? '')).toBe(trusted);
  });

  it(`${trusted ? 'limits each forwarded client on its own' : 'limits the connection, whatever it forwards'}`, async () => {
    const wrong = (ip: string, who = email) => t.call(undefined, 'POST', '/api/session', { email: who, password: 'wrong password 123' }, { 'x-forwarded-for': ip });
    for (let i = 0; i < 11; i++) await wrong('203.0.113.7');
    expect((await wrong('203.0.113.7')).status).toBe(429);
    // Another account: the account's own limit (10 wrong passwords) is not what this checks.
    expect((await wrong('198.51.100.9', 'someone.else@example.org')).status).toBe(trusted ? 401 : 429);
  });
});
