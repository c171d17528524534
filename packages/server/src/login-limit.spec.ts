/**
 * The sign-in limits on POST /api/session: per address (the 11th try within a minute is 429,
 * also with the right password) and per account (10 wrong passwords from any addresses shut
 * that account's sign-in for a while). Each spec starts its own server: the limits' counters
 * must not meet the other specs' logins. The per-address limit's refusals are audited once per window. Moved out of security.spec.ts, which grew past 400 lines.
 */
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../../test/server/harness.js';

type ErrorBody = { error: { code: string; message: string } };

describe('login rate limit', () => {
  it('the 11th wrong login within a minute → 429 (also for the right password then); other routes still answer', async () => {
    const r = await startTestServer();
    try {
      const o = await r.org('Rate Limited');
      const email = 'limited.user@example.org';
      const password = 'the right password';
      await r.json(o.tokens['org-admin'], 'POST', `/api/orgs/${o.id}/users`, { email, role: 'requester', password });
      for (let i = 1; i <= 10; i++) {
        const res = await r.call(undefined, 'POST', '/api/session', { email, password: `wrong password ${i}` });
        expect(res.status, `attempt ${i}`).toBe(401);
      }
      const eleventh = await r.call(undefined, 'POST', '/api/session', { email, password: 'wrong password 11' });
      expect(eleventh.status).toBe(429);
      const e = ((await eleventh.json()) as ErrorBody).error;
      expect(e.message).toMatch(/rate limit|retry/i);
      expect(Number(eleventh.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await r.call(undefined, 'POST', '/api/session', { email, password })).status).toBe(429);
      // The address's refusals are audited once per window, not once per refused request.
      const limited = () => r.server.services.db.selectFrom('audit_log').select('details').where('action', '=', 'sign-in-failed').execute();
      await expect.poll(async () => (await limited()).filter((x) => String(x.details).includes('"limitedBy":"address"')).length).toBe(1);
      const entry = JSON.parse(String((await limited()).find((x) => String(x.details).includes('limitedBy'))!.details)) as Record<string, unknown>;
      expect(entry).toMatchObject({ address: '127.0.0.1', limitedBy: 'address' });
      expect((await limited()).length).toBe(11); // ten wrong passwords and one limit entry
      expect((await r.call(undefined, 'GET', '/api/health')).status).toBe(200);
      expect((await r.call(o.tokens.requester, 'GET', '/api/cases')).status).toBe(200);
    } finally {
      await r.close();
    }
  });

  it('10 wrong passwords for one account from 10 addresses → that account takes no sign-in for a while (429, audited), others still do', async () => {
    // Behind a proxy each try comes from another address: the per-address limit never trips.
    const r = await startTestServer({ trustProxy: true });
    try {
      const o = await r.org('Guessed At');
      const [email, other] = ['guessed.user@example.org', 'other.user@example.org'];
      const password = 'the right password';
      for (const e of [email, other]) await r.json(o.tokens['org-admin'], 'POST', `/api/orgs/${o.id}/users`, { email: e, role: 'requester', password });
      const from = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}` });
      for (let i = 1; i <= 10; i++) expect((await r.call(undefined, 'POST', '/api/session', { email, password: `guess ${i}` }, from(i))).status, `try ${i}`).toBe(401);
      const shut = await r.call(undefined, 'POST', '/api/session', { email, password }, from(11));
      expect(shut.status).toBe(429);
      expect(((await shut.json()) as ErrorBody).error).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', message: expect.stringContaining('for this account') });
      expect(Number(shut.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await r.call(undefined, 'POST', '/api/session', { email: other, password }, from(12))).status).toBe(200);
      const entries = await r.server.services.db.selectFrom('audit_log').select('details').where('action', '=', 'sign-in-failed').execute();
      expect(entries.filter((e) => String(e.details).includes('"throttled":true'))).toHaveLength(1);
    } finally {
      await r.close();
    }
  });
});
